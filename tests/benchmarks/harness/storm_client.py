"""The reconnect storm's phones: one client process holding its share of them, driven by the benchmark
over stdin and stdout, one JSON object a line:

    python -m tests.benchmarks.harness.storm_client        (cwd: the repository)

    in:  {"kind": "ooh"|"floor", "phones": [[token, incident, ws_base, http_base, after|null], ...],
          "timeout": s, "compression": "deflate"|null, "http_client": "raw"|"httpx"}
    out: {"ready": true, "pid": n}
    in:  {"t0": <time.monotonic() of the start>}   - CLOCK_MONOTONIC is one clock for every process
    out: {"settled": s}                            - every phone current or failed, or the timeout
    in:  {"final": {incident: last_seq}, "timeout": s}
    out: {"figures": {...}}                        - every phone's times, the counts; sockets still open
    in:  {"close": true}
    out: {"closed": true, "cpu_s": s}

Several of these processes share the phones (one asyncio process is CPU-bound long before 10,000
sockets), each starting all of its own at the same t0. A phone that holds nothing fetches its state
first (ooh: GET the incident's snapshot; the floor: GET /healthz on ooh's server; each GET on a
connection of its own, HTTP/1.1, by a few lines of asyncio: see http_get), then every phone
opens its socket with `?after=<what it holds>` and is *current* once it holds everything up to the
hello's last_seq. A socket closed with 4503 or 4429 is opened again after the close reason's
retry_after_ms; an HTTP 503 or 429 is asked again after its Retry-After. Anything else fails the phone.
Every event read is checked against what the phone holds: the next seq, or a gap, or a duplicate.
"""

import asyncio
import contextlib
import functools
import json
import os
import re
import resource
import ssl
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

# At import, not at t0: the first phone would otherwise pay for loading the library (a few hundred ms).
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

CLOSE_BUSY = 4503
CLOSE_USER_LIMIT = 4429
REFUSALS = (CLOSE_BUSY, CLOSE_USER_LIMIT)
DEFAULT_RETRY_MS = 1000  # a refusal without a readable retry_after_ms (the contract always gives one)
_SEQ = re.compile(r'"seq":(\d+)')  # the event's own seq comes before its data (api/consumers.py)


class PhoneFailed(Exception):
    """The phone gave up: an answer outside the contract."""


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(slots=True)
class Phone:
    """One phone's state and what happened to it, times in seconds since t0."""

    token: str
    incident: str
    ws_base: str
    http_base: str
    after: int | None  # the seq it holds at t0; None: nothing, it fetches the snapshot first
    held: int = 0  # the highest seq it holds, every one before it included
    hello_last: int | None = None
    started: float | None = None
    fetched_ms: float | None = None  # the successful GET, request to body
    opened_ms: float | None = None  # the successful socket, connect to hello
    hello_at: float | None = None
    current: float | None = None
    attempts: int = 0
    refused: int = 0
    user_limited: int = 0
    http_retries: int = 0
    gaps: int = 0
    duplicates: int = 0
    events: int = 0
    error: str | None = None
    ws: object = None


@dataclass
class Tally:
    """What the process saw beyond each phone: the GETs' latencies, the delays it was told to wait,
    messages that were neither hello nor an event."""

    get_ms: list = field(default_factory=list)
    retry_after_ms: list = field(default_factory=list)
    problems: list = field(default_factory=list)


