"""Websocket fan-out: from the POST of an attendance update leaving the client to its event on the last
phone, on real servers, ooh beside a floor that does the same work as bare as Channels allows.

For each channel layer two uvicorn servers run side by side, each as two ASGI processes
(`--workers 2`, OOH_WSBENCH_WORKERS; the kernel spreads the sockets and the POSTs over both, and the
report counts the connections each process held), on the same settings module, database and layer:

- ooh: `uvicorn ooh.asgi:application` against its own PostgreSQL database `ooh_wsbench` (OOH_WSBENCH_DB,
  dropped, created, migrated and seeded by tests/benchmarks/harness/seeding.py at the start of every
  run), with ooh's production defaults. Clients connect to /ws/v1/incidents/{id}/ with `Authorization: Token ...`
  and read hello and the replay; then an ambulance responder POSTs /api/v1/incidents/{id}/attendance/
  ({"status": "en_route"}, a legal repeat) once per round;
- the floor: tests/benchmarks/harness/floor_app.py, the same work done bare: a plain ASGI endpoint runs
  the SQL transaction ooh's attendance update runs, as raw SQL on ooh's own tables (the incident's next
  seq, the attendance row, the event row), then one group_send of the event in ooh's shape and size, to
  bare consumers that forward it (no authentication, no audit, no ordering). Its incidents are its own.

Each scenario runs on ooh and straight after on the floor, so the two figures of a phase are measured
minutes apart on the same machine. Latency is t_i - t0: t0 just before the HTTP request (requests, from
a thread), t_i when client i reads the event with that seq; p50/p99 over every client and every timed
round. Scenarios (sockets opened afresh for each):

- c100: 100 clients on one incident; c1000: 1,000 on one incident; ROUNDS timed after WARMUP;
- i100x20: 100 incidents x 20 clients (2,000 sockets), one POST per round rotating over the incidents,
  each once (100 timed rounds after 5 warm-up: 2,000 samples, like 20 rounds of 100 clients), while
  the other 1,980 sockets sit in their groups; then, on the same sockets,
  i100x20burst: every incident at once, 100 POSTs per round from 16 threads, each timed from its own t0.

Targets (issue "Production: scale-out"): ooh p99 at most 1.25x the floor's in each phase, and at most
50 ms with 100 phones and 250 ms with 1,000; 0 lost, 0 duplicated. A missed target is reported, not a
failure: the test fails only on an event lost, duplicated or (ooh) out of order on an open socket, a
socket the server dropped, a failed POST, or a scenario that failed outright (a server resetting
connections, a timeout): that one is reported as failed with its reason, the other scenarios still
run and every figure is written before the test fails.

Timed rounds stop after OOH_WSBENCH_PHASE_SECONDS (30) and warm-up after 15 s; sockets not ready after
OOH_WSBENCH_CONNECT_TIMEOUT (90 s) are left out (and reported). A server that needed more than 60 s to
open a scenario's sockets, or whose p99 passed 5 s, is saturated: its bigger scenarios are skipped and
the table says why (OOH_WSBENCH_FULL=1 runs them anyway). Every client counts every seq it reads, and
each ooh incident's last_seq is checked in the database.

Figures: var/bench/websockets.json and websockets.md (everything, server logs in
var/bench/websockets-<app>-<layer>.log), and the published copy in tests/benchmarks/results/fanout.json
(each phase, the machine, the date, the commit, the command, the settings) with its chart fanout.png;
a run shrunk by OOH_WSBENCH_SIZES or OOH_WSBENCH_SCENARIOS writes those two into var/bench instead.

test_websockets_survive_an_idle_channel_layer runs first: 20 floor sockets left idle for 12 s (longer
than redis-py 8's default 5 s socket timeout and the layer's 5 s BZPOPMIN), then one group_send; every
socket must still be open and read it.

Knobs (environment): OOH_WSBENCH_LAYERS (redis,redis_pubsub), OOH_WSBENCH_SCENARIOS (c100,c1000,i100x20),
OOH_WSBENCH_ROUNDS (20), OOH_WSBENCH_WARMUP (3), OOH_WSBENCH_PHASE_SECONDS (30),
OOH_WSBENCH_CONNECT_TIMEOUT (90), OOH_WSBENCH_FULL (0), OOH_WSBENCH_WORKERS (2, for both servers),
OOH_WSBENCH_OOH_ENV (extra environment for the ooh server only, to see what a setting buys, e.g.
"OOH_WS_RESYNC_SECONDS=3600"), OOH_WSBENCH_REDIS_URL (default: REDIS_URL's server, db 7),
OOH_WSBENCH_DB (ooh_wsbench), OOH_WSBENCH_SIZES (c100=100,c1000=1000,i100x20=100x20: the scenarios'
sockets, cN=N clients on the one incident, i100x20=AxB incidents x clients each; smaller ones check
quickly that it all still works end to end, e.g. "c100=10,c1000=20,i100x20=4x5").

The machinery is in tests/benchmarks/harness (servers, clients, seeding, measurement, runner, report).
"""

