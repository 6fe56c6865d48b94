"""Every layer in turn: ooh's server and the floor's side by side, each scenario run on ooh and then at
once on the floor (its events padded to the size of ooh's), so that the two figures of a phase are
minutes apart, not the length of the whole run; each server through every scenario until it saturates.
The server not measuring holds no sockets and gets no requests."""

import asyncio
import contextlib
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

KINDS = ("ooh", "floor")
DEFAULT_PAD = 600  # bytes, if ooh measured no event to size the floor's by


class Side:
    """One server (ooh or the floor) through the scenarios: its incidents, figures and saturation."""

    def __init__(self, kind, layer, server, seed):
        self.kind, self.layer, self.server, self.seed = kind, layer, server, seed
        # Each its own incidents: the floor writes the same rows as ooh, on incidents ooh never touches.
        self.incidents = iter(seed["incidents"][layer][kind])
        self.saturated: str | None = None
        self.results: dict = {}

    async def run(self, scenario, pad, poster):
        groups = [next(self.incidents) for _ in range(scenario.incidents)]
        tag = f"[ws-bench] {self.layer:12} {self.kind:5}"
        if self.saturated and not FULL:
            print(f"{tag} {scenario.clients:>5} sockets: skipped, {self.saturated}", flush=True)
            self.results.update({phase.key: skipped(scenario, self.saturated) for phase in scenario.phases})
            return
        print(f"{tag} {scenario.clients:>5} sockets ...", flush=True)
        try:
            phases = await Run(self.kind, self.server, scenario, groups, self.seed, poster, pad).run()
        except Exception as exc:  # a phase that fails is reported; the others still run
            reason = f"failed: {type(exc).__name__}: {exc}"[:300]
            print(f"{tag} {scenario.clients:>5} sockets: {reason}", flush=True)
            self.results.update({phase.key: skipped(scenario, reason) for phase in scenario.phases})
            return
        for key, res in phases.items():
            print(
                f"{tag} {key:12} p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms over {res['rounds']} rounds; "
                f"lost {res['lost']}, dup {res['duplicated']}, dropped {res['sockets_dropped']} (connect "
                f"{res['connect_seconds']} s, {res['clients_ready']}/{res['clients']} ready, POST p50 "
                f"{res['post_response_p50_ms']} ms, first phone {res['round_first_client_median_ms']} ms, "
                f"connections per process {res['connections_per_process']})",
                flush=True,
            )
            self.saturated = self.saturated or saturation(scenario, res)
        self.results.update(phases)


def _pad(ooh_phases: list[dict], previous: int) -> int:
    sizes = [r["event_bytes"] for r in ooh_phases if r.get("event_bytes")]
    return int(statistics.median(sizes)) if sizes else previous


async def run_layer(layer, config, poster) -> dict:
    env = layer_env(config["env"], layer)
    apps = {"ooh": (OOH_APP, {**env, **OOH_SERVER_ENV}), "floor": (FLOOR_APP, env)}
    loop = asyncio.get_running_loop()
    with contextlib.ExitStack() as stack:
        sides = {}
        for kind in KINDS:
            app, app_env = apps[kind]
            log = OUT_DIR / f"websockets-{kind}-{slug(layer)}.log"
            server = stack.enter_context(Server(app, app_env, log, WORKERS))
            await loop.run_in_executor(None, server.wait_ready)
            ready = "healthz" if kind == "ooh" else "ready"
            await loop.run_in_executor(None, poster.get, f"http://{server.base}/{ready}")
            sides[kind] = Side(kind, layer, server, config["seed"])
        pad = DEFAULT_PAD
        for scenario in SCENARIOS:
            await sides["ooh"].run(scenario, 0, poster)
            pad = _pad([sides["ooh"].results[p.key] for p in scenario.phases], pad)
            await sides["floor"].run(scenario, pad, poster)
    return {
        "ooh": sides["ooh"].results,
        "floor": sides["floor"].results,
        "floor_event_bytes": pad,
        "server_errors": {k: dict(s.server.errors.most_common(8)) for k, s in sides.items()},
        "server_commands": {k: shlex.join(s.server.command) for k, s in sides.items()},
        "ooh_extra_env": OOH_SERVER_ENV,
    }


async def run_layers(config) -> dict:
    poster = Poster(BURST_THREADS)
    try:
        return {layer: await run_layer(layer, config, poster) for layer in LAYERS}
    finally:
        poster.close()


def run_async(coro):
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)
