"""Websocket fan-out: from the POST of an attendance update to its event on every socket, on real servers.

For each channel layer it runs two uvicorn servers in turn, one process each (OOH_WSBENCH_WORKERS):

- ooh: `uvicorn ooh.asgi:application` against its own PostgreSQL database `ooh_wsbench` (OOH_WSBENCH_DB,
  dropped, created, migrated and seeded by tests/benchmarks/ws_seed.py at the start of every run), with
  ooh's production defaults. Clients connect to /ws/v1/incidents/{id}/ with `Authorization: Token ...`
  and read hello and the replay; then an ambulance responder POSTs /api/v1/incidents/{id}/attendance/
  ({"status": "en_route"}, a legal repeat) once per round;
- the floor: tests/benchmarks/ws_floor_app.py, a bare consumer that joins a group and forwards one
  group_send made by a tiny HTTP endpoint: the least any Channels app can do. Same settings module, so
  the same channel layer and configuration.

Latency is t_i - t0: t0 just before the HTTP request (requests, from a thread), t_i when client i reads
the event with that seq; p50/p99 over every client and every timed round. Scenarios (sockets opened
afresh for each; ooh's on incidents of their own):

- c100: 100 clients on one incident; c1000: 1,000 on one incident; ROUNDS timed after WARMUP;
- i100x20: 100 incidents x 20 clients (2,000 sockets), one POST per round rotating over the incidents,
  each once (100 timed rounds after 5 warm-up: 2,000 samples, like 20 rounds of 100 clients), while
  the other 1,980 sockets sit in their groups; then, on the same sockets,
  i100x20burst: every incident at once, 100 POSTs per round from 16 threads, each timed from its own t0.

Timed rounds stop after OOH_WSBENCH_PHASE_SECONDS (30) and warm-up after 15 s; sockets not ready after
OOH_WSBENCH_CONNECT_TIMEOUT (90 s) are left out (and reported). A server that needed more than 60 s to
open a scenario's sockets, or whose p99 passed 5 s, is saturated: its bigger scenarios are skipped and
the table says why (OOH_WSBENCH_FULL=1 runs them anyway). So the whole file stays near 10 minutes even
when ooh is far from the floor. Every client counts every seq it reads, and each incident's last_seq is
checked in the database; the test fails on any event lost, duplicated or (ooh) out of order on an open
socket, on any socket the server drops and on any failed POST. Figures go to var/bench/websockets.json
and var/bench/websockets.md, server logs to var/bench/websockets-<app>-<layer>.log.

test_websockets_survive_an_idle_channel_layer runs first: 20 floor sockets left idle for 12 s (longer
than redis-py 8's default 5 s socket timeout and the layer's 5 s BZPOPMIN), then one group_send; every
socket must still be open and read it.

Knobs (environment): OOH_WSBENCH_LAYERS (redis,redis_pubsub), OOH_WSBENCH_SCENARIOS (c100,c1000,i100x20),
OOH_WSBENCH_ROUNDS (20), OOH_WSBENCH_WARMUP (3), OOH_WSBENCH_PHASE_SECONDS (30),
OOH_WSBENCH_CONNECT_TIMEOUT (90), OOH_WSBENCH_FULL (0), OOH_WSBENCH_WORKERS (1, for both servers),
OOH_WSBENCH_OOH_ENV (extra environment for the ooh server only, to see what a setting buys, e.g.
"OOH_WS_RESYNC_SECONDS=3600"), OOH_WSBENCH_REDIS_URL (default: REDIS_URL's server, db 7),
OOH_WSBENCH_DB (ooh_wsbench).
"""

import asyncio
import contextlib
import json
import math
import os
import platform
import re
import resource
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
OUT_DIR = BASE_DIR / "var" / "bench"
VENV_BIN = Path(sys.executable).parent

LAYERS = [x.strip() for x in os.environ.get("OOH_WSBENCH_LAYERS", "redis,redis_pubsub").split(",") if x]
ROUNDS = int(os.environ.get("OOH_WSBENCH_ROUNDS", "20"))
WARMUP = int(os.environ.get("OOH_WSBENCH_WARMUP", "3"))
WORKERS = int(os.environ.get("OOH_WSBENCH_WORKERS", "1"))
PHASE_SECONDS = float(os.environ.get("OOH_WSBENCH_PHASE_SECONDS", "30"))
WARMUP_SECONDS = 15.0
# A server that needed longer than this to open a scenario's sockets, or whose p99 exceeded SATURATED_P99_MS,
# is saturated: the bigger scenarios are skipped for it (and say so) unless OOH_WSBENCH_FULL=1.
SATURATED_CONNECT_SECONDS = 60.0
SATURATED_P99_MS = 5000.0
FULL = os.environ.get("OOH_WSBENCH_FULL", "") == "1"
BENCH_DB = os.environ.get("OOH_WSBENCH_DB", "ooh_wsbench")
OOH_SERVER_ENV = dict(x.split("=", 1) for x in shlex.split(os.environ.get("OOH_WSBENCH_OOH_ENV", "")))
TARGET_RATIO = 1.25
ROUND_TIMEOUT = 25.0  # longer than ooh's WS_RESYNC_SECONDS (10): a dropped wake-up is still filled in
CONNECT_CONCURRENCY = 64
CONNECT_TIMEOUT = float(os.environ.get("OOH_WSBENCH_CONNECT_TIMEOUT", "90"))
BURST_THREADS = 16
IDLE_SECONDS = 12  # > 2 x redis-py 8's default socket_timeout (5 s) and the layer's BZPOPMIN (5 s)


