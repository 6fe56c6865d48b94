"""ooh's ASGI layer patches library internals in three places; is each worth it against the plain library?

- handler: ooh.asgi.OneThreadASGIHandler (Django's ASGIHandler with the middleware chain built sync
  and entered once, in one thread) against Django's stock ASGIHandler;
- freeze: gc.freeze() at the end of ooh/asgi.py against no freeze;
- dispatch: api.consumers.AuthenticatedConsumer.dispatch (no thread hop per message) against
  Channels' AsyncConsumer.dispatch (closes stale database connections in a hop before every message).

(HTTP under a WSGI server with only /ws/ on uvicorn is the other plain alternative to the handler; no
WSGI server is installed here, so it is not measured.)

Each variant is one uvicorn process (tests/benchmarks/asgi_layer_app.py: ooh's application with one
patch switched off, OOH_ASGI_LAYER_VARIANT) against its own PostgreSQL database (<DATABASE_URL's
database>_asgi_layer, dropped, created, migrated and seeded by tests/benchmarks/harness/seeding.py) and
REDIS_URL as given, with ooh's production defaults (RedisChannelLayer, psycopg pool). Scenarios
(OOH_ASGIBENCH_SCENARIOS, "SOCKETSxINCIDENTS@POST_EVERY"): 500x5@0.2, many incidents of 100 sockets each
(the handler's and the dispatch's claims are about a busy loop), and 1000x1@0.5, one incident of 1,000
sockets (the dispatch override was written for it). In each run:

- the scenario's websockets on incidents of their own (harness Clients: every seq counted);
- load for WARMUP seconds, then SECONDS timed: an ambulance paramedic POSTs an attendance update every
  POST_EVERY s, rotating over the incidents (each fans out to that incident's sockets), while
  READERS readers each GET, every READ_EVERY s, alternately the incident snapshot (GET
  /api/v1/incidents/{id}/, a watcher's token: need to know, audit row) and /healthz;
- figures: each request's latency (t0 just before it is sent, from a thread with a kept-alive
  session), fan-out delivery (t0 before the POST -> the event read on each socket), the server's CPU
  share and the collector's pauses in the window (from the app's /__bench/gc).

Within a scenario runs are interleaved, the shipped code between the others (shipped, handler off,
freeze off, dispatch off, shipped, ...) for CYCLES cycles, each with the 1-minute load average at its start: the machine is shared,
so the spread between runs of the same variant is the noise a difference must beat. A patch is "worth it"
when switching it off makes the median p99 of a figure (or the CPU share) worse by more than 10% and
every run with it off is worse than every run with it on. Figures go to var/bench/asgi_layer.json and
.md, server logs to var/bench/asgi_layer-<scenario>-<variant>-<cycle>.log. Fails on any event lost or repeated, any
socket dropped or any failed request.

Knobs (environment): OOH_ASGIBENCH_SCENARIOS (500x5@0.2,1000x1@0.5), OOH_ASGIBENCH_CYCLES (3),
OOH_ASGIBENCH_SECONDS (30), OOH_ASGIBENCH_WARMUP (5), OOH_ASGIBENCH_READERS (2), OOH_ASGIBENCH_READ_EVERY (0.1), OOH_ASGIBENCH_VARIANTS (all four, shipped
first), OOH_ASGIBENCH_DB.
"""

import asyncio
import itertools
import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from tests.benchmarks.asgi_layer_app import GC_PATH, VARIANTS
from tests.benchmarks.asgi_layer_report import gc_window, latency, markdown, summarise_variants
from tests.benchmarks.harness.clients import Clients
from tests.benchmarks.harness.locations import OUT_DIR, with_db_path
from tests.benchmarks.harness.runner import run_async
from tests.benchmarks.harness.scenarios import CONNECT_TIMEOUT, Scenario, server_environment
from tests.benchmarks.harness.seeding import prepare_database
from tests.benchmarks.harness.servers import Server, cpu_seconds, error_count, raise_nofile

CYCLES = int(os.environ.get("OOH_ASGIBENCH_CYCLES", "3"))
SECONDS = float(os.environ.get("OOH_ASGIBENCH_SECONDS", "30"))
WARMUP = float(os.environ.get("OOH_ASGIBENCH_WARMUP", "5"))
READERS = int(os.environ.get("OOH_ASGIBENCH_READERS", "2"))
READ_EVERY = float(os.environ.get("OOH_ASGIBENCH_READ_EVERY", "0.1"))
RUN_VARIANTS = [v for v in os.environ.get("OOH_ASGIBENCH_VARIANTS", ",".join(VARIANTS)).split(",") if v]
START_TRIES = 3
DELIVERY_TIMEOUT = 25.0  # longer than the resync interval: a lost wake-up is still filled in
APP = "tests.benchmarks.asgi_layer_app:application"


