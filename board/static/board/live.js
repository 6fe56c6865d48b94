// A websocket that comes back: a one-use ticket from /api/v1/ws-ticket/ for each connection (the token
// never reaches a URL or the page), backoff with jitter (1 s doubling to 60 s) so a restart never brings
// every screen back in step, and the server's "wait N ms" honoured (close 4503).

import { api, signIn } from "./api.js";

const GIVE_UP = { 4401: "signed-out", 4403: "forbidden", 4404: "not-found", 4400: "bad-request" };

export class LiveSocket {
  // path(): the socket's path now (an incident socket asks from its last seq); onMessage(message);
  // onState(state): "connecting" | "live" | "reconnecting" | "closed"; onEnd(reason) when it gives up.
  constructor({ path, onMessage, onState, onEnd }) {
    Object.assign(this, { path, onMessage, onState, onEnd });
    this.failures = 0;
    this.stopped = false;
    this.open();
  }

  async open() {
    if (this.stopped) return;
    this.onState(this.failures ? "reconnecting" : "connecting");
    let ticket;
    try {
      ticket = (await api("ws-ticket/", { method: "POST" })).ticket;
    } catch (error) {
      if (error.status === 403) return this.end("forbidden");
      return this.retry();
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = new URL(this.path(), `${scheme}://${location.host}`);
    url.searchParams.set("ticket", ticket);
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "hello") {
        this.failures = 0;
        this.onState("live");
      }
      if (message.type !== "pong") this.onMessage(message);
    });
    socket.addEventListener("close", (event) => this.closed(socket, event));
    clearInterval(this.pinger);
    this.pinger = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
    }, 25000);
  }

  closed(socket, event) {
    if (socket !== this.socket || this.stopped) return;
    clearInterval(this.pinger);
    if (event.code === 4401) return signIn();
    if (GIVE_UP[event.code]) return this.end(GIVE_UP[event.code]);
    let wait = null;
    if (event.code === 4503 || event.code === 4429) {
      try {
        wait = JSON.parse(event.reason).retry_after_ms;
      } catch {
        wait = null;
      }
    }
    this.retry(wait);
  }

  retry(wait = null) {
    this.failures += 1;
    this.onState("reconnecting");
    const backoff = Math.min(60000, 1000 * 2 ** Math.min(this.failures - 1, 6));
    const delay = wait ?? backoff / 2 + Math.random() * (backoff / 2);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), delay);
  }

  end(reason) {
    this.stop();
    this.onState("closed");
    if (this.onEnd) this.onEnd(reason);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.socket) this.socket.close();
  }
}