import json
import os
import time

import pytest

from tests.benchmarks.harness.charts import line_chart
from tests.benchmarks.harness.clients import Poster, idle_check
from tests.benchmarks.harness.locations import OUT_DIR
from tests.benchmarks.harness.report import build_report, guarantee_failures, rows_of, write_report
from tests.benchmarks.harness.results import RESULTS_DIR, commit, machine
from tests.benchmarks.harness.runner import run_async, run_layers
from tests.benchmarks.harness.scenarios import (
    BENCH_DB,
    FLOOR_APP,
    IDLE_SOCKETS,
    LAYERS,
    SCENARIOS,
    TARGET_RATIO,
    WORKERS,
    layer_env,
    server_environment,
    slug,
)
from tests.benchmarks.harness.seeding import prepare_database
from tests.benchmarks.harness.servers import Server, raise_nofile

# The idle checks of this session, by layer: they run first and go into the fan-out's report.
_IDLE_RESULTS: dict = {}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("layer", LAYERS)
def test_websockets_survive_an_idle_channel_layer(layer):
    """With nothing published for longer than redis-py 8's default socket_timeout (5 s), every socket
    stays open and reads the next event. RedisChannelLayer's BZPOPMIN waits 5 s too, so without a
    longer socket_timeout its receive raises redis TimeoutError and the consumer (and its socket) dies
    - django/channels_redis#422, redis/redis-py#4091."""
    _, _, env = server_environment()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    env = layer_env(env, layer)
    with Server(FLOOR_APP, env, OUT_DIR / f"websockets-idle-{slug(layer)}.log", WORKERS) as server:
        server.wait_ready()
        Poster(1).get(f"http://{server.base}/ready")
        result = run_async(idle_check(server.base, layer))
    result["server_errors"] = dict(server.errors.most_common(5))
    _IDLE_RESULTS[layer] = result
    print(f"\n[ws-bench] idle {layer}: {result}", flush=True)
    assert result["dropped"] == 0, (
        f"{layer}: {result['dropped']} of {IDLE_SOCKETS} idle sockets dropped: {result}"
    )
    assert result["received"] == result["sockets"], result


@pytest.mark.timeout(1800)
def test_websocket_fanout_against_the_floor():
    database_url, redis_url, env = server_environment()
    nofile = raise_nofile(2 * max(s.clients for s in SCENARIOS) + 1024)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    loadavg = os.getloadavg()
    tokens = max(s.clients for s in SCENARIOS)
    per_layer = sum(s.incidents for s in SCENARIOS)
    print(f"\n[ws-bench] preparing {BENCH_DB}: drop, create, migrate, seed {tokens} tokens", flush=True)
    seed = prepare_database(database_url, env, BENCH_DB, tokens, 2 * per_layer * len(LAYERS))
    seed["database_url"] = env["DATABASE_URL"]
    chunks = [seed["incidents"][i * per_layer : (i + 1) * per_layer] for i in range(2 * len(LAYERS))]
    seed["incidents"] = {
        layer: {"ooh": chunks[2 * i], "floor": chunks[2 * i + 1]} for i, layer in enumerate(LAYERS)
    }
    runs = run_async(run_layers({"env": env, "seed": seed}))
    rows = rows_of(runs)
    report = build_report(runs, rows, redis_url=redis_url, loadavg=loadavg, nofile=nofile)
    report["seconds"] = round(time.perf_counter() - started, 1)
    if _IDLE_RESULTS:  # the idle checks of this session (they run first)
        report["idle"] = dict(_IDLE_RESULTS)
    json_path, md_path = write_report(report)
    print("\n" + md_path.read_text(), flush=True)
    print(f"[ws-bench] wrote {json_path} and {md_path}", flush=True)
    published, chart = publish(rows, report)
    print(f"[ws-bench] wrote {published} and {chart}", flush=True)

    assert json_path.stat().st_size > 0
    assert md_path.stat().st_size > 0
    failures = guarantee_failures(rows)
    assert not failures, "events lost or duplicated, sockets dropped or phases failed:\n" + "\n".join(
        failures
    )


