// One incident, live. The snapshot (GET /api/v1/incidents/{id}/) is the state; the incident socket
// replays every event after the last one seen and then streams - on a reconnection it asks from that
// seq, so the timeline has no gap and no duplicate. An event newer than the snapshot reads it again
// (If-None-Match: a snapshot that has not moved costs a 304).

import { api, everyPage, write } from "./api.js";
import { familyDiagram, flagOrder } from "./diagram.js";
import { LiveSocket } from "./live.js";
import { ask, chrome, coalesce, countdown, el, failed, fill, setLive, tell, time } from "./page.js";
import { attendanceState, SEVERITY_TONE } from "./status.js";
import { describe } from "./timeline.js";

const id = document.body.dataset.incident;
const $ = (name) => document.getElementById(name);
let me = null;
let snapshot = null;
let etag = null;
let lastSeq = 0; // the last event shown in the timeline
const events = [];
let agencies = new Map(); // id -> agency, every agency in the directory
let socket = null;

function chip(tone, text) {
  return el("span", { class: `chip tone-${tone}` }, text);
}

const LEVEL = { danger: ["cannot", "Danger"], warning: ["waiting", "Warning"], info: ["done", "Note"] };

function levelChip(level) {
  const [tone, words] = LEVEL[level] || ["done", level];
  return chip(tone, words);
}

// --- Reading ------------------------------------------------------------------------------------------

async function loadSnapshot() {
  let body;
  try {
    body = await api(`incidents/${id}/`, { etag });
  } catch (error) {
    if (error.status === 404) return gone("There is no incident here that you may see.");
    throw error;
  }
  if (body === null) return; // 304: nothing moved
  snapshot = body;
  etag = `"${body.last_seq}"`;
  render();
}

const refreshSnapshot = coalesce(() => loadSnapshot().catch(failed), 150);

function gone(message) {
  $("incident").hidden = true;
  $("not-found").textContent = message;
  $("not-found").hidden = false;
  if (socket) socket.stop();
}

// --- Rendering ----------------------------------------------------------------------------------------

function render() {
  const s = snapshot;
  $("incident").hidden = false;
  document.title = `${s.reference} · ooh`;
  $("incident-title").textContent = `${s.kind_label}: ${s.address_line || s.location_text || s.reference}`;
  $("incident-facts").textContent = `${s.reference} · opened ${time(s.opened_at)} by ${s.opening_agency ? s.opening_agency.name : "?"} · ${s.status === "open" ? "open" : "closed"} · ${s.summary}`;
  fill(
    $("headline"),
    s.headline.map((line) => el("li", { class: `level-${line.level}` }, levelChip(line.level), " ", line.text)),
  );
  renderAttendance();
  renderDecides();
  renderFamily();
  renderPlans();
  fill($("guidance"), s.guidance.map((g) => el("li", { class: `level-${g.level}` }, levelChip(g.level), " ", g.message)));
  renderEscalations();
}

function whenCell(row, now) {
  if (["attending", "en_route"].includes(row.status) && row.eta) {
    const left = countdown(row.eta, now);
    return el("span", { class: left.overdue ? "overdue" : "" }, `ETA ${left.text}`);
  }
  if (row.status === "requested" && row.respond_by) {
    const due = countdown(row.respond_by, now);
    return el("span", { class: due.overdue ? "overdue" : "" }, `Answer due ${due.text}`);
  }
  if (row.status === "cannot_attend") return el("span", {}, `Instead: ${row.agreed_role}`);
  return el("span", { class: "muted" }, `Since ${time(row.updated_at)}`);
}

function renderAttendance() {
  const now = Date.now();
  fill(
    $("attendance"),
    snapshot.attendance.map((row) => {
      const state = attendanceState(row, now);
      const live = !["left", "stood_down"].includes(row.status);
      return el(
        "tr",
        { dataset: { agency: row.agency.code } },
        el("th", { scope: "row" }, row.agency.name),
        el("td", {}, chip(state.tone, state.words)),
        el("td", { class: "when" }, whenCell(row, now)),
        el(
          "td",
          {},
          live && snapshot.status === "open"
            ? el(
                "button",
                { type: "button", class: "quiet", "aria-label": `Stand down ${row.agency.name}`, onclick: () => standDown(row) },
                "Stand down",
              )
            : null,
        ),
      );
    }),
  );
}

function person(appointment) {
  return `${appointment.user.display_name} (${agencyLabel(appointment.agency)})`;
}

function agencyLabel(agencyId) {
  const found = agencies.get(agencyId) || (snapshot.agencies || []).find((a) => a.id === agencyId);
  return found ? found.name : "agency";
}