@dataclass(frozen=True)
class Phase:
    key: str
    title: str
    mode: str  # "single": one POST per round; "rotate": one per round over the incidents; "burst": all
    rounds: int
    warmup: int


@dataclass(frozen=True)
class Scenario:
    key: str
    incidents: int
    per_incident: int
    phases: tuple

    @property
    def clients(self) -> int:
        return self.incidents * self.per_incident


SCENARIOS = [
    Scenario("c100", 1, 100, (Phase("c100", "100 clients, 1 incident", "single", ROUNDS, WARMUP),)),
    Scenario("c1000", 1, 1000, (Phase("c1000", "1,000 clients, 1 incident", "single", ROUNDS, WARMUP),)),
    Scenario(
        "i100x20",
        100,
        20,
        (
            Phase("i100x20", "100 incidents x 20 clients, 1 POST/round rotating", "rotate", 100, 5),
            Phase("i100x20burst", "100 incidents x 20 clients, 100 POSTs/round", "burst", 5, 1),
        ),
    ),
]
_WANTED = os.environ.get("OOH_WSBENCH_SCENARIOS", "")
if _WANTED:
    SCENARIOS = [s for s in SCENARIOS if s.key in _WANTED.split(",")]


# --- helpers ---------------------------------------------------------------------------------------


def _percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


