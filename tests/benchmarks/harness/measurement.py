"""One scenario's sockets on one server through its phases: the timed rounds, then the figures - latency
from just before each POST to each socket's read, and every event lost, repeated or out of order."""

import asyncio
import statistics
import time

from .clients import Clients
from .scenarios import (
    CONNECT_TIMEOUT,
    PHASE_SECONDS,
    ROUND_TIMEOUT,
    SATURATED_CONNECT_SECONDS,
    SATURATED_P99_MS,
    WARMUP_SECONDS,
    Phase,
)
from .servers import cpu_seconds, sockets_per_process
from .stats import ms, percentile


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
                f"http://{base}/publish/{group}/?seq={seq}&pad={self.pad}&same_work=1"
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
        """Every phase's figures; the sockets are closed however the phases end."""
        try:
            return await self._phases()
        finally:
            await self.clients.close()

    async def _phases(self) -> dict:
        started = time.perf_counter()
        ready = await self.clients.connect(CONNECT_TIMEOUT)
        connect_seconds = time.perf_counter() - started
        # How the kernel spread the sockets (and the poster's kept-alive connections) over the processes.
        self.spread = sockets_per_process(self.server.process.pid, self.server.port)
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
                    cpu_seconds(self.server.process.pid),
                    time.perf_counter(),
                    time.process_time(),
                )
                for r in range(phase.rounds):
                    await self.round(phase, r, record)
                    rounds += 1
                    if time.perf_counter() - wall0 > PHASE_SECONDS:
                        break
                wall = time.perf_counter() - wall0
                cpu = cpu_seconds(self.server.process.pid) - cpu0
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
        latencies, round_max, round_min = [], [], []
        for key, t0 in record["t0"].items():
            times = [t - t0 for t in tally.arrivals[key]]
            latencies += times
            if times:
                round_max.append(max(times))
                round_min.append(min(times))
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
            "p50_ms": ms(percentile(latencies, 50)),
            "p99_ms": ms(percentile(latencies, 99)),
            "max_ms": ms(max(latencies) if latencies else None),
            # The first phone's time is the POST's work up to the publish; last minus first, the fan-out.
            "round_first_client_median_ms": ms(statistics.median(round_min) if round_min else None),
            "round_last_client_median_ms": ms(statistics.median(round_max) if round_max else None),
            "post_response_p50_ms": round(statistics.median(post_ms), 1) if post_ms else None,
            "post_response_p99_ms": round(percentile(post_ms, 99), 1) if post_ms else None,
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
            "connections_per_process": self.spread,
            "timed_seconds": round(wall, 1),
            "server_cpu_ms_per_post": round(cpu * 1000 / posts, 2) if posts else None,
            "server_cpu_share": round(cpu / wall, 2) if wall else None,
            "client_cpu_share": round(client_cpu / wall, 2) if wall else None,
            "event_bytes": int(statistics.median(tally.sizes)) if tally.sizes else None,
            "measured_seqs_from": None if self.scenario.incidents > 1 else measured_from[0],
        }


def saturation(scenario, res) -> str | None:
    if res["clients_ready"] < res["clients"]:
        return f"saturated at {scenario.clients} sockets: {res['clients_ready']} ready after {CONNECT_TIMEOUT:.0f} s"
    if res["connect_seconds"] > SATURATED_CONNECT_SECONDS:
        return f"saturated at {scenario.clients} sockets: {res['connect_seconds']} s to connect them"
    if (res["p99_ms"] or 0) > SATURATED_P99_MS:
        return f"saturated at {scenario.clients} sockets: p99 {res['p99_ms']} ms"
    return None


def skipped(scenario, reason) -> dict:
    figures = dict.fromkeys(
        ("p50_ms", "p99_ms", "max_ms", "post_response_p50_ms", "server_cpu_share", "client_cpu_share"),
    )
    figures.update(
        dict.fromkeys(
            (
                "connect_seconds",
                "connections_per_process",
                "event_bytes",
                "round_first_client_median_ms",
                "round_last_client_median_ms",
            )
        )
    )
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