@dataclass(frozen=True)
class Layout:
    """SOCKETSxINCIDENTS@POST_EVERY: the sockets, spread evenly over the incidents; a POST every s."""

    sockets: int
    incidents: int
    post_every: float

    @property
    def key(self) -> str:
        return f"{self.sockets}x{self.incidents}@{self.post_every:g}"


def _layouts(text: str) -> list[Layout]:
    layouts = []
    for item in filter(None, (x.strip() for x in text.split(","))):
        match = re.fullmatch(r"(\d+)x(\d+)@([\d.]+)", item)
        if not match:
            raise ValueError(f"OOH_ASGIBENCH_SCENARIOS: {item!r}; expected SOCKETSxINCIDENTS@SECONDS")
        incidents = int(match.group(2))
        layouts.append(Layout(int(match.group(1)) // incidents * incidents, incidents, float(match.group(3))))
    return layouts


LAYOUTS = _layouts(os.environ.get("OOH_ASGIBENCH_SCENARIOS", "500x5@0.2,1000x1@0.5"))


def _bench_db(database_url: str) -> str:
    return os.environ.get("OOH_ASGIBENCH_DB") or f"{urlsplit(database_url).path.strip('/')}_asgi_layer"


class Http:
    """Requests from a thread pool, one kept-alive requests.Session per thread; (t0, seconds, status)."""

    def __init__(self, threads: int):
        import requests

        self._requests = requests
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="asgi-bench")

    def _call(self, method, url, headers, body):
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = self._requests.Session()
            session.trust_env = False
        data = None if body is None else json.dumps(body)
        t0 = time.perf_counter()
        response = session.request(method, url, data=data, headers=headers, timeout=60)
        return t0, time.perf_counter() - t0, response.status_code, response.text

    async def __call__(self, method, url, headers=None, body=None):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self._call, method, url, headers or {}, body)

    def close(self):
        self.pool.shutdown(wait=True)


