// The open incidents, live: the list comes from GET /api/v1/incidents/?status=open and is read again
// whenever the feed socket says something changed (and after every reconnection, since a feed does not
// replay what was missed), so it is never more than a moment behind the record.

import { everyPage } from "./api.js";
import { LiveSocket } from "./live.js";
import { attendanceState, SEVERITY_TONE } from "./status.js";
import { ago, chrome, coalesce, countdown, el, failed, fill, setLive } from "./page.js";

const rows = document.getElementById("incident-rows");
const empty = document.getElementById("no-incidents");
const count = document.getElementById("list-count");
let incidents = [];

async function load() {
  incidents = await everyPage("incidents/?status=open"); // a control room sees every one on one screen
  render();
}

function chip(tone, text, extra = {}) {
  return el("span", { class: `chip tone-${tone}`, ...extra }, text);
}

function attendanceCell(summary) {
  if (!summary.length) return el("span", { class: "muted" }, "Nobody asked yet");
  return el(
    "ul",
    { class: "chips" },
    summary.map((row) => {
      const state = attendanceState(row);
      const when = row.eta && ["attending", "en_route"].includes(row.status) ? ` · ETA ${countdown(row.eta).text}` : "";
      return el("li", {}, chip(state.tone, `${row.agency.name}: ${state.words}${when}`));
    }),
  );
}

function flagCell(flag) {
  if (!flag) return el("span", { class: "muted" }, "None");
  return el(
    "span",
    {},
    chip(SEVERITY_TONE[flag.severity] || "waiting", `${flag.severity_label}: ${flag.category_label}`),
    el("span", { class: "small" }, ` ${flag.subject_label}`),
  );
}

function deciderCell(incident) {
  const dm = incident.decision_maker;
  if (!dm) return chip("cannot", "No decision maker");
  const name = dm.user ? dm.user.display_name : "Appointed";
  return dm.accepted === false ? chip("waiting", `${name} (not yet accepted)`) : chip("there", name);
}

function render() {
  const now = Date.now();
  count.textContent = `${incidents.length} open`;
  empty.hidden = incidents.length > 0;
  fill(
    rows,
    incidents.map((incident) =>
      el(
        "tr",
        { dataset: { incident: incident.id } },
        el(
          "th",
          { scope: "row" },
          el("a", { href: `/board/incidents/${incident.id}/` }, incident.address_line || incident.reference),
          el("span", { class: "small" }, `${incident.reference} · ${incident.summary}`),
        ),
        el("td", {}, ago(incident.opened_at, now)),
        el("td", {}, flagCell(incident.highest_flag)),
        el("td", {}, attendanceCell(incident.attendance_summary)),
        el("td", {}, deciderCell(incident)),
        el(
          "td",
          {},
          incident.open_escalations
            ? chip("cannot", `${incident.open_escalations} open`)
            : el("span", { class: "muted" }, "None"),
        ),
      ),
    ),
  );
}

const refresh = coalesce(() => load().catch(failed), 200);

chrome()
  .then((me) => {
    refresh();
    new LiveSocket({
      path: () => (me.control_room ? "/ws/v1/feed/?incidents=all" : "/ws/v1/feed/"),
      onMessage: () => refresh(), // hello (connected or back) and every change: read the list again
      onState: setLive,
    });
    setInterval(render, 30000); // ages and countdowns move with the clock
  })
  .catch(failed);