function renderDecides() {
  const dm = snapshot.decision_maker;
  fill(
    $("decision-maker"),
    el(
      "p",
      {},
      el("strong", {}, "Decision maker: "),
      dm
        ? [person(dm), " ", dm.accepted ? chip("there", "Accepted") : chip("waiting", "Not yet accepted")]
        : chip("cannot", "No decision maker"),
    ),
  );
  const lead = snapshot.lead_professional;
  fill($("lead-professional"), el("p", {}, el("strong", {}, "Lead professional: "), lead ? person(lead) : "none named"));
  fill(
    $("decisions"),
    snapshot.decisions.length
      ? snapshot.decisions.map((d) =>
          el("li", {}, el("strong", {}, `${time(d.at)} ${d.decision}`), ` - ${d.rationale} (${d.decided_by.display_name})`),
        )
      : el("li", { class: "muted" }, "No decision recorded yet."),
  );
}

function renderFamily() {
  fill($("diagram"), familyDiagram(snapshot));
  const read = new Map();
  for (const ack of snapshot.flag_acknowledgements) {
    if (!read.has(ack.flag)) read.set(ack.flag, []);
    read.get(ack.flag).push(ack);
  }
  const flags = [...(snapshot.network.flags || [])].sort(flagOrder);
  fill(
    $("flags"),
    flags.map((flag) => {
      const acks = read.get(flag.id) || [];
      const mine = acks.some((a) => a.user.id === me.id);
      return el(
        "li",
        { class: flag.group === "officer_safety" ? "officer-safety" : "" },
        chip(SEVERITY_TONE[flag.severity] || "waiting", `${flag.severity_label}: ${flag.category_label}`),
        " ",
        el("strong", {}, flag.subject_label),
        ` - ${flag.summary}`,
        flag.handling_instructions ? el("span", { class: "small" }, `Handling: ${flag.handling_instructions}`) : null,
        el(
          "span",
          { class: "small" },
          acks.length ? `Read by ${acks.map((a) => `${a.user.display_name} (${a.agency.name})`).join(", ")}` : "Not yet read tonight",
        ),
        mine || snapshot.status !== "open"
          ? null
          : el(
              "button",
              { type: "button", class: "quiet", "aria-label": `Mark as read: ${flag.category_label}, ${flag.subject_label}`, onclick: () => acknowledgeFlag(flag) },
              "Mark as read",
            ),
      );
    }),
  );
}

function renderPlans() {
  fill(
    $("plans"),
    snapshot.birth_plans.length
      ? snapshot.birth_plans.map((plan) => {
          const readers = plan.shared_with.filter((s) => s.read_at);
          return el(
            "div",
            { class: "plan" },
            el("p", {}, chip(plan.status === "active" ? "there" : "waiting", plan.status_label), ` version ${plan.version}`),
            plan.legal_position ? el("p", {}, el("strong", {}, "Legal position: "), plan.legal_position.meaning) : null,
            el("h3", {}, "Tonight"),
            el("p", { class: "instructions" }, plan.out_of_hours_instructions || "No out-of-hours instructions."),
            plan.home_birth_contingency ? el("p", {}, el("strong", {}, "Home birth: "), plan.home_birth_contingency) : null,
            plan.plan_at_birth ? el("p", {}, el("strong", {}, "At birth: "), plan.plan_at_birth) : null,
            plan.people_excluded.length
              ? el(
                  "p",
                  {},
                  el("strong", {}, "Not to be present: "),
                  plan.people_excluded.map((p) => `${p.name}${p.reason ? ` (${p.reason})` : ""}`).join("; "),
                )
              : null,
            el(
              "ul",
              { class: "plain small" },
              plan.key_contacts_out_of_hours.map((c) =>
                el("li", {}, `${c.name}${c.role ? `, ${c.role}` : ""} (${c.agency.name}): ${c.call_out_of_hours || "no number"}`),
              ),
            ),
            el("h3", {}, "Read"),
            el(
              "p",
              { class: "read-state" },
              readers.length
                ? `Read by ${readers.map((r) => `${r.agency.name} (version ${r.read_version}, ${time(r.read_at)})`).join("; ")}. `
                : "",
              plan.not_read_by.length
                ? chip("cannot", `Not read by ${plan.not_read_by.map((r) => r.agency.name).join(", ")}`)
                : chip("there", "Read by every agency on the incident"),
            ),
          );
        })
      : el("p", { class: "muted" }, "No birth plan for these people."),
  );
}

