"""Admission control for websockets and HTTP reads: refuse at once rather than collapse.

After a deploy, a failover or a network blip every phone comes back at the same moment. A process that
took them all on would answer none of them in time (each handshake waits behind every other one), the
phones would time out and retry, and the storm would feed itself. So a process refuses a connection
before it spends anything on it - no token lookup, no database - when:

- it already holds its limit of sockets (WS_MAX_SOCKETS), or
- it is still shaking hands with WS_MAX_CONNECTING others (a burst it has not yet served), or
- its event loop is running late by more than WS_OVERLOAD_LAG_MS (overloaded: a ping would wait).

The refusal is close code 4503 with the reason `{"retry_after_ms": N}`, N spread at random over
[R/2, 3R/2] for R = WS_RETRY_AFTER_MS, so the phones told to wait come back spread out, not in step.

A user holding WS_MAX_SOCKETS_PER_USER sockets on this process is refused the next with 4429 (the same
reason shape): a phone opening sockets in a loop cannot crowd out everyone else's.

Counts are per process: the load balancer spreads phones across processes, and each refuses what it
cannot take, so a refused phone's next try may well land on a process with room.
"""

import asyncio
import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from ooh.metrics import HTTP_READS_SHED, WEBSOCKETS_REFUSED

from .middleware import Application, Receive, Scope, Send

CLOSE_BUSY = 4503
CLOSE_TOO_MANY_SOCKETS = 4429
LAG_INTERVAL = 0.1  # seconds between the loop-lag probe's wake-ups


@dataclass
class Gate:
    """One process's websockets: how many are held, how many are still shaking hands, per user, and
    how late the event loop runs (the probe's last reading, decaying)."""

    sockets: int = 0
    connecting: int = 0
    per_user: Counter[str] = field(default_factory=Counter)
    lag: float = 0.0
    _probe: "asyncio.Task[None] | None" = None

    def busy(self) -> str | None:
        """Why this process refuses a new socket now ("full", "burst", "lagging"), or None."""
        if self.sockets >= settings.WS_MAX_SOCKETS:
            return "full"
        if self.connecting >= settings.WS_MAX_CONNECTING:
            return "burst"
        if self.lag * 1000 > settings.WS_OVERLOAD_LAG_MS:
            return "lagging"
        return None

    def watch_the_loop(self) -> None:
        """Start (or restart, on a new loop) the probe that measures how late the loop wakes."""
        loop = asyncio.get_running_loop()
        if self._probe is None or self._probe.done() or self._probe.get_loop() is not loop:
            self.lag = 0.0
            self._probe = loop.create_task(self._measure_lag())

    async def _measure_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(LAG_INTERVAL)
            self.lag = lag_reading(self.lag, loop.time() - asked - LAG_INTERVAL)


def lag_reading(previous: float, late: float) -> float:
    """The loop's lag after a probe woke `late` seconds late: a late wake-up counts at once; an earlier
    one halves the reading, so one stall is not remembered for long and a run of them is not forgotten
    between two probes."""
    late = max(late, 0.0)
    return late if late >= previous else previous / 2


_gate = Gate()


def gate() -> Gate:
    return _gate


def retry_after_ms() -> int:
    base = settings.WS_RETRY_AFTER_MS
    return random.randint(base // 2, base * 3 // 2)  # noqa: S311  # nosec B311 # jitter, not a secret


async def refuse(receive: Receive, send: Send, code: int, why: str) -> None:
    """Accept the handshake and close at once with `code` and when to come back: a phone reads the
    code (a refused handshake would only say 403)."""
    WEBSOCKETS_REFUSED.labels(code=str(code), why=why).inc()
    message = await receive()
    if message["type"] != "websocket.connect":
        return  # gone before its handshake was read
    await send({"type": "websocket.accept"})
    await send(
        {
            "type": "websocket.close",
            "code": code,
            "reason": json.dumps({"retry_after_ms": retry_after_ms()}, separators=(",", ":")),
        }
    )


class AdmissionMiddleware:
    """Outermost on websockets: refuses with 4503 before anything is spent on a connection, and counts
    the sockets held and the handshakes in progress (until the server's first frame or close)."""

    def __init__(self, app: Application) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        door = gate()
        door.watch_the_loop()
        why = door.busy()
        if why is not None:
            return await refuse(receive, send, CLOSE_BUSY, why)
        door.sockets += 1
        door.connecting += 1
        shaking_hands = True

        async def send_counted(message: dict[str, Any]) -> None:
            nonlocal shaking_hands
            if shaking_hands and message["type"] in ("websocket.send", "websocket.close"):
                shaking_hands = False  # the hello (or a refusal) went out: the handshake is over
                door.connecting -= 1
            await send(message)

        try:
            return await self.app(scope, receive, send_counted)
        finally:
            door.sockets -= 1
            if shaking_hands:
                door.connecting -= 1


class UserSocketLimit:
    """After authentication: a user already holding WS_MAX_SOCKETS_PER_USER sockets on this process is
    refused the next with 4429."""

    def __init__(self, app: Application) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        if user is None:
            return await self.app(scope, receive, send)  # the consumer closes it with 4401
        key = str(user.pk)
        held = gate().per_user
        if held[key] >= settings.WS_MAX_SOCKETS_PER_USER:
            return await refuse(receive, send, CLOSE_TOO_MANY_SOCKETS, "user_limit")
        held[key] += 1
        try:
            return await self.app(scope, receive, send)
        finally:
            held[key] -= 1
            if held[key] <= 0:
                del held[key]


# --- HTTP reads ---------------------------------------------------------------------------------------

# Never queued: the probes and the scraper must answer whatever the load.
UNGATED_PATHS = ("/healthz", "/readyz", "/metrics")
READS = ("GET", "HEAD", "OPTIONS")


class ReadGate:
    """ASGI, before Django: at most HTTP_MAX_CONCURRENT_READS reads at a time in a process; the rest
    wait their turn in the event loop (costing no thread and no database connection), and a read that
    would wait behind HTTP_MAX_WAITING_READS others is answered 503 `busy` at once, with Retry-After.

    Writes never wait here. A storm of phones reading their snapshots would otherwise take a thread and
    a pooled database connection each, and an attendance POST would queue behind all of them: the storm
    must never starve a write."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.waiting = 0

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._slots, self._loop = asyncio.Semaphore(settings.HTTP_MAX_CONCURRENT_READS), loop
        return self._slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in READS or scope["path"] in UNGATED_PATHS:
            return await self.app(scope, receive, send)
        slots = self._semaphore()
        if slots.locked() and self.waiting >= settings.HTTP_MAX_WAITING_READS:
            HTTP_READS_SHED.inc()
            return await busy(send)
        self.waiting += 1
        try:
            await slots.acquire()
        finally:
            self.waiting -= 1
        try:
            return await self.app(scope, receive, send)
        finally:
            slots.release()


async def busy(send: Send) -> None:
    """503 in the API's error shape: come back after Retry-After (seconds, spread at random)."""
    retry = max(1, round(retry_after_ms() / 1000))
    body = json.dumps(
        {
            "type": "server_error",
            "errors": [
                {
                    "code": "busy",
                    "detail": f"Too many phones are reading at once; nothing was read. Try again in {retry} s.",
                    "attr": None,
                }
            ],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry).encode()),
                (b"cache-control", b"no-store"),
                (b"x-request-id", uuid.uuid4().hex.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