# Each phase's figures as published: the row's, then each server's own under "ooh_" and "floor_".
_ROW_KEYS = (
    "layer",
    "scenario",
    "title",
    "clients",
    "incidents",
    "ooh_p50_ms",
    "ooh_p99_ms",
    "floor_p50_ms",
    "floor_p99_ms",
    "ratio_p50",
    "ratio_p99",
    "within_target",
    "absolute_target_ms",
    "within_absolute",
    "failed",
    "lost",
    "duplicated",
    "sockets_dropped",
)
_SERVER_KEYS = (
    "rounds",
    "samples",
    "max_ms",
    "round_first_client_median_ms",
    "round_last_client_median_ms",
    "post_response_p50_ms",
    "post_response_p99_ms",
    "connections_per_process",
    "connect_seconds",
    "server_cpu_ms_per_post",
    "event_bytes",
    "skipped",
)


def published_phase(row) -> dict:
    phase = {k: row[k] for k in _ROW_KEYS}
    for app in ("ooh", "floor"):
        phase |= {f"{app}_{k}": row[app].get(k) for k in _SERVER_KEYS}
    return phase


def publish(rows, report):
    """fanout.json (each phase: ooh beside its same-work floor, the ratio, the absolute target, lost and
    duplicated, and what each server did) and fanout.png (p50 and p99 against phones, ooh beside the
    floor): into tests/benchmarks/results at full scale, into var/bench when OOH_WSBENCH_SIZES or
    OOH_WSBENCH_SCENARIOS shrank the run, so a quick check never overwrites the published figures."""
    scaled = any(os.environ.get(k) for k in ("OOH_WSBENCH_SIZES", "OOH_WSBENCH_SCENARIOS"))
    folder = OUT_DIR if scaled else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        **report["config"],
        "server_commands": {layer: run["server_commands"] for layer, run in report["runs"].items()},
        "floor_event_bytes": {layer: run["floor_event_bytes"] for layer, run in report["runs"].items()},
    }
    document = {
        "date": report["date"],
        "commit": commit(),
        # The load average when the run started (results.machine() reads it now, at the end).
        "machine": machine() | {"loadavg_at_start": report["machine"]["loadavg"]},
        "command": report["command"],
        "what": "websocket fan-out: an attendance POST leaving the client to the last phone reading its "
        "event, ooh beside a same-work floor (the same SQL transaction as raw SQL and one group_send "
        "to bare consumers) on the same server, settings and channel layer",
        "target": f"ooh p99 <= {TARGET_RATIO} x the floor's in each phase; ooh p99 <= 50 ms with 100 "
        "phones, <= 250 ms with 1,000; 0 lost, 0 duplicated",
        "scaled_down": scaled,
        "settings": settings,
        "phases": [published_phase(r) for r in rows],
    }
    path = folder / "fanout.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    # Against the event's fan-out: the phones on the incident posted to (20 of the 2,000 sockets open
    # in the 100-incident phase), so each point is one POST reaching that many phones.
    series = {}
    for r in rows:
        if r["scenario"].endswith("burst"):
            continue
        for app in ("ooh", "floor"):
            for stat in ("p50", "p99"):
                label = f"{app} {stat}" + (f" ({r['layer']})" if len(report["runs"]) > 1 else "")
                series.setdefault(label, []).append((r["clients"] // r["incidents"], r[f"{app}_{stat}_ms"]))
    chart = line_chart(
        folder / "fanout.png",
        title="Fan-out: attendance POST to the last phone, ooh beside the same-work floor\n"
        "(20: one of 100 incidents x 20 phones, 2,000 sockets open; 100 and 1,000: one incident)",
        xlabel="phones on the incident",
        ylabel="latency (ms)",
        series=series,
        targets={"100 phones: ooh p99 at most 50 ms": 50, "1,000 phones: ooh p99 at most 250 ms": 250},
        logx=True,
        logy=True,
        note=f"{report['machine']['cores']} cores, {report['config']['workers']} ASGI processes each, "
        f"{', '.join(report['runs'])}; {report['date']}",
    )
    return path, chart
