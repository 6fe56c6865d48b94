"""Every layer in turn: ooh's server, then the floor's (its events padded to ooh's size), each through
every scenario until it saturates."""

import asyncio
import shlex
import statistics

from .clients import Poster
from .locations import OUT_DIR
from .measurement import Run, saturation, skipped
from .scenarios import (
    BURST_THREADS,
    FLOOR_APP,
    FULL,
    LAYERS,
    OOH_APP,
    OOH_SERVER_ENV,
    SCENARIOS,
    WORKERS,
    layer_env,
    slug,
)
from .servers import Server


async def run_server(kind, layer, env, seed, run_tag, pad, poster):
    app = OOH_APP if kind == "ooh" else FLOOR_APP
    if kind == "ooh":
        env = {**env, **OOH_SERVER_ENV}
    results = {}
    loop = asyncio.get_running_loop()
    with Server(app, env, OUT_DIR / f"websockets-{kind}-{slug(layer)}.log", WORKERS) as server:
        await loop.run_in_executor(None, server.wait_ready)
        await loop.run_in_executor(
            None, poster.get, f"http://{server.base}/" + ("healthz" if kind == "ooh" else "ready")
        )
        # Each its own incidents: the floor writes the same rows as ooh, on incidents ooh never touches.
        incidents = iter(seed["incidents"][layer][kind])
        saturated = None
        for scenario in SCENARIOS:
            groups = [next(incidents) for _ in range(scenario.incidents)]
            if saturated and not FULL:
                print(f"[ws-bench] {layer:12} {kind:5} {scenario.clients:>5} sockets: skipped, {saturated}")
                results.update({phase.key: skipped(scenario, saturated) for phase in scenario.phases})
                continue
            print(f"[ws-bench] {layer:12} {kind:5} {scenario.clients:>5} sockets ...", flush=True)
            try:
                phases = await Run(kind, server, scenario, groups, seed, poster, pad).run()
            except Exception as exc:  # a phase that fails is reported; the others still run
                reason = f"failed: {type(exc).__name__}: {exc}"[:300]
                print(f"[ws-bench] {layer:12} {kind:5} {scenario.clients:>5} sockets: {reason}", flush=True)
                results.update({phase.key: skipped(scenario, reason) for phase in scenario.phases})
                continue
            for key, res in phases.items():
                print(
                    f"[ws-bench] {layer:12} {kind:5} {key:12} p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms "
                    f"over {res['rounds']} rounds; lost {res['lost']}, dup {res['duplicated']}, dropped "
                    f"{res['sockets_dropped']} (connect {res['connect_seconds']} s, "
                    f"{res['clients_ready']}/{res['clients']} ready, POST p50 {res['post_response_p50_ms']} ms)",
                    flush=True,
                )
                saturated = saturated or saturation(scenario, res)
            results.update(phases)
    return results, dict(server.errors.most_common(8)), shlex.join(server.command)


async def run_layers(config) -> dict:
    poster = Poster(BURST_THREADS)
    runs = {}
    try:
        for layer in LAYERS:
            env = layer_env(config["env"], layer)
            ooh, ooh_errors, ooh_cmd = await run_server(
                "ooh", layer, env, config["seed"], config["run_tag"], 0, poster
            )
            sizes = [r["event_bytes"] for r in ooh.values() if r["event_bytes"]]
            pad = int(statistics.median(sizes)) if sizes else 600
            floor, floor_errors, floor_cmd = await run_server(
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


def run_async(coro):
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)
