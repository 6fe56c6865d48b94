"""The reconnect storm's phases: servers started fresh, phones planned, each storm run on ooh and then on
its floor, and the memory figure (one process holding every socket). Each storm returns its figures
merged over the client processes, with what every process used (storm_report.py summarises them)."""

import contextlib
import random
import time
from collections import Counter

from .locations import OUT_DIR, with_db_path
from .servers import Server, sockets_per_process
from .storm_fleet import Fleet, Sampler, Writer, database_cpu, listen_counters

OOH_APP = "ooh.asgi:application"
FLOOR_APP = "tests.benchmarks.harness.storm_floor_app:application"
LEAD_SECONDS = 2.5  # from telling the clients t0 to t0: the writer's quiet baseline before the storm
WRITER_TAIL_SECONDS = 1.0  # the writer goes on this long after the last phone is current
CATCH_UP_SECONDS = 12.0  # over two resync intervals (4 s): a lost last wake-up is filled by then
HELD_SETTLE_SECONDS = 1.0  # before reading the servers' memory with the sockets held
MEMORY_SETTLE_SECONDS = 3.0
HOLDING_SHARE = 0.5  # the phones that hold a seq at t0
MAX_BEHIND = 3  # a holding phone is 0 to this many events behind


def server_env(knobs) -> dict:
    """The servers' environment as the deploy files set it (DEBUG off, JSON logs, redis_pubsub), on the
    storm's own database and the run's Redis; pools and resync at ooh's defaults."""
    import os

    env = {
        **os.environ,
        "DATABASE_URL": with_db_path(os.environ["DATABASE_URL"], f"/{knobs.database}"),
        "REDIS_URL": knobs.redis_url,
        "OOH_CHANNEL_LAYER": "redis_pubsub",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "insecure-key-for-the-storm-benchmark",
        "DJANGO_DEBUG": "false",
        "OOH_LOG_JSON": "true",
        "DJANGO_SETTINGS_MODULE": "ooh.settings",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("DATABASE_CONN_MAX_AGE", "OOH_WS_RESYNC_SECONDS", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    return env


def start(stack: contextlib.ExitStack, app: str, env: dict, tag: str) -> Server:
    server = stack.enter_context(Server(app, env, OUT_DIR / f"storm-{tag}.log"))
    server.wait_ready()
    return server


def warm(server: Server, kind: str, seed: dict):
    """One request and (ooh) one socket on a fresh process, so the storm meets a process that has
    served before (pools open, lazy imports done), as after a deploy's readiness probe."""
    import requests
    from websockets.sync.client import connect

    with requests.Session() as http:
        http.trust_env = False
        http.get(f"http://{server.base}/healthz", timeout=30).raise_for_status()
        if kind != "ooh":
            return
        token, incident = seed["tokens"][-1], seed["incidents"][0]
        auth = {"Authorization": f"Token {token}"}
        http.get(
            f"http://{server.base}/api/v1/incidents/{incident}/", headers=auth, timeout=30
        ).raise_for_status()
    with connect(
        f"ws://{server.base}/ws/v1/incidents/{incident}/", additional_headers=auth, proxy=None
    ) as ws:
        ws.recv(timeout=30)  # hello


def last_seqs(database_url: str, incidents: list[str]) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT id::text, last_seq FROM incidents_incident WHERE id::text = ANY(%s)", [incidents]
        ).fetchall()
    return dict(rows)


def plan(
    n: int, seed: dict, incidents: list[str], last: dict, ws: list[str], http: list[str], holding: float
):
    """n phones, one user each, split over the servers; phone i on incident i mod len(incidents). The
    same share of them (the same phones for ooh and its floor) holds its incident's last seq minus 0-3
    events; the others hold nothing."""
    rng = random.Random(1_000 + n)
    holders = set(rng.sample(range(n), round(n * holding)))
    phones = []
    for i in range(n):
        incident = incidents[i % len(incidents)]
        after = max(0, last[incident] - rng.randint(0, MAX_BEHIND)) if i in holders else None
        phones.append([seed["tokens"][i], incident, ws[i % len(ws)], http[i % len(http)], after])
    return phones


def merge(answers: list[dict]) -> dict:
    """The client processes' figures as one: lists joined, counts added, errors counted together."""
    merged: dict = {}
    for answer in answers:
        for key, value in answer["figures"].items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict):
                merged[key] = dict(Counter(merged.get(key, {})) + Counter(value))
            elif key == "catch_up_s":
                merged[key] = max(merged.get(key, 0), value)
            else:
                merged[key] = merged.get(key, 0) + value
    merged["problems"] = merged.get("problems", [])[:5]
    return merged


