"""The reconnect storm: every phone of a night reconnecting at once (a network blip, a deploy), on two
ooh processes, beside a floor that does nothing but accept them.

Per phase of N phones (OOH_STORM_PHONES, "1000,10000"):

- ooh runs as the deploy files run it, twice: two separate `uvicorn ooh.asgi:application` processes on
  two ports (no --workers), OOH_CHANNEL_LAYER=redis_pubsub, DEBUG off, JSON logs, the storm's own
  database `ooh_storm` on the DATABASE_URL server (dropped, created, migrated and seeded at the start of
  every run by harness/storm_seed.py: N police responders with a knox token each, one incident per 20
  phones opened by the police with the ambulance service asked to attend, five events each). Fresh
  processes for each phase, each warmed by one snapshot GET and one socket.
- Half the phones hold a seq at t0 (their incident's last_seq minus 0-3 events), the other half hold
  nothing. At t0 every phone goes at once, from OOH_STORM_CLIENTS client processes (2) that each start
  their share together (harness/storm_client.py; one asyncio process alone is CPU-bound long before
  10,000 sockets): a phone holding nothing GETs /api/v1/incidents/{id}/ and takes the snapshot's
  last_seq; then every phone opens /ws/v1/incidents/{id}/?after=<what it holds>, reads hello and the
  events after its seq, and is *current* once it holds every event up to the hello's last_seq. Its time
  is taken then, since t0. Phones are split over the two processes, i mod 2.
- Admission control, per the API contract: a socket closed with 4503 (or 4429) is opened again after
  the close reason's retry_after_ms, from what the phone holds; an HTTP 503 or 429 is asked again after
  its Retry-After. Refusals and retries are counted; any other answer fails the phone.
- Every event a phone reads is checked against what it holds: gaps and duplicates are counted. After
  the last phone is current the writer stops and every open socket must reach its incident's last seq
  (within 12 s: two resync intervals); a socket still behind missed events.
- Meanwhile an ambulance paramedic POSTs attendance updates (OOH_STORM_WRITE_RATE, 5 a second, open
  loop, over the phase's incidents and both processes) from 2.5 s before t0 to 1 s after the last
  phone is current: p50/p99 of the POSTs started during the storm, beside those started before it.
- The floor, in the same run, straight after: the same phones, the same split, against two processes
  of harness/storm_floor_app.py (a raw ASGI websocket: accept, one frame of hello's size, hold); a
  phone holding nothing first GETs /healthz on ooh's processes (the HTTP floor), then opens its socket
  and is current on its one message.
- Every 0.1 s the benchmark reads each server's and each client process's CPU time and resident memory
  from /proc: before t0, at the peak, with the sockets held; CPU from t0 to the last phone current, and
  the clients' beside the servers', so the figures are the server's and the client's share is stated.

Memory: after the phases, one ooh process, then one floor process, each holding OOH_STORM_MEMORY_SOCKETS
sockets (the largest phase's, 10,000), every phone holding a seq: resident memory before and with the
sockets held.

Targets (reported; a missed one fails the test only with OOH_BENCH_ENFORCE_TARGETS=1): 1,000 phones all
current within 1 s of the first connection, 10,000 within 10 s; 0 gaps, 0 duplicates, none missing at
the end; the attendance POST's p99 under 250 ms during the storm; one process holding 10,000 sockets in
under 400 MB resident. Each beside the floor measured in the same run. The test fails outright when a
phase (or the memory figure) could not be run at all, once every figure is written; the other phases
still run.

Figures: tests/benchmarks/results/storm.json and storm.png (phones current against time since t0, one
line per phase, ooh beside the floor) from a full default run; a run with any knob set (below, other
than OOH_STORM_DB and OOH_STORM_REDIS_URL) writes both into var/bench instead. Server and client logs in
var/bench/storm-*.log. A short table is printed at the end.

Knobs (environment): OOH_STORM_PHONES ("1000,10000": the phases), OOH_STORM_INCIDENTS (one per 20
phones), OOH_STORM_CLIENTS (2 client processes), OOH_STORM_WRITE_RATE (5 POSTs a second),
OOH_STORM_TIMEOUT (600 s from t0 for every phone to be current), OOH_STORM_MEMORY_SOCKETS (the largest
phase), OOH_STORM_COMPRESSION ("deflate", websockets' default offer; "none" offers no
permessage-deflate), OOH_STORM_HTTP_CLIENT ("raw": each GET a few lines of asyncio on a connection of
its own, as httpx costs the client 15-25 times the CPU; "httpx" to compare), OOH_STORM_DB (ooh_storm),
OOH_STORM_REDIS_URL (REDIS_URL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/12 \\
        SECRET_KEY=x make bench PYTEST_ARGS="-k storm"
"""

