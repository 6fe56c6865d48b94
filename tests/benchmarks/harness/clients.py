"""The fan-out's clients: the HTTP poster (threads, kept-alive sessions) and the websocket clients, one
reader task each, that timestamp every event and count every seq they read (gaps, repeats, order)."""

import asyncio
import json
import os
import re
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .scenarios import CONNECT_CONCURRENCY, IDLE_SECONDS, IDLE_SOCKETS, Scenario, slug


class Poster:
    """POSTs with requests.Session (one per thread, kept alive); returns (t0, t_response, status, text)."""

    def __init__(self, threads: int):
        import requests

        self._requests = requests
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ws-bench-post")

    def _session(self):
        if not hasattr(self.local, "session"):
            self.local.session = self._requests.Session()
            self.local.session.trust_env = False
        return self.local.session

    def post(self, url, headers=None, body=None):
        session = self._session()
        data = None if body is None else json.dumps(body)
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        t0 = time.perf_counter()
        response = session.post(url, data=data, headers=hdrs, timeout=120)
        t1 = time.perf_counter()
        return t0, t1, response.status_code, response.text[:300]

    def get(self, url):
        """The first request to a server: with --workers the parent's socket is bound before a worker
        listens on it, so a refused connection is retried a few times (urllib3's backoff)."""
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        with self._requests.Session() as session:
            session.trust_env = False
            session.mount("http://", HTTPAdapter(max_retries=Retry(connect=10, backoff_factor=0.05)))
            return session.get(url, timeout=60).status_code

    async def apost(self, url, headers=None, body=None):
        return await asyncio.get_running_loop().run_in_executor(self.pool, self.post, url, headers, body)

    def close(self):
        self.pool.shutdown(wait=True)


_SEQ = re.compile(r'"seq":(\d+)')


@dataclass
class Tally:
    """What every client read, and when."""

    per_client: list = field(default_factory=list)  # client -> {seq: count}
    order_breaks: int = 0  # a seq lower than one already read (ooh promises order)
    arrivals: dict = field(default_factory=lambda: defaultdict(list))  # (incident, seq) -> [t]
    waiting: dict = field(default_factory=dict)  # (incident, seq) -> future
    dropped: dict = field(default_factory=dict)  # client -> perf_counter when its ready socket died
    connect_failures: int = 0
    problems: list = field(default_factory=list)
    sizes: list = field(default_factory=list)


@dataclass
class ReadPosition:
    """How far one socket has read: the highest seq, and hello's last_seq once hello came."""

    last: int = 0
    hello_last: int | None = None