def _raise_nofile(needed: int) -> dict:
    """Raise the soft fd limit within the hard one; children (the servers) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        new = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    after = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if after != resource.RLIM_INFINITY and after < needed:
        pytest.fail(f"ulimit -n is {after} (hard {hard}); the benchmark needs about {needed}")
    return {"before": soft, "after": after, "hard": hard}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_db_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)


def _die_with_parent():
    """In the child before exec: SIGTERM when the test process dies, so no server outlives a killed run."""
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return pids


def _cpu_seconds(pid: int) -> float:
    """utime + stime of the server and its workers, from /proc."""
    total = 0
    for p in _process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# --- the database ----------------------------------------------------------------------------------


def _prepare_database(database_url: str, env: dict, tokens: int, incidents: int) -> dict:
    """Drop, create, migrate and seed ooh_wsbench (ours alone); returns the seed (tokens, incident ids)."""
    import psycopg

    parts = urlsplit(database_url)
    admin = psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    python = str(VENV_BIN / "python")
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
    done = subprocess.run(
        [python, "-m", "tests.benchmarks.ws_seed", "--tokens", str(tokens), "--incidents", str(incidents)],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout)


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Disconnected|Closed\w*))(?::\s*(.*))?$")
_JSON_LEVEL = re.compile(r'"level": "(ERROR|WARNING|CRITICAL)".*?"message": "((?:[^"\\]|\\.){0,120})')


def _error_summary(line: str) -> str | None:
    """The last line of a traceback ("redis.exceptions.TimeoutError: ..."), or a JSON ERROR/WARNING record."""
    match = _JSON_LEVEL.search(line)
    if match:
        return f"{match.group(1)} {match.group(2).split(chr(92))[0]}"
    match = _EXCEPTION_LINE.match(line.strip())
    if match and not line.startswith((" ", "\t")):
        return f"{match.group(1)}: {(match.group(2) or '')[:100]}".rstrip(": ")
    if "Exception in ASGI application" in line:
        return "uvicorn: Exception in ASGI application"
    return None


# --- the server ------------------------------------------------------------------------------------


class Server:
    """uvicorn in a child process; ready when it logs "Uvicorn running on" (read by a thread, no polling)."""

    def __init__(self, app: str, env: dict, log_path: Path):
        self.port = _free_port()
        self.base = f"127.0.0.1:{self.port}"
        self.command = [
            str(VENV_BIN / "uvicorn"),
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--lifespan",
            "off",
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "5",
            *(["--workers", str(WORKERS)] if WORKERS > 1 else []),
        ]
        self.env = env
        self.log_path = log_path
        self.ready = threading.Event()
        self.errors: Counter = Counter()  # exception summaries and ERROR/WARNING records, counted

    def __enter__(self):
        self.process = subprocess.Popen(
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,
        )
        self.log = self.log_path.open("w")
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()
        return self

    def _drain(self):
        started = 0
        for line in self.process.stderr:
            self.log.write(line)
            if WORKERS == 1 and "Uvicorn running on" in line:
                self.ready.set()  # bound and listening
            if WORKERS > 1 and "Started server process" in line:
                started += 1  # a worker imported the app; it listens a few ms later (see wait_ready)
                if started == WORKERS:
                    self.ready.set()
            summary = _error_summary(line)
            if summary:
                self.errors[summary] += 1
        self.ready.set()  # exited: wait_ready sees it

    def wait_ready(self, timeout=60):
        if not self.ready.wait(timeout) or self.process.poll() is not None:
            raise RuntimeError(f"{self.command} did not start; see {self.log_path}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.drain.join(timeout=5)
        self.log.close()


# --- HTTP, in threads --------------------------------------------------------------------------------


class Poster:
    """POSTs with requests.Session (one per thread, kept alive); returns (t0, t_response, status)."""

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


# --- the clients ---------------------------------------------------------------------------------------


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
        counts = self.tally.per_client[i]
        arrivals = self.tally.arrivals
        waiting = self.tally.waiting
        last = 0
        hello_last = None
        try:
            async for raw in ws:
                t = time.perf_counter()
                match = _SEQ.search(raw)
                if match is None:
                    message = json.loads(raw)
                    if message.get("type") == "hello":
                        hello_last = message.get("last_seq", 0)
                        self.hello_seq.setdefault(incident, hello_last)
                        if hello_last <= last:
                            self._set_ready(i, incident, ready)
                    else:
                        self.tally.problems.append(raw[:200])
                    continue
                seq = int(match.group(1))
                counts[seq] += 1
                if seq < last:
                    self.tally.order_breaks += 1
                last = max(last, seq)
                if not self.ready[i]:
                    if hello_last is not None and last >= hello_last:
                        self._set_ready(i, incident, ready)
                    continue  # the replay: not timed
                if counts[seq] == 1:
                    key = (incident, seq)
                    times = arrivals[key]
                    times.append(t)
                    if len(self.tally.sizes) < 50:
                        self.tally.sizes.append(len(raw))
                    future = waiting.get(key)
                    if future is not None and len(times) >= self.alive[incident] and not future.done():
                        future.set_result(None)
        except Exception as exc:  # a socket that dies is reported; what it misses counts as lost
            if not self.closing:
                self.tally.problems.append(f"client {i}: {type(exc).__name__}: {exc}"[:200])
        finally:
            if not ready.done():
                ready.set_result(None)  # closed before it was ready: self.ready[i] stays False
            if self.ready[i] and not self.closing:
                self.tally.dropped[i] = time.perf_counter()
                self.alive[incident] -= 1
                for (inc, seq), future in waiting.items():
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


# --- one scenario on one server ----------------------------------------------------------------------


class Run:
    """One scenario's sockets on one server, through its phases."""

    def __init__(self, kind, server, scenario, groups, seed, poster, pad):
        self.kind, self.server, self.scenario, self.groups = kind, server, scenario, groups
        self.poster, self.poster_token, self.pad = poster, seed["poster_token"], pad
        self.clients = Clients(kind, server.base, scenario, groups, seed["tokens"])
        self.next_seq: dict[int, int] = {}
        self.http_failures: list[str] = []
        self.database_url = seed.get("database_url")

    async def fire(self, incident: int, record: dict | None):
        """One POST; returns once every open client of the incident has its event (or ROUND_TIMEOUT)."""
        seq = self.next_seq[incident]
        self.next_seq[incident] += 1
        done = self.clients.expect(incident, seq)
        base, group = self.server.base, self.groups[incident]
        if self.kind == "ooh":
            t0, t1, status, text = await self.poster.apost(
                f"http://{base}/api/v1/incidents/{group}/attendance/",
                {"Authorization": f"Token {self.poster_token}"},
                {"status": "en_route", "note": f"bench {seq}"},
            )
        else:
            t0, t1, status, text = await self.poster.apost(
                f"http://{base}/publish/{group}/?seq={seq}&pad={self.pad}"
            )
        if status != 200:  # no event (the action is atomic); one POST per incident in flight at a time
            self.next_seq[incident] -= 1
            self.clients.tally.waiting.pop((incident, seq), None)
            self.http_failures.append(f"{status} {text[:200]}")
            return
        timed_out = False
        try:
            await asyncio.wait_for(asyncio.shield(done), ROUND_TIMEOUT)
        except TimeoutError:
            timed_out = True
        if record is not None:
            record["t0"][(incident, seq)] = t0
            record["post_ms"].append((t1 - t0) * 1000)
            record["timed_out"] += timed_out

    async def round(self, phase: Phase, r: int, record: dict | None):
        if phase.mode == "single":
            await self.fire(0, record)
        elif phase.mode == "rotate":
            await self.fire(r % self.scenario.incidents, record)
        else:
            await asyncio.gather(*(self.fire(i, record) for i in range(self.scenario.incidents)))

    async def run(self) -> dict:
        started = time.perf_counter()
        ready = await self.clients.connect(CONNECT_TIMEOUT)
        connect_seconds = time.perf_counter() - started
        self.next_seq = {i: self.clients.hello_seq.get(i, 0) + 1 for i in range(self.scenario.incidents)}
        replayed_to = {i: seq - 1 for i, seq in self.next_seq.items()}
        results = {}
        for n, phase in enumerate(self.scenario.phases):
            first = dict(self.next_seq)
            record = {"t0": {}, "post_ms": [], "timed_out": 0}
            self.http_failures = []
            cpu = wall = client_cpu = 0.0
            rounds = 0
            if ready:
                warm0 = time.perf_counter()
                for r in range(phase.warmup):
                    await self.round(phase, r, None)
                    if time.perf_counter() - warm0 > WARMUP_SECONDS:
                        break
                measured_from = dict(self.next_seq)
                cpu0, wall0, client0 = (
                    _cpu_seconds(self.server.process.pid),
                    time.perf_counter(),
                    time.process_time(),
                )
                for r in range(phase.rounds):
                    await self.round(phase, r, record)
                    rounds += 1
                    if time.perf_counter() - wall0 > PHASE_SECONDS:
                        break
                wall = time.perf_counter() - wall0
                cpu = _cpu_seconds(self.server.process.pid) - cpu0
                client_cpu = time.process_time() - client0
            else:
                measured_from = dict(self.next_seq)
            if self.kind == "ooh":
                await self._check_seqs_against_the_database()
            # ooh replays from seq 1 on connect: the first phase also checks the replay
            low = {i: (1 if self.kind == "ooh" and n == 0 else first[i]) for i in first}
            results[phase.key] = self._figures(
                phase, record, low, measured_from, rounds, ready, connect_seconds, cpu, wall, client_cpu
            )
            results[phase.key]["replayed_last_seq"] = replayed_to if self.kind == "ooh" and n == 0 else None
        await self.clients.close()
        return results

    async def _check_seqs_against_the_database(self):
        """The Event table is the record: every incident's last_seq must be the last seq POSTed."""
        import psycopg

        def read():
            with psycopg.connect(self.database_url) as db:
                rows = db.execute(
                    "SELECT id::text, last_seq FROM incidents_incident WHERE id::text = ANY(%s)",
                    [list(self.groups)],
                ).fetchall()
            return dict(rows)

        last = await asyncio.get_running_loop().run_in_executor(None, read)
        for i, group in enumerate(self.groups):
            if last.get(group, 0) != self.next_seq[i] - 1:
                self.clients.tally.problems.append(
                    f"incident {group}: last_seq {last.get(group)} in the database, {self.next_seq[i] - 1} expected"
                )
                self.next_seq[i] = last.get(group, 0) + 1

    def _figures(
        self, phase, record, low, measured_from, rounds, ready, connect_seconds, cpu, wall, client_cpu
    ):
        tally, clients = self.clients.tally, self.clients
        latencies, round_max = [], []
        for key, t0 in record["t0"].items():
            times = [t - t0 for t in tally.arrivals[key]]
            latencies += times
            if times:
                round_max.append(max(times))
        lost = duplicated = missed_by_dropped = dropped = 0
        for i, counts in enumerate(tally.per_client):
            if not clients.ready[i]:
                continue
            incident = i % self.scenario.incidents
            missing = sum(
                1 for seq in range(low[incident], self.next_seq[incident]) if counts.get(seq, 0) == 0
            )
            duplicated += sum(
                c - 1 for seq, c in counts.items() if c > 1 and low[incident] <= seq < self.next_seq[incident]
            )
            if i in tally.dropped:
                missed_by_dropped += missing
                dropped += 1
            else:
                lost += missing
        posts = len(record["t0"])
        post_ms = record["post_ms"]
        return {
            "clients": self.scenario.clients,
            "clients_ready": ready,
            "rounds": rounds,
            "rounds_planned": phase.rounds,
            "warmup_rounds": phase.warmup,
            "posts_timed": posts,
            "samples": len(latencies),
            "p50_ms": _ms(_percentile(latencies, 0.50)),
            "p99_ms": _ms(_percentile(latencies, 0.99)),
            "max_ms": _ms(max(latencies) if latencies else None),
            "round_last_client_median_ms": _ms(statistics.median(round_max) if round_max else None),
            "post_response_p50_ms": round(statistics.median(post_ms), 1) if post_ms else None,
            "post_response_p99_ms": round(_percentile(post_ms, 0.99), 1) if post_ms else None,
            "lost": lost,
            "duplicated": duplicated,
            "out_of_order": tally.order_breaks,
            "sockets_dropped": dropped,
            "missed_by_dropped_sockets": missed_by_dropped,
            "rounds_timed_out": record["timed_out"],
            "connect_failures": tally.connect_failures,
            "client_problems": tally.problems[:5],
            "http_failures": self.http_failures[:5],
            "http_failure_count": len(self.http_failures),
            "connect_seconds": round(connect_seconds, 1),
            "timed_seconds": round(wall, 1),
            "server_cpu_ms_per_post": round(cpu * 1000 / posts, 2) if posts else None,
            "server_cpu_share": round(cpu / wall, 2) if wall else None,
            "client_cpu_share": round(client_cpu / wall, 2) if wall else None,
            "event_bytes": int(statistics.median(tally.sizes)) if tally.sizes else None,
            "measured_seqs_from": None if self.scenario.incidents > 1 else measured_from[0],
        }