class Storm:
    """One storm on one kind of server: the clients started, one t0, the writer alongside (ooh), every
    phone current (or failed, or the timeout), caught up to the incidents' last seq, memory read with
    the sockets held, closed."""

    def __init__(self, kind, phones, ws_servers, knobs, *, http_servers=(), writer=None, database_url=""):
        self.kind, self.phones, self.ws_servers, self.knobs = kind, phones, ws_servers, knobs
        self.http_servers, self.writer, self.database_url = list(http_servers), writer, database_url
        self.incidents = sorted({p[1] for p in phones})

    def _watched(self, fleet) -> dict[str, int]:
        pids = {f"{self.kind}-{i + 1}": s.process.pid for i, s in enumerate(self.ws_servers)}
        pids |= {f"http-{i + 1}": s.process.pid for i, s in enumerate(self.http_servers)}
        pids |= {f"client-{i + 1}": pid for i, pid in enumerate(fleet.pids)}
        return pids | {"database": database_cpu(self.knobs.database)}

    def run(self, tag: str, settle: float = HELD_SETTLE_SECONDS) -> dict:
        config = {
            "kind": self.kind,
            "timeout": self.knobs.timeout,
            "compression": self.knobs.compression,
            "http_client": self.knobs.http_client,
        }
        with Fleet(config, self.phones, self.knobs.clients, OUT_DIR / f"storm-{tag}-client") as fleet:
            fleet.ask(None, "ready", 120)
            sampler = Sampler(self._watched(fleet))
            sampler.start()
            try:
                return self._storm(fleet, sampler, settle)
            finally:
                with contextlib.suppress(Exception):
                    fleet.ask({"close": True}, "closed", 120)
                sampler.stop()

    def _storm(self, fleet, sampler, settle) -> dict:
        bench0, listen0 = time.process_time(), listen_counters()
        t0 = time.monotonic() + LEAD_SECONDS
        if self.writer is not None:
            self.writer.start()
        settled = fleet.ask({"t0": t0}, "settled", LEAD_SECONDS + self.knobs.timeout + 60)
        t_settled = t0 + max(a["settled"] for a in settled)
        if self.writer is not None:
            time.sleep(WRITER_TAIL_SECONDS)
            self.writer.stop()
        listen = {k: v - listen0.get(k, 0) for k, v in listen_counters().items()}
        final = last_seqs(self.database_url, self.incidents) if self.kind == "ooh" else {}
        figures = merge(
            fleet.ask({"final": final, "timeout": CATCH_UP_SECONDS}, "figures", CATCH_UP_SECONDS + 60)
        )
        time.sleep(settle)  # the sockets held, the processes quiet
        sampler.sample()
        held_at = time.monotonic()
        return {
            "kind": self.kind,
            "t0": t0,
            "settled_s": round(t_settled - t0, 3),
            "clients": figures,
            "processes": self._processes(sampler, t0, t_settled, held_at),
            "connections": {
                f"{self.kind}-{i + 1}": sum(sockets_per_process(s.process.pid, s.port))
                for i, s in enumerate(self.ws_servers)
            },
            "bench_process_cpu_s": round(time.process_time() - bench0, 2),
            "listen_queue_turned_away": listen,
            "writer": self._posts(t0, t_settled) if self.writer is not None else None,
        }

    @staticmethod
    def _processes(sampler, t0, t_settled, held_at) -> dict:
        """Per process: memory before t0, at its peak and with the sockets held; CPU seconds from t0 to
        the last phone current, and the highest share of a core over half a second of it."""
        before = t0 - 0.05
        return {
            name: {
                "rss_before_mib": sampler.rss(name, before),
                "rss_peak_mib": sampler.peak(name, before, held_at)["rss_mib"],
                "rss_held_mib": sampler.rss(name, held_at),
                "cpu_storm_s": sampler.cpu(name, t0, max(t_settled, t0 + 0.1)),
                "cpu_peak_share": sampler.peak(name, t0, max(t_settled, t0 + 0.6))["cpu_share"],
            }
            for name in sampler.pids
        }

    def _posts(self, t0, t_settled) -> dict:
        """The writer's POSTs by when they started: before t0, during the storm (t0 to the last phone
        current), after."""
        windows = {"before": [], "storm": [], "after": []}
        for started, took, status in self.writer.posts:
            window = "before" if started < t0 else "storm" if started <= t_settled else "after"
            windows[window].append((took, status))
        return windows


