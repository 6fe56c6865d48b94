"""The reconnect storm's knobs, read from the environment once (tests/benchmarks/test_storm.py says what
each one does), and whether they shrank the run."""

import math
import os
from dataclasses import dataclass

PREFIX = "OOH_STORM_"
# Knobs that change nothing measured: set, they still leave a full run full.
NEUTRAL = {"OOH_STORM_DB", "OOH_STORM_REDIS_URL"}
PHONES_PER_INCIDENT = 20


def _ints(text: str) -> list[int]:
    values = [int(x) for x in text.replace("_", "").split(",") if x.strip()]
    if not values or min(values) < 1:
        raise ValueError(f"{PREFIX}PHONES: {text!r}; expected phones per phase, e.g. 1000,10000")
    return values


@dataclass(frozen=True)
class Knobs:
    phases: tuple[int, ...]
    incidents: int | None  # None: one per PHONES_PER_INCIDENT phones in each phase
    clients: int  # client processes sharing the phones
    write_rate: float  # attendance POSTs a second during the storm
    timeout: float  # seconds from t0 for every phone to be current, per storm
    memory_sockets: int  # sockets one process holds for the memory figure
    compression: str | None  # "deflate" (what websockets offers by default) or None
    http_client: str  # "raw" (storm_client.http_get) or "httpx"
    database: str
    redis_url: str

    def incidents_for(self, phones: int) -> int:
        wanted = self.incidents or math.ceil(phones / PHONES_PER_INCIDENT)
        return max(1, min(wanted, phones))


def knobs() -> Knobs:
    env = os.environ
    phases = tuple(_ints(env.get(f"{PREFIX}PHONES", "1000,10000")))
    compression = env.get(f"{PREFIX}COMPRESSION", "deflate").strip().lower()
    return Knobs(
        phases=phases,
        incidents=int(env[f"{PREFIX}INCIDENTS"]) if env.get(f"{PREFIX}INCIDENTS") else None,
        clients=int(env.get(f"{PREFIX}CLIENTS", "2")),
        write_rate=float(env.get(f"{PREFIX}WRITE_RATE", "5")),
        timeout=float(env.get(f"{PREFIX}TIMEOUT", "600")),
        memory_sockets=int(env.get(f"{PREFIX}MEMORY_SOCKETS", str(max(phases)))),
        compression=None if compression in ("", "none", "off") else compression,
        http_client=env.get(f"{PREFIX}HTTP_CLIENT", "raw"),
        database=env.get(f"{PREFIX}DB", "ooh_storm"),
        redis_url=env.get(f"{PREFIX}REDIS_URL") or env.get("REDIS_URL", ""),
    )


def shrunk() -> list[str]:
    """The knobs set for this run (beyond the neutral ones): a run with any is not the published one."""
    return sorted(k for k in os.environ if k.startswith(PREFIX) and k not in NEUTRAL)
