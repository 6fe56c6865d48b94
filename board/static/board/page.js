// What every page of the board shares: building DOM safely (text only, never HTML from the service),
// times in words, the signed-in user, signing out, the connection's state and messages to the user.

import { api, ApiError, signIn } from "./api.js";

// el("li", {class: "x", dataset: {id: 1}}, "text", child...) - strings become text nodes, never markup.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });

export function time(iso) {
  return iso ? clock.format(new Date(iso)) : "";
}

export function minutes(ms) {
  const m = Math.round(Math.abs(ms) / 60000);
  if (m < 1) return "under a minute";
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

export function ago(iso, now = Date.now()) {
  return `${minutes(now - new Date(iso))} ago`;
}

// "in 7 min (01:39)" or "overdue by 3 min (01:39)": an ETA or a deadline against the clock.
export function countdown(iso, now = Date.now()) {
  const left = new Date(iso) - now;
  return { overdue: left < 0, text: `${left < 0 ? "overdue by" : "in"} ${minutes(left)} (${time(iso)})` };
}

export function setLive(state) {
  const live = document.getElementById("live");
  if (!live) return;
  const words = {
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Connection lost: reconnecting…",
    closed: "Not live: reload the page",
  };
  live.dataset.state = state;
  live.textContent = words[state] || state;
}

let toastTimer;
export function tell(message, { error = false } = {}) {
  const toast = document.getElementById("toast");
  toast.textContent = message;
  toast.dataset.kind = error ? "error" : "ok";
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.hidden = true), error ? 10000 : 4000);
}

export function failed(error) {
  tell(error instanceof ApiError ? error.message : "The service could not be reached; try again.", { error: true });
}

// The signed-in user (GET /me/) in the bar, and the sign-out button; resolves to the user.
export async function chrome() {
  const me = await api("me/");
  const shown = document.getElementById("me");
  if (shown) shown.textContent = `${me.display_name} · ${me.agency.name}`;
  const out = document.getElementById("sign-out");
  if (out) {
    out.addEventListener("click", async () => {
      try {
        await api("auth/logout/", { method: "POST" });
      } finally {
        signIn("/board/");
      }
    });
  }
  return me;
}

// Run fn at most once per `wait` ms however often it is asked for (a burst of events, one refetch).
export function coalesce(fn, wait = 250) {
  let timer = null;
  let again = false;
  let running = false;
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await fn();
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (!timer) timer = setTimeout(run, wait);
  };
  return schedule;
}

// Ask for a reason in a modal dialog (keyboard and screen-reader friendly: the browser's own <dialog>);
// resolves to the text, or null when cancelled.
export function ask({ title, label, confirm }) {
  return new Promise((resolve) => {
    const input = el("input", { id: "ask-input", name: "reason", required: true, maxlength: "500" });
    const dialog = el(
      "dialog",
      { class: "ask", "aria-labelledby": "ask-title" },
      el(
        "form",
        { method: "dialog" },
        el("h2", { id: "ask-title" }, title),
        el("label", { for: "ask-input" }, label),
        input,
        el(
          "p",
          { class: "buttons" },
          el("button", { type: "submit", value: "ok" }, confirm),
          el("button", { type: "button", class: "quiet", onclick: () => dialog.close("cancel") }, "Cancel"),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "ok" && input.value.trim() ? input.value.trim() : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}
