// Each event of an incident's log in plain words, for the timeline.

import { ATTENDANCE } from "./status.js";

function agencyName(id, agencies) {
  const found = agencies.get(id);
  return found ? found.name : "An agency";
}

const SAY = {
  "incident.opened": (e) => `Incident opened: ${e.data.summary || ""}`,
  "incident.updated": () => "Incident details changed",
  "incident.closed": (e) => `Incident closed${e.data.outcome ? `: ${e.data.outcome}` : ""}`,
  "subject.added": () => "A person found at the scene was added",
  "attendance.requested": (e, a) => `${agencyName(e.data.agency, a)} asked to attend`,
  "attendance.updated": (e, a) => {
    const status = (ATTENDANCE[e.data.status] || { words: e.data.status }).words;
    const extra = e.data.status === "cannot_attend" && e.data.agreed_role ? ` - instead: ${e.data.agreed_role}` : "";
    return `${agencyName(e.data.agency, a)}: ${status}${extra}${e.data.reason ? ` (${e.data.reason})` : ""}`;
  },
  "decision_maker.appointed": (e) => `${e.data.user ? e.data.user.display_name : "Someone"} appointed decision maker`,
  "decision_maker.accepted": () => "The decision maker accepted",
  "decision_maker.declined": (e) => `The decision maker declined${e.data.reason ? `: ${e.data.reason}` : ""}`,
  "lead_professional.appointed": (e) => `${e.data.user ? e.data.user.display_name : "Someone"} appointed lead professional`,
  "lead_professional.accepted": () => "The lead professional accepted",
  "lead_professional.declined": () => "The lead professional declined",
  "decision.recorded": (e) => `Decision: ${e.data.decision}`,
  "flag.acknowledged": () => "A flag was read",
  "flag.added": () => "A flag was added",
  "flag.revoked": () => "A flag was revoked",
  "birth_plan.updated": () => "The birth plan changed",
  "presence.updated": (e) => (e.data.status === "on_scene" ? "Arrived on scene" : "Left the scene"),
  "escalation.raised": (e) => `Escalation: ${e.data.message || e.data.rule || ""}`,
  "escalation.acknowledged": () => "An escalation was acknowledged",
  "escalation.resolved": () => "An escalation was resolved",
  "person.born": () => "A baby was born",
  "incident.outcome": () => "Outcome sent to the agencies",
};

export function describe(event, agencies) {
  const say = SAY[event.event];
  try {
    if (say) return say(event, agencies);
  } catch {
    // an event with less data than expected still gets a line
  }
  return event.event.replace(/[._]/g, " ");
}
