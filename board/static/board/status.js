// Attendance in words and colour (the colour is never the only sign: each chip says its status).

export const ATTENDANCE = {
  requested: { words: "Requested", tone: "waiting" },
  acknowledged: { words: "Acknowledged", tone: "waiting" },
  attending: { words: "Coming", tone: "coming" },
  en_route: { words: "On the way", tone: "coming" },
  on_scene: { words: "On scene", tone: "there" },
  cannot_attend: { words: "Cannot attend", tone: "cannot" },
  left: { words: "Left", tone: "done" },
  stood_down: { words: "Stood down", tone: "done" },
};

// A row of the list's attendance_summary or the snapshot's attendance -> {words, tone}.
export function attendanceState(row, now = Date.now()) {
  const known = ATTENDANCE[row.status] || { words: row.status, tone: "waiting" };
  const unanswered = row.status === "requested" && (row.overdue || (row.respond_by && new Date(row.respond_by) < now));
  if (unanswered) return { words: "Not answered", tone: "cannot" };
  return known;
}

export const SEVERITY_TONE = { critical: "cannot", high: "cannot", medium: "waiting", low: "done" };