def _saturation(scenario, res) -> str | None:
    if res["clients_ready"] < res["clients"]:
        return f"saturated at {scenario.clients} sockets: {res['clients_ready']} ready after {CONNECT_TIMEOUT:.0f} s"
    if res["connect_seconds"] > SATURATED_CONNECT_SECONDS:
        return f"saturated at {scenario.clients} sockets: {res['connect_seconds']} s to connect them"
    if (res["p99_ms"] or 0) > SATURATED_P99_MS:
        return f"saturated at {scenario.clients} sockets: p99 {res['p99_ms']} ms"
    return None


def _skipped(scenario, reason) -> dict:
    figures = dict.fromkeys(
        ("p50_ms", "p99_ms", "max_ms", "post_response_p50_ms", "server_cpu_share", "client_cpu_share"),
    )
    figures.update(dict.fromkeys(("connect_seconds", "event_bytes", "round_last_client_median_ms")))
    return {
        **figures,
        "skipped": reason,
        "clients": scenario.clients,
        "clients_ready": 0,
        "rounds": 0,
        "lost": 0,
        "duplicated": 0,
        "out_of_order": 0,
        "sockets_dropped": 0,
        "http_failures": [],
        "client_problems": [],
    }


def _layer_env(env: dict, layer: str) -> dict:
    return {**env, "OOH_CHANNEL_LAYER": layer}