def phase(n: int, seed: dict, env: dict, knobs) -> dict:
    """n phones on two ooh processes, then the same phones on two floor processes (their HTTP on ooh's
    /healthz); servers fresh for the phase."""
    incidents = seed["incidents"][: knobs.incidents_for(n)]
    with contextlib.ExitStack() as stack:
        ooh = [start(stack, OOH_APP, env, f"{n}-ooh-{i + 1}") for i in range(2)]
        floor = [start(stack, FLOOR_APP, env, f"{n}-floor-{i + 1}") for i in range(2)]
        for server in ooh:
            warm(server, "ooh", seed)
        for server in floor:
            warm(server, "floor", seed)
        last = last_seqs(env["DATABASE_URL"], incidents)
        ooh_bases, floor_bases = [s.base for s in ooh], [s.base for s in floor]
        phones = plan(n, seed, incidents, last, ooh_bases, ooh_bases, HOLDING_SHARE)
        writer = Writer(ooh_bases, incidents, seed["poster_token"], knobs.write_rate)
        results = {
            "ooh": Storm("ooh", phones, ooh, knobs, writer=writer, database_url=env["DATABASE_URL"]).run(
                f"{n}-ooh"
            )
        }
        phones = plan(n, seed, incidents, last, floor_bases, ooh_bases, HOLDING_SHARE)
        results["floor"] = Storm("floor", phones, floor, knobs, http_servers=ooh).run(f"{n}-floor")
        results["server_errors"] = {
            f"{kind}-{i + 1}": dict(s.errors.most_common(5))
            for kind, servers in (("ooh", ooh), ("floor", floor))
            for i, s in enumerate(servers)
        }
        results["server_command"] = " ".join(ooh[0].command)
    return {"phones": n, "incidents": len(incidents), **results}


def memory(m: int, seed: dict, env: dict, knobs) -> dict:
    """One process (ooh, then the floor) holding m sockets, every phone holding a seq (no GETs): its
    resident memory before and with them held."""
    incidents = seed["incidents"][: knobs.incidents_for(m)]
    last = last_seqs(env["DATABASE_URL"], incidents)
    results = {"sockets": m}
    for kind, app in (("ooh", OOH_APP), ("floor", FLOOR_APP)):
        with contextlib.ExitStack() as stack:
            server = start(stack, app, env, f"memory-{kind}")
            warm(server, kind, seed)
            phones = plan(m, seed, incidents, last, [server.base], [server.base], holding=1.0)
            results[kind] = Storm(kind, phones, [server], knobs, database_url=env["DATABASE_URL"]).run(
                f"memory-{kind}", settle=MEMORY_SETTLE_SECONDS
            )
    return results


def seed_size(knobs) -> tuple[int, int]:
    """(phones, incidents) the seed needs for every phase and the memory figure."""
    phones = max(*knobs.phases, knobs.memory_sockets)
    return phones, max(knobs.incidents_for(n) for n in (*knobs.phases, knobs.memory_sockets))