class Load:
    """The paced load of one window: attendance POSTs (each a fan-out) and the readers' GETs."""

    def __init__(self, http, base, clients, incidents, seed, next_seq, post_every):
        self.http, self.base, self.clients, self.incidents = http, base, clients, incidents
        self.post_every = post_every
        self.seed, self.next_seq = seed, next_seq
        self.failures: list[str] = []

    async def _paced(self, every, one, until):
        """Calls one(n) every `every` seconds (late calls start at once, none is skipped) until `until`."""
        start = time.perf_counter()
        for n in itertools.count():
            at = start + n * every
            if at >= until:
                return
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            await one(n)

    async def _post(self, n, record):
        incident = n % len(self.incidents)
        seq = self.next_seq[incident]
        self.next_seq[incident] += 1
        done = self.clients.expect(incident, seq)
        t0, seconds, status, text = await self.http(
            "POST",
            f"http://{self.base}/api/v1/incidents/{self.incidents[incident]}/attendance/",
            {"Authorization": f"Token {self.seed['poster_token']}", "Content-Type": "application/json"},
            {"status": "en_route", "note": f"asgi bench {seq}"},
        )
        if status != 200:  # no event was written (the action is atomic)
            self.next_seq[incident] -= 1
            self.clients.tally.waiting.pop((incident, seq), None)
            self.failures.append(f"POST {status} {text[:200]}")
            return
        if record is not None:
            record["post"].append(seconds)
            record["sent"][(incident, seq)] = (t0, done)

    async def _read(self, reader, n, record):
        tokens = self.seed["tokens"]
        if n % 2:
            url, headers, key = f"http://{self.base}/healthz", {}, "healthz"
        else:
            incident = self.incidents[(n // 2 + reader) % len(self.incidents)]
            token = tokens[(n * READERS + reader) % len(tokens)]
            url, headers = (
                f"http://{self.base}/api/v1/incidents/{incident}/",
                {"Authorization": f"Token {token}"},
            )
            key = "snapshot"
        _, seconds, status, text = await self.http("GET", url, headers)
        if status != 200:
            self.failures.append(f"GET {key} {status} {text[:200]}")
        elif record is not None:
            record[key].append(seconds)

    async def window(self, seconds, record=None):
        until = time.perf_counter() + seconds
        await asyncio.gather(
            self._paced(self.post_every, lambda n: self._post(n, record), until),
            *(
                self._paced(READ_EVERY, lambda n, r=r: self._read(r, n, record), until)
                for r in range(READERS)
            ),
        )


def _delivery(clients, record, incidents: int) -> tuple[dict, dict]:
    """Fan-out latency over every socket and timed event; events lost or repeated on sockets left open."""
    tally, latencies = clients.tally, []
    for key, (t0, _) in record["sent"].items():
        latencies += [t - t0 for t in tally.arrivals[key]]
    lost = duplicated = 0
    for i, counts in enumerate(tally.per_client):
        if not clients.ready[i] or i in tally.dropped:
            continue
        mine = [seq for (incident, seq) in record["sent"] if incident == i % incidents]
        lost += sum(1 for seq in mine if counts.get(seq, 0) == 0)
        duplicated += sum(counts.get(seq, 0) - 1 for seq in mine if counts.get(seq, 0) > 1)
    checks = {"lost": lost, "duplicated": duplicated, "sockets_dropped": len(tally.dropped)}
    return latency(latencies), checks


async def _gc_stats(http, base) -> dict:
    _, _, status, text = await http("GET", f"http://{base}{GC_PATH}")
    assert status == 200, text
    return json.loads(text)


async def measure(layout, variant, cycle, env, seed, incidents, http) -> dict:
    """One variant's server, sockets, warm-up and timed window; its figures."""
    loop = asyncio.get_running_loop()
    log = OUT_DIR / f"asgi_layer-{layout.sockets}x{layout.incidents}-{variant}-{cycle}.log"
    loadavg = [round(x, 2) for x in os.getloadavg()]
    with Server(APP, {**env, "OOH_ASGI_LAYER_VARIANT": variant}, log) as server:
        await loop.run_in_executor(None, server.wait_ready)
        await http("GET", f"http://{server.base}/healthz")
        scenario = Scenario(layout.key, layout.incidents, layout.sockets // layout.incidents, ())
        clients = Clients("ooh", server.base, scenario, incidents, seed["tokens"])
        started = time.perf_counter()
        ready = await clients.connect(CONNECT_TIMEOUT)
        connect_seconds = time.perf_counter() - started
        next_seq = {i: clients.hello_seq.get(i, 0) + 1 for i in range(layout.incidents)}
        load = Load(http, server.base, clients, incidents, seed, next_seq, layout.post_every)
        await load.window(WARMUP)
        record = {"post": [], "snapshot": [], "healthz": [], "sent": {}}
        gc_before = await _gc_stats(http, server.base)
        cpu0, wall0 = cpu_seconds(server.process.pid), time.perf_counter()
        await load.window(SECONDS, record)
        wall = time.perf_counter() - wall0
        cpu = cpu_seconds(server.process.pid) - cpu0
        gc_after = await _gc_stats(http, server.base)
        pending = [asyncio.shield(done) for _, done in record["sent"].values()]
        if pending:
            await asyncio.wait(pending, timeout=DELIVERY_TIMEOUT)
        fanout, checks = _delivery(clients, record, layout.incidents)
        await clients.close()
    return {
        "scenario": layout.key,
        "sockets": layout.sockets,
        "variant": variant,
        "cycle": cycle,
        "loadavg_at_start": loadavg,
        "sockets_ready": ready,
        "connect_seconds": round(connect_seconds, 1),
        "timed_seconds": round(wall, 1),
        "snapshot": latency(record["snapshot"]),
        "healthz": latency(record["healthz"]),
        "attendance_post": latency(record["post"]),
        "fanout": fanout,
        "server_cpu_share": round(cpu / wall, 3) if wall else None,
        "gc": gc_window(gc_before, gc_after),
        **checks,
        "http_failures": load.failures[:5],
        "http_failure_count": len(load.failures),
        "client_problems": clients.tally.problems[:5],
        "server_errors": dict(server.errors.most_common(5)),
        "server_error_count": error_count(server.errors),
    }


async def _measure_retrying(layout, variant, cycle, env, seed, incidents, http) -> dict:
    """measure(), again after a minute (up to START_TRIES times) if the server does not start: the working
    tree is shared, and a module being edited by someone else can fail the import for a while."""
    for attempt in range(1, START_TRIES + 1):
        try:
            return await measure(layout, variant, cycle, env, seed, incidents, http)
        except RuntimeError as exc:
            if "did not start" not in str(exc) or attempt == START_TRIES:
                raise
            print(f"[asgi-bench] {exc}; again in 60 s", flush=True)
            await asyncio.sleep(60)
    raise AssertionError("unreachable")


async def run_all(env, seed, write) -> list[dict]:
    """Every scenario; within each, the variants interleaved cycle by cycle. write(runs) after each run."""
    http = Http(2 + READERS)
    runs = []
    try:
        incidents = iter(seed["incidents"])
        for layout, cycle, variant in itertools.product(LAYOUTS, range(1, CYCLES + 1), RUN_VARIANTS):
            mine = [next(incidents) for _ in range(layout.incidents)]  # fresh incidents: a short replay
            print(f"[asgi-bench] {layout.key} cycle {cycle} {variant} ...", flush=True)
            run = await _measure_retrying(layout, variant, cycle, env, seed, mine, http)
            print(
                f"[asgi-bench] {layout.key} cycle {cycle} {variant:14} load {run['loadavg_at_start'][0]}: "
                f"snapshot p50 {run['snapshot']['p50_ms']} p99 {run['snapshot']['p99_ms']}, healthz p99 "
                f"{run['healthz']['p99_ms']}, POST p99 {run['attendance_post']['p99_ms']}, fan-out p50 "
                f"{run['fanout']['p50_ms']} p99 {run['fanout']['p99_ms']} ms; cpu {run['server_cpu_share']}; "
                f"gen2 {run['gc']['gen2_collections']} ({run['gc']['gen2_total_ms']} ms); lost {run['lost']}",
                flush=True,
            )
            runs.append(run)
            write(runs)  # a run cut short later keeps what it measured
    finally:
        http.close()
    return runs


def _report(runs, started, bench_db, env) -> dict:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "cores": os.cpu_count(),
        "complete": len(runs) == len(LAYOUTS) * CYCLES * len(RUN_VARIANTS),
        "config": {
            "scenarios": [{**layout.__dict__, "key": layout.key} for layout in LAYOUTS],
            "cycles": CYCLES,
            "timed_seconds": SECONDS,
            "warmup_seconds": WARMUP,
            "readers": READERS,
            "read_every_s": READ_EVERY,
            "variants": RUN_VARIANTS,
            "database": bench_db,
            "channel_layer": env.get("OOH_CHANNEL_LAYER", "ooh's default (redis when REDIS_URL is set)"),
        },
        "summary": {
            layout.key: summarise_variants([r for r in runs if r["scenario"] == layout.key])
            for layout in LAYOUTS
            if any(r["scenario"] == layout.key for r in runs)
        },
        "runs": runs,
    }


@pytest.mark.timeout(7200)
def test_asgi_layer_patches_against_the_plain_libraries():
    database_url, _, env = server_environment()
    if not os.environ.get("REDIS_URL"):
        pytest.skip("the ASGI layer benchmark needs Redis: set REDIS_URL")
    bench_db = _bench_db(database_url)
    env = {
        **env,
        "DATABASE_URL": with_db_path(database_url, f"/{bench_db}"),
        "REDIS_URL": os.environ["REDIS_URL"],
    }
    unknown = set(RUN_VARIANTS) - set(VARIANTS)
    assert not unknown, f"OOH_ASGIBENCH_VARIANTS: unknown {sorted(unknown)}; expected {VARIANTS}"
    most = max(layout.sockets for layout in LAYOUTS)
    raise_nofile(2 * most + 1024)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"\n[asgi-bench] preparing {bench_db}: drop, create, migrate, seed {most} tokens", flush=True)
    seed = prepare_database(
        with_db_path(database_url, "/postgres"),
        env,
        bench_db,
        most,
        CYCLES * len(RUN_VARIANTS) * sum(layout.incidents for layout in LAYOUTS),
    )
    json_path, md_path = OUT_DIR / "asgi_layer.json", OUT_DIR / "asgi_layer.md"

    def write(runs):
        report = _report(runs, started, bench_db, env)
        json_path.write_text(json.dumps(report, indent=2))
        md_path.write_text(markdown(report))

    runs = run_async(run_all(env, seed, write))
    print("\n" + md_path.read_text(), flush=True)
    failures = [
        f"{r['scenario']} {r['variant']} cycle {r['cycle']}: lost {r['lost']}, duplicated {r['duplicated']}, "
        f"dropped {r['sockets_dropped']}, ready {r['sockets_ready']}/{r['sockets']}, HTTP {r['http_failures']}"
        for r in runs
        if r["lost"]
        or r["duplicated"]
        or r["sockets_dropped"]
        or r["http_failure_count"]
        or r["sockets_ready"] < r["sockets"]
    ]
    assert not failures, "\n".join(failures)