def _slug(layer: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", layer)


async def _run_server(kind, layer, env, seed, run_tag, pad, poster):
    app = "ooh.asgi:application" if kind == "ooh" else "tests.benchmarks.ws_floor_app:application"
    if kind == "ooh":
        env = {**env, **OOH_SERVER_ENV}
    results = {}
    loop = asyncio.get_running_loop()
    with Server(app, env, OUT_DIR / f"websockets-{kind}-{_slug(layer)}.log") as server:
        await loop.run_in_executor(None, server.wait_ready)
        await loop.run_in_executor(
            None, poster.get, f"http://{server.base}/" + ("healthz" if kind == "ooh" else "ready")
        )
        incidents = iter(seed["incidents"][layer])
        saturated = None
        for scenario in SCENARIOS:
            if kind == "ooh":
                groups = [next(incidents) for _ in range(scenario.incidents)]
            else:
                groups = [f"{run_tag}-{_slug(layer)}-{scenario.key}-{i}" for i in range(scenario.incidents)]
            if saturated and not FULL:
                print(f"[ws-bench] {layer:12} {kind:5} {scenario.clients:>5} sockets: skipped, {saturated}")
                results.update({phase.key: _skipped(scenario, saturated) for phase in scenario.phases})
                continue
            print(f"[ws-bench] {layer:12} {kind:5} {scenario.clients:>5} sockets ...", flush=True)
            phases = await Run(kind, server, scenario, groups, seed, poster, pad).run()
            for key, res in phases.items():
                print(
                    f"[ws-bench] {layer:12} {kind:5} {key:12} p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms "
                    f"over {res['rounds']} rounds; lost {res['lost']}, dup {res['duplicated']}, dropped "
                    f"{res['sockets_dropped']} (connect {res['connect_seconds']} s, "
                    f"{res['clients_ready']}/{res['clients']} ready, POST p50 {res['post_response_p50_ms']} ms)",
                    flush=True,
                )
                saturated = saturated or _saturation(scenario, res)
            results.update(phases)
    return results, dict(server.errors.most_common(8)), shlex.join(server.command)


async def _main(config) -> dict:
    poster = Poster(BURST_THREADS)
    runs = {}
    try:
        for layer in LAYERS:
            env = _layer_env(config["env"], layer)
            ooh, ooh_errors, ooh_cmd = await _run_server(
                "ooh", layer, env, config["seed"], config["run_tag"], 0, poster
            )
            sizes = [r["event_bytes"] for r in ooh.values() if r["event_bytes"]]
            pad = int(statistics.median(sizes)) if sizes else 600
            floor, floor_errors, floor_cmd = await _run_server(
                "floor", layer, env, config["seed"], config["run_tag"], pad, poster
            )
            runs[layer] = {
                "ooh": ooh,
                "floor": floor,
                "floor_event_bytes": pad,
                "server_errors": {"ooh": ooh_errors, "floor": floor_errors},
                "server_commands": {"ooh": ooh_cmd, "floor": floor_cmd},
                "ooh_extra_env": OOH_SERVER_ENV,
            }
    finally:
        poster.close()
    return runs


def _run_async(coro):
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


# --- report ----------------------------------------------------------------------------------------


def _ratio(a, b):
    return None if not a or not b else round(a / b, 2)


def _rows(runs):
    rows = []
    for layer, run in runs.items():
        for scenario in SCENARIOS:
            for phase in scenario.phases:
                ooh, floor = run["ooh"][phase.key], run["floor"][phase.key]
                ratio_p99 = _ratio(ooh["p99_ms"], floor["p99_ms"])
                rows.append(
                    {
                        "layer": layer,
                        "scenario": phase.key,
                        "title": phase.title,
                        "clients": scenario.clients,
                        "incidents": scenario.incidents,
                        "rounds": ooh["rounds"],
                        "floor_rounds": floor["rounds"],
                        "ooh_p50_ms": ooh["p50_ms"],
                        "ooh_p99_ms": ooh["p99_ms"],
                        "floor_p50_ms": floor["p50_ms"],
                        "floor_p99_ms": floor["p99_ms"],
                        "ratio_p50": _ratio(ooh["p50_ms"], floor["p50_ms"]),
                        "ratio_p99": ratio_p99,
                        "within_target": ratio_p99 is not None and ratio_p99 <= TARGET_RATIO,
                        "lost": ooh["lost"] + floor["lost"],
                        "duplicated": ooh["duplicated"] + floor["duplicated"],
                        "sockets_dropped": ooh["sockets_dropped"] + floor["sockets_dropped"],
                        "ooh": ooh,
                        "floor": floor,
                    }
                )
    return rows


def _keeps_guarantee(r, app) -> bool:
    x = r[app]
    return (
        x["lost"] == 0
        and x["duplicated"] == 0
        and x["sockets_dropped"] == 0
        and (app == "floor" or x["out_of_order"] == 0)
    )


def _error_count(errors: dict) -> int:
    """Unhandled exceptions in the ASGI app plus ERROR/CRITICAL log records."""
    return errors.get("uvicorn: Exception in ASGI application", 0) + sum(
        v for k, v in errors.items() if k.startswith(("ERROR", "CRITICAL"))
    )


def _recommend(runs, rows) -> dict:
    """The fastest layer (geometric mean of ooh's p99 over the scenarios measured on every layer) among
    those that kept ooh's guarantee: no event lost, duplicated or out of order, no socket dropped."""
    measured = {r["scenario"] for r in rows if r["ooh_p99_ms"]}
    for r in rows:
        if not r["ooh_p99_ms"]:
            measured.discard(r["scenario"])
    scores = {}
    for layer in runs:
        mine = [r for r in rows if r["layer"] == layer]
        p99s = [r["ooh_p99_ms"] for r in mine if r["scenario"] in measured]
        geo = math.exp(statistics.fmean(math.log(v) for v in p99s)) if p99s else None
        scores[layer] = {
            "keeps_guarantee": all(_keeps_guarantee(r, "ooh") for r in mine),
            "ooh_p99_geomean_ms": None if geo is None else round(geo, 1),
            "floor_keeps_guarantee": all(_keeps_guarantee(r, "floor") for r in mine),
            "server_errors": {app: _error_count(e) for app, e in runs[layer]["server_errors"].items()},
        }
    eligible = [k for k, v in scores.items() if v["keeps_guarantee"] and v["ooh_p99_geomean_ms"]]
    best = min(eligible, key=lambda k: scores[k]["ooh_p99_geomean_ms"]) if eligible else None
    return {"layer": best, "over_scenarios": sorted(measured), "scores": scores}


def _cell(value) -> str:
    return "-" if value is None else str(value)


def _markdown(report) -> str:
    config = report["config"]
    lines = [
        "# Websocket fan-out: POST of an attendance update -> the event on every socket",
        "",
        f"- date: {report['date']}; {report['seconds']} s",
        f"- machine: {report['machine']['cores']} cores, {report['machine']['platform']}, "
        f"Python {report['machine']['python']}; load average at start {report['machine']['loadavg']}",
        f"- servers: uvicorn, {config['workers']} process(es) each, ooh on PostgreSQL `{config['database']}` "
        f"with its production defaults{' plus ' + str(config['ooh_extra_env']) if config['ooh_extra_env'] else ''}, "
        f"channel layer on {config['redis_url']}; clients: `websockets` on uvloop in the test process",
        f"- rounds: up to {config['rounds']} timed after {config['warmup']} warm-up (i100x20: 100 POSTs "
        "rotating over the incidents after 5 warm-up; burst: 5 rounds of 100 concurrent POSTs after 1); "
        f"timed rounds stop after {config['phase_seconds']} s",
        "- latency: t_i - t0 over every client and timed round; t0 just before the HTTP POST; target: ooh "
        f"p99 <= {TARGET_RATIO} x the floor's",
        f"- command: `{report['command']}`",
        "",
        "| layer | scenario | clients | rounds | ooh p50 | ooh p99 | floor p50 | floor p99 | p50 x | p99 x "
        "| ooh POST p50 | lost | dup | dropped |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for r in report["results"]:
        o = r["ooh"]
        clients = (
            r["clients"]
            if o["clients_ready"] in (r["clients"], 0)
            else f"{o['clients_ready']}/{r['clients']}"
        )
        if o.get("skipped"):
            notes.append(f"- {r['layer']} {r['scenario']}: ooh not measured, {o['skipped']}")
        elif o["clients_ready"] < r["clients"]:
            notes.append(
                f"- {r['layer']} {r['scenario']}: only {o['clients_ready']} of {r['clients']} ooh sockets "
                f"were ready after {CONNECT_TIMEOUT:.0f} s; the rounds ran with those"
            )
        if r["rounds"] and r["rounds"] < o.get("rounds_planned", r["rounds"]):
            notes.append(
                f"- {r['layer']} {r['scenario']}: ooh ran {r['rounds']} of {o['rounds_planned']} timed rounds "
                f"in the {PHASE_SECONDS:.0f} s allowed"
            )
        cells = [
            r["layer"],
            r["title"],
            clients,
            r["rounds"],
            r["ooh_p50_ms"],
            r["ooh_p99_ms"],
            r["floor_p50_ms"],
            r["floor_p99_ms"],
            r["ratio_p50"],
            _cell(r["ratio_p99"]) + ("" if r["within_target"] else " (!)"),
            o["post_response_p50_ms"],
            r["lost"],
            r["duplicated"],
            r["sockets_dropped"],
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    rec = report["recommendation"]
    lines += ["", *notes] if notes else []
    lines += [
        "",
        "Milliseconds. (!) = outside the target. `ooh POST p50`: the attendance POST's own response time "
        "(ooh publishes before it responds). lost / dup: events missing / repeated on sockets that stayed "
        "open (ooh + floor); dropped: sockets the server closed during the run (their events are not "
        "counted as lost).",
        "",
        f"Recommendation: **OOH_CHANNEL_LAYER={rec['layer']}** (the fastest layer that kept every socket "
        "open and every event exactly once, in order)"
        if rec["layer"]
        else "Recommendation: none - no layer kept every socket open with every event exactly once",
        "",
        f"| layer | ooh: 0 lost, 0 dup, in order, no socket dropped | floor: same | geomean of ooh p99 "
        f"over {', '.join(rec['over_scenarios'])} (ms) | server log errors (ooh / floor) |",
        "|---|---|---|---:|---|",
    ]
    for layer, score in rec["scores"].items():
        lines.append(
            f"| {layer} | {score['keeps_guarantee']} | {score['floor_keeps_guarantee']} | "
            f"{score['ooh_p99_geomean_ms']} | {score['server_errors']['ooh']} / {score['server_errors']['floor']} |"
        )
    lines += [
        "",
        "Share of one core used while timing, connect time of all the sockets:",
        "",
        "| layer | scenario | ooh server | floor server | ooh client | floor client | ooh connect s "
        "| floor connect s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        o, f = r["ooh"], r["floor"]
        cells = [
            r["layer"],
            r["scenario"],
            o["server_cpu_share"],
            f["server_cpu_share"],
            o["client_cpu_share"],
            f["client_cpu_share"],
            o["connect_seconds"],
            f["connect_seconds"],
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    errors = [
        (layer, app, e) for layer, run in report["runs"].items() for app, e in run["server_errors"].items()
    ]
    if any(e for *_, e in errors):
        lines += ["", "Server log (counted lines; logs in var/bench/websockets-<app>-<layer>.log):", ""]
        for layer, app, e in errors:
            for message, count in e.items():
                lines.append(f"- {layer} {app}: {count} x `{message}`")
    if report.get("idle"):
        lines += ["", "Idle check (floor app, sockets left idle, then one group_send):", ""]
        for layer, idle in report["idle"].items():
            lines.append(
                f"- {layer}: {idle['sockets']} sockets idle {idle['idle_seconds']} s -> "
                f"{idle['dropped']} dropped, {idle['received']} received the message afterwards"
            )
    return "\n".join(lines) + "\n"


def _config():
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the websocket benchmark needs PostgreSQL: run with DATABASE_URL=postgres://...")
    redis_url = os.environ.get("OOH_WSBENCH_REDIS_URL") or (
        _with_db_path(os.environ["REDIS_URL"], "/7") if os.environ.get("REDIS_URL") else ""
    )
    if not redis_url:
        pytest.skip("the websocket benchmark needs Redis: set REDIS_URL (it uses db 7 on that server)")
    env = {
        **os.environ,
        "DATABASE_URL": _with_db_path(database_url, f"/{BENCH_DB}"),
        "REDIS_URL": redis_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "insecure-key-for-the-websocket-benchmark",
        "DJANGO_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "ooh.settings",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("OOH_CHANNEL_LAYER", "DATABASE_CONN_MAX_AGE", "OOH_WS_RESYNC_SECONDS"):
        env.pop(name, None)  # the servers run with ooh's defaults unless OOH_WSBENCH_OOH_ENV says otherwise
    return database_url, redis_url, env


# --- the tests -------------------------------------------------------------------------------------------


_IDLE_RESULTS: dict = {}


async def _idle_check(base: str, layer: str) -> dict:
    """N sockets on the floor app, idle IDLE_SECONDS, then one group_send: do they all survive and read it?"""
    from websockets.asyncio.client import connect

    group = f"idle-{os.getpid()}-{_slug(layer)}"
    sockets = [
        await connect(f"ws://{base}/ws/floor/{group}/", proxy=None, ping_interval=None) for _ in range(20)
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


@pytest.mark.timeout(300)
@pytest.mark.parametrize("layer", LAYERS)
def test_websockets_survive_an_idle_channel_layer(layer):
    """With nothing published for longer than redis-py 8's default socket_timeout (5 s), every socket
    stays open and reads the next event. RedisChannelLayer's BZPOPMIN waits 5 s too, so without a
    longer socket_timeout its receive raises redis TimeoutError and the consumer (and its socket) dies
    - django/channels_redis#422, redis/redis-py#4091."""
    _, _, env = _config()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    env = _layer_env(env, layer)
    with Server(
        "tests.benchmarks.ws_floor_app:application", env, OUT_DIR / f"websockets-idle-{_slug(layer)}.log"
    ) as server:
        server.wait_ready()
        Poster(1).get(f"http://{server.base}/ready")
        result = _run_async(_idle_check(server.base, layer))
    result["server_errors"] = dict(server.errors.most_common(5))
    _IDLE_RESULTS[layer] = result
    print(f"\n[ws-bench] idle {layer}: {result}", flush=True)
    assert result["dropped"] == 0, f"{layer}: {result['dropped']} of 20 idle sockets dropped: {result}"
    assert result["received"] == result["sockets"], result


@pytest.mark.timeout(1800)
def test_websocket_fanout_against_the_floor():
    database_url, redis_url, env = _config()
    nofile = _raise_nofile(2 * max(s.clients for s in SCENARIOS) + 1024)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    loadavg = os.getloadavg()
    tokens = max(s.clients for s in SCENARIOS)
    per_layer = sum(s.incidents for s in SCENARIOS)
    print(f"\n[ws-bench] preparing {BENCH_DB}: drop, create, migrate, seed {tokens} tokens", flush=True)
    seed = _prepare_database(database_url, env, tokens, per_layer * len(LAYERS))
    seed["database_url"] = env["DATABASE_URL"]
    seed["incidents"] = {
        layer: seed["incidents"][i * per_layer : (i + 1) * per_layer] for i, layer in enumerate(LAYERS)
    }
    run_tag = f"{os.getpid()}-{int(time.time())}"
    runs = _run_async(_main({"env": env, "seed": seed, "run_tag": run_tag}))
    rows = _rows(runs)
    shown_env = " ".join(
        f"{k}={_redacted(os.environ[k]) if k != 'SECRET_KEY' else '...'}"
        for k in (
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            *sorted(k for k in os.environ if k.startswith("OOH_WSBENCH_")),
        )
        if k in os.environ
    )
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg": [round(x, 2) for x in loadavg],
            "nofile": nofile,
        },
        "command": f"{shown_env} .venv/bin/pytest {shlex.join(sys.argv[1:])}".strip(),
        "config": {
            "layers": LAYERS,
            "rounds": ROUNDS,
            "warmup": WARMUP,
            "workers": WORKERS,
            "phase_seconds": PHASE_SECONDS,
            "database": BENCH_DB,
            "redis_url": _redacted(redis_url),
            "round_timeout_seconds": ROUND_TIMEOUT,
            "ooh_extra_env": OOH_SERVER_ENV,
            "scenarios": [{**s.__dict__, "phases": [p.__dict__ for p in s.phases]} for s in SCENARIOS],
        },
        "results": rows,
        "recommendation": _recommend(runs, rows),
        "runs": runs,
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    json_path, md_path = OUT_DIR / "websockets.json", OUT_DIR / "websockets.md"
    if _IDLE_RESULTS:  # the idle checks of this session (they run first)
        report["idle"] = dict(_IDLE_RESULTS)
    json_path.write_text(json.dumps(report, indent=2))
    md_path.write_text(_markdown(report))
    print("\n" + md_path.read_text(), flush=True)
    print(f"[ws-bench] wrote {json_path} and {md_path}", flush=True)

    assert json_path.stat().st_size > 0
    assert md_path.stat().st_size > 0
    failures = [
        f"{r['layer']} {r['scenario']} {app}: lost {r[app]['lost']}, duplicated {r[app]['duplicated']}, "
        f"ready {r[app]['clients_ready']}/{r[app]['clients']}, dropped {r[app]['sockets_dropped']}, "
        f"HTTP {r[app]['http_failures']}, clients {r[app]['client_problems']}"
        for r in rows
        for app in ("ooh", "floor")
        if not _keeps_guarantee(r, app) or r[app]["http_failures"]
    ]
    assert not failures, "events lost or duplicated, or sockets dropped:\n" + "\n".join(failures)