class Clients:
    """N websockets over the scenario's incidents, each read by one task that timestamps every event.

    A client is ready once it has read hello and (ooh) the replay up to hello's last_seq. A round is
    complete when every ready client still open on the incident has read the seq.
    """

    def __init__(self, kind: str, base: str, scenario: Scenario, groups: list[str], tokens: list[str]):
        self.kind, self.base, self.scenario = kind, base, scenario
        self.groups, self.tokens = groups, tokens
        self.tally = Tally()
        self.sockets, self.tasks = [], []
        self.hello_seq: dict[int, int] = {}  # incident index -> last_seq at hello (ooh)
        self.alive = [0] * scenario.incidents  # ready and open, per incident
        self.ready = [False] * scenario.clients
        self.closing = False
        self.cutoff = False  # set when the connect deadline passed

    def _url(self, incident: int) -> str:
        if self.kind == "ooh":
            return f"ws://{self.base}/ws/v1/incidents/{self.groups[incident]}/"
        return f"ws://{self.base}/ws/floor/{self.groups[incident]}/"

    async def connect(self, timeout: float):
        """Open every socket, CONNECT_CONCURRENCY handshakes at a time; returns how many are ready."""
        from websockets.asyncio.client import connect

        n = self.scenario.clients
        self.tally.per_client = [defaultdict(int) for _ in range(n)]
        self.sockets = [None] * n
        loop = asyncio.get_running_loop()
        ready = [loop.create_future() for _ in range(n)]
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(i):
            incident = i % self.scenario.incidents
            headers = {"Authorization": f"Token {self.tokens[i]}"} if self.kind == "ooh" else None
            async with gate:
                try:
                    ws = await connect(
                        self._url(incident),
                        additional_headers=headers,
                        proxy=None,
                        open_timeout=timeout,
                        ping_interval=None,
                        max_size=None,
                    )
                except Exception as exc:
                    self.tally.connect_failures += 1
                    self.tally.problems.append(f"connect: {type(exc).__name__}: {exc}"[:200])
                    return
                self.sockets[i] = ws
                self.tasks.append(asyncio.create_task(self._read(i, incident, ws, ready[i])))
                # shielded: cancelling this slot at the deadline must not cancel the reader's future
                await asyncio.shield(ready[i])

        pending = [asyncio.create_task(one(i)) for i in range(n)]
        _, late = await asyncio.wait(pending, timeout=timeout)
        self.cutoff = True  # from here on nobody becomes ready: sockets still not ready are closed, left out
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        await asyncio.gather(
            *(ws.close() for i, ws in enumerate(self.sockets) if ws is not None and not self.ready[i]),
            return_exceptions=True,
        )
        return sum(self.ready)

    async def _read(self, i, incident, ws, ready):
        position = ReadPosition()
        try:
            async for raw in ws:
                self._on_message(i, incident, ready, position, raw, time.perf_counter())
        except Exception as exc:  # a socket that dies is reported; what it misses counts as lost
            if not self.closing:
                self.tally.problems.append(f"client {i}: {type(exc).__name__}: {exc}"[:200])
        finally:
            self._on_closed(i, incident, ready)

    def _on_message(self, i, incident, ready, position, raw, t):
        """Counts the seq read (and an order break); the replay makes the client ready, after which the
        first copy of each event is timed."""
        match = _SEQ.search(raw)
        if match is None:
            self._on_control(i, incident, ready, position, raw)
            return
        seq = int(match.group(1))
        counts = self.tally.per_client[i]
        counts[seq] += 1
        if seq < position.last:
            self.tally.order_breaks += 1
        position.last = max(position.last, seq)
        if not self.ready[i]:
            if position.hello_last is not None and position.last >= position.hello_last:
                self._set_ready(i, incident, ready)
            return  # the replay: not timed
        if counts[seq] == 1:
            self._arrived(incident, seq, t, len(raw))

    def _on_control(self, i, incident, ready, position, raw):
        """A message without a seq: hello (ready at once if the replay is already read), or a problem."""
        message = json.loads(raw)
        if message.get("type") != "hello":
            self.tally.problems.append(raw[:200])
            return
        position.hello_last = message.get("last_seq", 0)
        self.hello_seq.setdefault(incident, position.hello_last)
        if position.hello_last <= position.last:
            self._set_ready(i, incident, ready)

    def _arrived(self, incident, seq, t, size):
        """A ready client read this event at t; the round is complete once every ready, open client of
        the incident has."""
        key = (incident, seq)
        times = self.tally.arrivals[key]
        times.append(t)
        if len(self.tally.sizes) < 50:
            self.tally.sizes.append(size)
        future = self.tally.waiting.get(key)
        if future is not None and len(times) >= self.alive[incident] and not future.done():
            future.set_result(None)

    def _on_closed(self, i, incident, ready):
        """A ready socket that closed before the end no longer counts: rounds of its incident that were
        waiting only for it are complete."""
        if not ready.done():
            ready.set_result(None)  # closed before it was ready: self.ready[i] stays False
        if self.ready[i] and not self.closing:
            self.tally.dropped[i] = time.perf_counter()
            self.alive[incident] -= 1
            arrivals = self.tally.arrivals
            for (inc, seq), future in self.tally.waiting.items():
                done = inc != incident or future.done()
                if not done and len(arrivals[(inc, seq)]) >= self.alive[incident]:
                    future.set_result(None)

    def _set_ready(self, i, incident, ready):
        if not self.ready[i] and not self.cutoff:
            self.ready[i] = True
            self.alive[incident] += 1
        if not ready.done():
            ready.set_result(None)

    def expect(self, incident: int, seq: int):
        """A future done once every ready, open client of the incident has read this seq."""
        future = asyncio.get_running_loop().create_future()
        self.tally.waiting[(incident, seq)] = future
        if len(self.tally.arrivals[(incident, seq)]) >= self.alive[incident]:
            future.set_result(None)
        return future

    async def close(self):
        self.closing = True
        await asyncio.gather(*(ws.close() for ws in self.sockets if ws is not None), return_exceptions=True)
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def idle_check(base: str, layer: str) -> dict:
    """IDLE_SOCKETS sockets on the floor app, idle IDLE_SECONDS, then one group_send: do they all survive
    and read it?"""
    from websockets.asyncio.client import connect

    group = f"idle-{os.getpid()}-{slug(layer)}"
    sockets = [
        await connect(f"ws://{base}/ws/floor/{group}/", proxy=None, ping_interval=None)
        for _ in range(IDLE_SOCKETS)
    ]
    for ws in sockets:
        await ws.recv()  # hello: joined
    await asyncio.sleep(IDLE_SECONDS)  # the point of the check: nothing happens for a while
    loop = asyncio.get_running_loop()
    poster = Poster(1)
    try:
        await poster.apost(f"http://{base}/publish/{group}/?seq=1")
    finally:
        await loop.run_in_executor(None, poster.close)

    async def read(ws):
        try:
            return await asyncio.wait_for(ws.recv(), 10)
        except Exception:
            return None

    received = await asyncio.gather(*(read(ws) for ws in sockets))
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    dropped = sum(1 for ws in sockets if ws.close_code not in (None, 1000))
    return {
        "sockets": len(sockets),
        "idle_seconds": IDLE_SECONDS,
        "received": sum(1 for r in received if r and '"seq":1' in r),
        "dropped": dropped,
    }