class Storm:
    """This process's phones: all started at t0, each until current (or failed), then held open."""

    def __init__(self, config: dict):
        self.kind = config["kind"]
        self.timeout = float(config["timeout"])
        self.compression = config.get("compression")
        self.http_client = config.get("http_client", "raw")
        self.phones = [Phone(*p) for p in config["phones"]]
        self.tally = Tally()
        self.pending = len(self.phones)
        self.settled = asyncio.Event()
        self.closing = False
        self.tasks: list[asyncio.Task] = []
        self.t0 = 0.0

    def now(self) -> float:
        return time.monotonic() - self.t0

    async def start(self, t0: float):
        """Every phone at once, at t0: as fast as this process can open them."""
        self.t0 = t0
        await asyncio.sleep(max(0.0, t0 - time.monotonic()))
        self.tasks = [asyncio.create_task(self._phone(p)) for p in self.phones]
        if not self.phones:
            self.settled.set()

    async def settle(self) -> float:
        """Seconds since t0 when every phone was current or failed (or the timeout passed)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settled.wait(), max(0.0, self.t0 + self.timeout - time.monotonic()))
        return self.now()

    def _done(self):
        self.pending -= 1
        if self.pending == 0:
            self.settled.set()

    async def _phone(self, p: Phone):
        p.started = self.now()
        try:
            p.held = await self._fetch(p) if p.after is None else p.after
            await self._stay_connected(p)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any other answer: the phone failed, and says why
            p.error = (str(exc) if isinstance(exc, PhoneFailed) else f"{type(exc).__name__}: {exc}")[:80]
        finally:
            if p.current is None and not self.closing:
                self._done()  # failed before it was current: it settles too

    async def _fetch(self, p: Phone) -> int:
        """The phone's state over HTTP: the snapshot's last_seq (ooh) or /healthz (the floor's HTTP),
        asked again after a 503 or 429's Retry-After."""
        if self.kind == "ooh":
            path, headers = f"/api/v1/incidents/{p.incident}/", {"Authorization": f"Token {p.token}"}
        else:
            path, headers = "/healthz", {}
        get = http_get if self.http_client == "raw" else httpx_get
        while True:
            asked = time.monotonic()
            status, fields, body = await asyncio.wait_for(get(p.http_base, path, headers), self.timeout)
            took = (time.monotonic() - asked) * 1000
            self.tally.get_ms.append(round(took, 2))
            if status in (429, 503):
                p.http_retries += 1
                await asyncio.sleep(_retry_after_seconds(fields.get("retry-after")))
                continue
            if status != 200:
                raise PhoneFailed(f"GET {status}")
            p.fetched_ms = round(took, 2)
            return json.loads(body)["last_seq"] if self.kind == "ooh" else 0

    def _url(self, p: Phone) -> str:
        if self.kind == "ooh":
            return f"ws://{p.ws_base}/ws/v1/incidents/{p.incident}/?after={p.held}"
        return f"ws://{p.ws_base}/ws/storm-floor/"

    async def _stay_connected(self, p: Phone):
        """Open the socket, read it; opened again after a refusal, for as long as the run lasts."""
        headers = {"Authorization": f"Token {p.token}"} if self.kind == "ooh" else None
        while not self.closing:
            p.attempts += 1
            opened = time.monotonic()
            ws = await connect(
                self._url(p),
                additional_headers=headers,
                open_timeout=self.timeout,
                ping_interval=None,
                max_size=None,
                proxy=None,
                compression=self.compression,
                close_timeout=2,
            )
            p.ws = ws
            await self._read(p, ws, opened)
            p.ws = None
            if self.closing:
                return
            if ws.close_code not in REFUSALS:
                raise PhoneFailed(f"closed {ws.close_code}")
            self._count_refusal(p, ws.close_code)
            await asyncio.sleep(self._retry_ms(ws.close_reason) / 1000)

    async def _read(self, p: Phone, ws, opened: float):
        try:
            async for raw in ws:
                self._on_message(p, raw, opened)
        except ConnectionClosed:
            pass  # its code and reason are on the connection

    def _count_refusal(self, p: Phone, code: int):
        if code == CLOSE_BUSY:
            p.refused += 1
        else:
            p.user_limited += 1

    def _retry_ms(self, reason: str) -> float:
        try:
            delay = float(json.loads(reason)["retry_after_ms"])
        except (ValueError, KeyError, TypeError):
            delay = DEFAULT_RETRY_MS
        self.tally.retry_after_ms.append(delay)
        return delay

    def _on_message(self, p: Phone, raw, opened: float):
        if self.kind == "floor":  # its one message: the phone holds what the floor has
            if p.hello_at is None:
                p.opened_ms = round((time.monotonic() - opened) * 1000, 2)
                p.hello_at = self.now()
                self._current(p)
            return
        match = _SEQ.search(raw)
        if match is not None:
            self._on_event(p, int(match.group(1)))
        elif raw.startswith('{"type":"hello"'):
            p.hello_last = json.loads(raw)["last_seq"]
            p.opened_ms = round((time.monotonic() - opened) * 1000, 2)
            p.hello_at = self.now()
        elif len(self.tally.problems) < 20:
            self.tally.problems.append(raw[:200])
        if p.current is None and p.hello_last is not None and p.held >= p.hello_last:
            self._current(p)

    def _on_event(self, p: Phone, seq: int):
        """The next seq, a duplicate (one already held) or a gap (seqs skipped: counted, then held on)."""
        p.events += 1
        if seq == p.held + 1:
            p.held = seq
        elif seq <= p.held:
            p.duplicates += 1
        else:
            p.gaps += seq - p.held - 1
            p.held = seq

    def _current(self, p: Phone):
        p.current = self.now()
        self._done()

    async def catch_up(self, final: dict, timeout: float) -> float:
        """Wait until every open socket holds its incident's last seq (the writer has stopped); returns
        the seconds waited. A socket still behind after the timeout lost events."""
        waited = time.monotonic()
        while time.monotonic() - waited < timeout:
            if all(p.held >= final.get(p.incident, 0) for p in self.phones if p.ws is not None):
                break
            await asyncio.sleep(0.05)
        return time.monotonic() - waited

    def figures(self, final: dict) -> dict:
        phones = self.phones
        open_ = [p for p in phones if p.ws is not None]
        behind = [final.get(p.incident, 0) - p.held for p in open_ if p.held < final.get(p.incident, 0)]
        return {
            "phones": len(phones),
            "holding_at_t0": sum(p.after is not None for p in phones),
            "current_s": [round(p.current, 4) for p in phones if p.current is not None],
            "started_s": [round(p.started, 4) for p in phones if p.started is not None],
            "hello_s": [round(p.hello_at, 4) for p in phones if p.hello_at is not None],
            "fetched_ms": [p.fetched_ms for p in phones if p.fetched_ms is not None],
            "opened_ms": [p.opened_ms for p in phones if p.opened_ms is not None],
            "get_ms": self.tally.get_ms,
            "retry_after_ms": self.tally.retry_after_ms,
            "failed": sum(p.error is not None for p in phones),
            "failed_after_current": sum(p.error is not None and p.current is not None for p in phones),
            "errors": dict(Counter(p.error for p in phones if p.error is not None).most_common(8)),
            "attempts": sum(p.attempts for p in phones),
            "refused_4503": sum(p.refused for p in phones),
            "refused_4429": sum(p.user_limited for p in phones),
            "phones_refused": sum(1 for p in phones if p.refused or p.user_limited),
            "http_retries": sum(p.http_retries for p in phones),
            "gaps": sum(p.gaps for p in phones),
            "duplicates": sum(p.duplicates for p in phones),
            "events_read": sum(p.events for p in phones),
            "open_at_end": len(open_),
            "behind_at_end": len(behind),
            "missing_at_end": sum(behind),
            "problems": self.tally.problems[:5],
        }

    async def close(self):
        self.closing = True
        sockets = [p.ws for p in self.phones if p.ws is not None]
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def http_get(base: str, path: str, headers: dict) -> tuple[int, dict, bytes]:
    """One GET on a connection of its own (a phone's), HTTP/1.1, closed after the answer: (status,
    lower-cased header fields, body). A few lines of asyncio instead of an HTTP library, because the
    client's CPU is the benchmark's noise: httpx measured 1.5-3 ms of CPU a GET here, this about 0.1."""
    host, port = base.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        request = [f"GET {path} HTTP/1.1", f"Host: {base}", "Connection: close"]
        request += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(request) + "\r\n\r\n").encode("latin1"))
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin1").split("\r\n")
        fields = {}
        for line in lines:
            name, _, value = line.partition(":")
            if value:
                fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            body = await reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            body = await _chunks(reader)
        else:
            body = await reader.read()
        return int(status_line.split(" ", 2)[1]), fields, body
    finally:
        writer.close()