import os
import time

import pytest

from tests.benchmarks.harness import storm_run
from tests.benchmarks.harness.locations import OUT_DIR, redacted
from tests.benchmarks.harness.results import RESULTS_DIR, machine, write_result
from tests.benchmarks.harness.seeding import prepare_database
from tests.benchmarks.harness.servers import raise_nofile
from tests.benchmarks.harness.storm_knobs import knobs as read_knobs
from tests.benchmarks.harness.storm_knobs import shrunk
from tests.benchmarks.harness.storm_report import chart, memory_figures, summarise, table, targets
from tests.benchmarks.harness.storm_seed import SEED_MODULE

EVENTS_PER_INCIDENT = 5
ENV_NAMES = (
    "OOH_STORM_PHONES",
    "OOH_STORM_INCIDENTS",
    "OOH_STORM_CLIENTS",
    "OOH_STORM_WRITE_RATE",
    "OOH_STORM_TIMEOUT",
    "OOH_STORM_MEMORY_SOCKETS",
    "OOH_STORM_COMPRESSION",
    "OOH_STORM_HTTP_CLIENT",
)


def _services(knobs):
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the storm needs PostgreSQL: run with DATABASE_URL=postgres://...")
    if not knobs.redis_url:
        pytest.skip("the storm needs Redis: set REDIS_URL (redis_pubsub, as deployed)")
    return database_url


def _phase(n, seed, env, knobs) -> dict:
    """One phase summarised, or why it failed: the other phases still run."""
    try:
        raw = storm_run.phase(n, seed, env, knobs)
    except Exception as exc:
        return {"phones": n, "failed": f"{type(exc).__name__}: {exc}"[:300]}
    phase = {
        "phones": n,
        "incidents": raw["incidents"],
        "ooh": summarise(raw["ooh"]),
        "floor": summarise(raw["floor"]),
        "server_errors": raw["server_errors"],
        "server_command": raw["server_command"],
    }
    phase["targets"] = targets(phase)
    return phase


def _memory(seed, env, knobs) -> dict:
    try:
        return memory_figures(storm_run.memory(knobs.memory_sockets, seed, env, knobs))
    except Exception as exc:
        return {"sockets": knobs.memory_sockets, "failed": f"{type(exc).__name__}: {exc}"[:300]}


def _said(phase: dict) -> str:
    if phase.get("failed"):
        return f"[storm] {phase['phones']:,} phones: FAILED {phase['failed']}"
    ooh, floor = phase["ooh"], phase["floor"]
    return (
        f"[storm] {phase['phones']:,} phones: ooh all current {ooh['all_current_s']} s (p50 "
        f"{ooh['current_p50_s']} s, {ooh['current']} current, {ooh['failed']} failed, {ooh['refused_4503']} "
        f"refused), floor {floor['all_current_s']} s; gaps {ooh['gaps']}, duplicates {ooh['duplicates']}, "
        f"missing {ooh['missing_at_end']}; POST p99 {ooh.get('writer', {}).get('storm', {}).get('p99_ms')} ms"
    )


