"""Websocket fan-out: from the POST of an attendance update to its event on every socket, on real servers.

For each channel layer it runs two uvicorn servers in turn, one process each (OOH_WSBENCH_WORKERS):

- ooh: `uvicorn ooh.asgi:application` against its own PostgreSQL database `ooh_wsbench` (OOH_WSBENCH_DB,
  dropped, created, migrated and seeded by tests/benchmarks/harness/seeding.py at the start of every
  run), with ooh's production defaults. Clients connect to /ws/v1/incidents/{id}/ with `Authorization: Token ...`
  and read hello and the replay; then an ambulance responder POSTs /api/v1/incidents/{id}/attendance/
  ({"status": "en_route"}, a legal repeat) once per round;
- the floor: tests/benchmarks/harness/floor_app.py, a bare consumer that joins a group and forwards one
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
OOH_WSBENCH_DB (ooh_wsbench), OOH_WSBENCH_SIZES (c100=100,c1000=1000,i100x20=100x20: the scenarios'
sockets, cN=N clients on the one incident, i100x20=AxB incidents x clients each; smaller ones check
quickly that it all still works end to end, e.g. "c100=10,c1000=20,i100x20=4x5").

The machinery is in tests/benchmarks/harness (servers, clients, seeding, measurement, report).
"""

import os
import time

import pytest

from tests.benchmarks.harness.charts import line_chart
from tests.benchmarks.harness.clients import Poster, idle_check
from tests.benchmarks.harness.locations import OUT_DIR
from tests.benchmarks.harness.report import build_report, guarantee_failures, rows_of, write_report
from tests.benchmarks.harness.results import RESULTS_DIR, write_result
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
    assert not failures, "events lost or duplicated, or sockets dropped:\n" + "\n".join(failures)


def publish(rows, report):
    """tests/benchmarks/results/fanout.json (each phase: ooh beside its same-work floor, the ratio, the
    absolute target, lost and duplicated) and fanout.png (p50 and p99 against phones)."""
    keep = [
        "layer",
        "scenario",
        "title",
        "clients",
        "incidents",
        "rounds",
        "ooh_p50_ms",
        "ooh_p99_ms",
        "floor_p50_ms",
        "floor_p99_ms",
        "ratio_p50",
        "ratio_p99",
        "within_target",
        "absolute_target_ms",
        "within_absolute",
        "lost",
        "duplicated",
        "sockets_dropped",
        "failed",
    ]
    phases = [{k: r[k] for k in keep} | {"post_p50_ms": r["ooh"]["post_response_p50_ms"]} for r in rows]
    path = write_result(
        "fanout",
        {
            "what": "websocket fan-out, attendance POST to the last phone, ooh beside a same-work floor",
            "target_ratio_p99": TARGET_RATIO,
            "workers": report["config"]["workers"],
            "phases": phases,
        },
        env_names=("OOH_WSBENCH_LAYERS", "OOH_WSBENCH_SIZES", "OOH_WSBENCH_SCENARIOS"),
    )
    series = {}
    for r in rows:
        if r["scenario"].endswith("burst"):
            continue
        for app in ("ooh", "floor"):
            for stat in ("p50", "p99"):
                label = f"{app} {stat} ({r['layer']})"
                series.setdefault(label, []).append((r["clients"], r[f"{app}_{stat}_ms"]))
    chart = line_chart(
        RESULTS_DIR / "fanout.png",
        title="Fan-out: attendance POST to the last phone (one incident; 100 incidents x 20 at 2,000)",
        xlabel="phones subscribed",
        ylabel="latency (ms)",
        series=series,
        targets={"100 phones: p99 50 ms": 50, "1,000 phones: p99 250 ms": 250},
        logx=True,
        logy=True,
        note=f"{report['machine']['cores']} cores, {report['config']['workers']} ASGI processes; {report['date']}",
    )
    return path, chart