function renderEscalations() {
  const open = snapshot.escalations;
  fill(
    $("escalations"),
    open.length
      ? open.map((e) =>
          el(
            "li",
            { dataset: { escalation: e.id } },
            chip(e.status === "open" ? "cannot" : "done", e.status === "open" ? "Open" : "Acknowledged"),
            ` ${e.message} (raised ${time(e.raised_at)}, level ${e.level})`,
            e.status === "open"
              ? el("button", { type: "button", class: "quiet", onclick: () => acknowledgeEscalation(e) }, "Acknowledge")
              : null,
          ),
        )
      : el("li", { class: "muted" }, "None."),
  );
}

function renderTimeline() {
  fill(
    $("timeline"),
    [...events].reverse().map((e) =>
      el(
        "li",
        { dataset: { seq: e.seq } },
        el("time", { datetime: e.at }, time(e.at)),
        " ",
        describe(e, agencies),
        e.actor ? el("span", { class: "small" }, ` - ${e.actor.display_name}`) : null,
      ),
    ),
  );
}

// --- Actions (each one write through the API, with its Idempotency-Key) --------------------------------

async function act(what, path, body) {
  try {
    await write(path, body);
    tell(what);
    refreshSnapshot();
    return true;
  } catch (error) {
    failed(error);
    return false;
  }
}

async function standDown(row) {
  const reason = await ask({
    title: `Stand down ${row.agency.name}`,
    label: "Why are they no longer needed?",
    confirm: "Stand down",
  });
  if (reason === null) return;
  act(`${row.agency.name} stood down.`, `incidents/${id}/stand-down/`, { agency: row.agency.id, reason });
}

function acknowledgeFlag(flag) {
  act("Marked as read.", `incidents/${id}/flag-acknowledgements/`, { flag: flag.id });
}

function acknowledgeEscalation(escalation) {
  act("Escalation acknowledged.", `escalations/${escalation.id}/acknowledge/`, { note: "Seen on the control-room board" });
}

$("request-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const agency = agencies.get(form.agency.value);
  const done = await act(`${agency ? agency.name : "Agency"} asked to attend.`, `incidents/${id}/attendance-requests/`, {
    agency: form.agency.value,
    respond_within_minutes: Number(form.respond_within_minutes.value),
  });
  if (done) form.reset();
});

$("appoint-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const chosen = form.user.selectedOptions[0];
  const done = await act(`${chosen ? chosen.textContent : "They"}: appointed decision maker.`, `incidents/${id}/decision-maker/`, {
    user: form.user.value,
    reason: form.reason.value,
  });
  if (done) {
    form.reason.value = "";
    refreshAppointable();
  }
});

async function loadAgencies() {
  const all = await everyPage("agencies/");
  agencies = new Map(all.map((a) => [a.id, a]));
  fill($("request-agency"), all.map((a) => el("option", { value: a.id }, a.name)));
}

async function loadAppointable() {
  const form = $("appoint-form");
  try {
    const body = await api(`incidents/${id}/appointable/`);
    const select = $("appoint-user");
    const chosen = select.value; // a choice being made survives the list being read again
    fill(
      select,
      body.results.map((u) => el("option", { value: u.id }, `${u.display_name} - ${u.role.replace(/_/g, " ")}, ${u.agency.name}`)),
    );
    if (chosen && body.results.some((u) => u.id === chosen)) select.value = chosen;
    form.hidden = false;
  } catch (error) {
    form.hidden = true; // not the caller's to appoint (403), or gone
    if (error.status !== 403 && error.status !== 404) failed(error);
  }
}

const refreshAppointable = coalesce(loadAppointable, 300);

// --- Live ------------------------------------------------------------------------------------------------

function onMessage(message) {
  if (message.type === "hello") {
    if (snapshot && message.last_seq > snapshot.last_seq) refreshSnapshot();
    return;
  }
  if (message.type !== "event" || message.seq <= lastSeq) return; // already shown
  events.push(message);
  lastSeq = message.seq;
  renderTimeline();
  if (!snapshot || message.seq > snapshot.last_seq) refreshSnapshot();
  if (message.event.startsWith("attendance.") || message.event.endsWith(".appointed")) refreshAppointable();
}

chrome()
  .then(async (user) => {
    me = user;
    await Promise.all([loadAgencies(), loadSnapshot()]);
    if (!snapshot) return;
    loadAppointable();
    socket = new LiveSocket({
      path: () => `/ws/v1/incidents/${id}/?after=${lastSeq}`,
      onMessage,
      onState: setLive,
      onEnd: (reason) => {
        if (reason === "not-found" || reason === "forbidden") gone("You may no longer see this incident.");
      },
    });
    setInterval(() => snapshot && (renderAttendance(), renderTimeline()), 15000); // countdowns move with the clock
  })
  .catch(failed);