def _document(knobs, env, nofile, loadavg, phases, memory) -> dict:
    """storm.json's content: what was measured, how, on what, and the figures."""
    return {
        # The load average when the run started (write_result's own machine() reads it at the end).
        "machine": machine() | {"loadavg_at_start": [round(x, 2) for x in loadavg]},
        "what": "reconnect storm: every phone at once on two ASGI processes (snapshot GET for those "
        "holding nothing, then the socket from what they hold), time until each holds current state, "
        "ooh beside a bare-websocket floor; the attendance POST's latency meanwhile; one process's "
        "memory holding every socket",
        "targets": "1,000 phones all current within 1 s of the first connection, 10,000 within 10 s; 0 "
        "gaps, 0 duplicates; attendance POST p99 < 250 ms during the storm; one process holding 10,000 "
        "sockets < 400 MB resident",
        "scaled_down": bool(shrunk()),
        "knobs_set": shrunk(),
        "settings": {
            "phases": list(knobs.phases),
            "incidents": knobs.incidents or "one per 20 phones",
            "events_per_incident_at_seed": EVENTS_PER_INCIDENT,
            "client_processes": knobs.clients,
            "write_rate_per_s": knobs.write_rate,
            "timeout_s": knobs.timeout,
            "compression": knobs.compression,
            "http_client": knobs.http_client,
            "servers": "two uvicorn processes of ooh.asgi:application on two ports (no --workers), "
            "redis_pubsub, DEBUG off, JSON logs, fresh for each phase",
            "floor": "two uvicorn processes of tests.benchmarks.harness.storm_floor_app (accept, one "
            "frame, hold); its HTTP: GET /healthz on ooh's processes",
            "database": knobs.database,
            "redis": redacted(knobs.redis_url),
            "nofile": nofile,
            # ooh's own settings given to the servers through the environment (admission limits...)
            "server_settings_set": {k: v for k, v in env.items() if k.startswith("OOH_WS_")},
        },
        "load": {
            "loadavg_at_start": [round(x, 2) for x in loadavg],
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "phases": phases,
        "memory": memory,
    }


def _publish(document: dict, phases: list, note: str) -> tuple:
    """storm.json and storm.png: published from a full default run, into var/bench from a shrunk one."""
    folder = OUT_DIR if document["scaled_down"] else RESULTS_DIR
    path = write_result("storm", document, env_names=ENV_NAMES, folder=folder)
    return path, chart(folder / "storm.png", phases, note)


@pytest.mark.timeout(4 * 3600)
def test_reconnect_storm():
    knobs = read_knobs()
    database_url = _services(knobs)
    env = storm_run.server_env(knobs)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started, loadavg = time.perf_counter(), os.getloadavg()
    phones, incidents = storm_run.seed_size(knobs)
    nofile = raise_nofile(phones + 2048)
    print(f"\n[storm] preparing {knobs.database}: {phones:,} phones, {incidents:,} incidents", flush=True)
    seed = prepare_database(
        database_url,
        {**env, "OOH_LOG_LEVEL": "WARNING"},  # the seed's thousands of events, unlogged
        knobs.database,
        phones,
        incidents,
        module=SEED_MODULE,
        extra_args=("--events", str(EVENTS_PER_INCIDENT)),
    )
    phases = []
    for n in knobs.phases:
        phases.append(_phase(n, seed, env, knobs))
        print(_said(phases[-1]), flush=True)
    memory = _memory(seed, env, knobs)
    document = _document(knobs, env, nofile, loadavg, phases, memory)
    document["seconds"] = round(time.perf_counter() - started, 1)
    note = f"{os.cpu_count()} cores; {knobs.clients} client processes; load {loadavg[0]:.2f} at the start"
    path, picture = _publish(document, phases, note)
    print("\n" + table(phases, memory), flush=True)
    print(f"[storm] wrote {path} and {picture}", flush=True)

    broken = [p["phones"] for p in phases if p.get("failed")] + (["memory"] if memory.get("failed") else [])
    assert not broken, f"storm phases that could not run: {broken}; see {path}"
    if os.environ.get("OOH_BENCH_ENFORCE_TARGETS", "0") == "1":
        missed = [(p["phones"], k) for p in phases for k, t in p["targets"].items() if not t["met"]]
        missed += [("memory", "rss")] if memory["target"]["met"] is False else []
        assert not missed, f"targets missed: {missed}"
