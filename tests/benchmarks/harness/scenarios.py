"""The websocket fan-out's knobs (environment, read once at import), scenarios and servers' environment.

The docstring of tests/benchmarks/test_ws_fanout.py says what each knob does.
"""

import os
import re
import shlex
from dataclasses import dataclass

import pytest

from .locations import with_db_path

LAYERS = [x.strip() for x in os.environ.get("OOH_WSBENCH_LAYERS", "redis,redis_pubsub").split(",") if x]
ROUNDS = int(os.environ.get("OOH_WSBENCH_ROUNDS", "20"))
WARMUP = int(os.environ.get("OOH_WSBENCH_WARMUP", "3"))
WORKERS = int(os.environ.get("OOH_WSBENCH_WORKERS", "2"))  # two ASGI processes, as production scales out
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
IDLE_SOCKETS = 20
ROTATE_WARMUP = 5
BURST_ROUNDS, BURST_WARMUP = 5, 1

OOH_APP = "ooh.asgi:application"
FLOOR_APP = "tests.benchmarks.harness.floor_app:application"


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


def _sizes(text: str) -> dict[str, tuple[int, int]]:
    """OOH_WSBENCH_SIZES, e.g. "c100=10,c1000=50,i100x20=5x4": the scenarios keep their keys, the sizes
    change (cN: clients on its one incident; i100x20: incidents x clients each). Unnamed ones keep theirs."""
    sizes = {"c100": (1, 100), "c1000": (1, 1000), "i100x20": (100, 20)}
    for item in filter(None, (x.strip() for x in text.split(","))):
        key, _, value = item.partition("=")
        if key not in sizes or not re.fullmatch(r"\d+" if key != "i100x20" else r"\d+x\d+", value):
            raise ValueError(f"OOH_WSBENCH_SIZES: {item!r}; expected c100=N, c1000=N or i100x20=AxB")
        incidents, _, per_incident = value.rpartition("x")
        sizes[key] = (int(incidents or 1), int(per_incident))
    return sizes


SIZES = _sizes(os.environ.get("OOH_WSBENCH_SIZES", ""))


def _scenarios() -> list[Scenario]:
    scenarios = []
    for key in ("c100", "c1000"):
        n = SIZES[key][1]
        phase = Phase(key, f"{n:,} clients, 1 incident", "single", ROUNDS, WARMUP)
        scenarios.append(Scenario(key, 1, n, (phase,)))
    incidents, per = SIZES["i100x20"]
    # One POST per round rotating over the incidents, each once; then every incident at once.
    rotate = Phase(
        "i100x20",
        f"{incidents:,} incidents x {per:,} clients, 1 POST/round rotating",
        "rotate",
        incidents,
        ROTATE_WARMUP,
    )
    burst = Phase(
        "i100x20burst",
        f"{incidents:,} incidents x {per:,} clients, {incidents:,} POSTs/round",
        "burst",
        BURST_ROUNDS,
        BURST_WARMUP,
    )
    scenarios.append(Scenario("i100x20", incidents, per, (rotate, burst)))
    wanted = os.environ.get("OOH_WSBENCH_SCENARIOS", "")
    return [s for s in scenarios if s.key in wanted.split(",")] if wanted else scenarios


SCENARIOS = _scenarios()


def layer_env(env: dict, layer: str) -> dict:
    return {**env, "OOH_CHANNEL_LAYER": layer}


def slug(layer: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", layer)


def server_environment():
    """(DATABASE_URL, the layer's Redis URL, the servers' environment); skips without PostgreSQL or Redis."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the websocket benchmark needs PostgreSQL: run with DATABASE_URL=postgres://...")
    redis_url = os.environ.get("OOH_WSBENCH_REDIS_URL") or (
        with_db_path(os.environ["REDIS_URL"], "/7") if os.environ.get("REDIS_URL") else ""
    )
    if not redis_url:
        pytest.skip("the websocket benchmark needs Redis: set REDIS_URL (it uses db 7 on that server)")
    env = {
        **os.environ,
        "DATABASE_URL": with_db_path(database_url, f"/{BENCH_DB}"),
        "REDIS_URL": redis_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "insecure-key-for-the-websocket-benchmark",
        "DJANGO_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "ooh.settings",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("OOH_CHANNEL_LAYER", "DATABASE_CONN_MAX_AGE", "OOH_WS_RESYNC_SECONDS"):
        env.pop(name, None)  # the servers run with ooh's defaults unless OOH_WSBENCH_OOH_ENV says otherwise
    return database_url, redis_url, env