async def _chunks(reader) -> bytes:
    body = b""
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        body += await reader.readexactly(size)
        await reader.readexactly(2)  # the chunk's CRLF
    return body


async def httpx_get(base: str, path: str, headers: dict) -> tuple[int, dict, bytes]:
    """The same GET through httpx (OOH_STORM_HTTP_CLIENT=httpx), a client per phone, as a check that
    the few lines above flatter nothing."""
    import httpx

    async with httpx.AsyncClient(verify=_tls(), trust_env=False, timeout=None) as http:
        response = await http.get(f"http://{base}{path}", headers=headers)
        return response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content


@functools.cache
def _tls() -> ssl.SSLContext:
    """Plain HTTP only: one context for every phone's client (httpx would load the CA bundle into a new
    one for each, milliseconds of CPU apiece)."""
    return ssl.create_default_context()


def _retry_after_seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_MS / 1000  # absent, or an HTTP date: a second


def say(message: dict):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def hear() -> dict:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        raise SystemExit("the benchmark went away")
    return json.loads(line)


async def drive(config: dict):
    storm = Storm(config)
    say({"ready": True, "pid": os.getpid()})
    await storm.start((await hear())["t0"])
    say({"settled": round(await storm.settle(), 4), "cpu_s": round(cpu_seconds(), 2)})
    command = await hear()
    waited = await storm.catch_up(command["final"], command["timeout"])
    say({"figures": storm.figures(command["final"]) | {"catch_up_s": round(waited, 2)}})
    await hear()
    await storm.close()
    say({"closed": True, "cpu_s": round(cpu_seconds(), 2)})


def main() -> int:
    config = json.loads(sys.stdin.readline())
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(drive(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
