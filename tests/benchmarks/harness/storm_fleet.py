"""The reconnect storm's machinery in the benchmark's own process: the client processes that hold the
phones (Fleet), what every process used while they stormed (Sampler), and the attendance writer that
keeps posting through it (Writer)."""

import contextlib
import json
import os
import queue
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .locations import BASE_DIR, VENV_BIN
from .servers import _die_with_parent, cpu_seconds

CLIENT_MODULE = "tests.benchmarks.harness.storm_client"


class Fleet:
    """The client processes of one storm, each given every k-th phone, driven in step: ready, one t0
    for all, settled, caught up, closed (storm_client.py's protocol)."""

    def __init__(self, config: dict, phones: list, processes: int, log_prefix: Path):
        self.config, self.phones, self.log_prefix = config, phones, log_prefix
        self.count = max(1, min(processes, len(phones)))
        self.processes: list[subprocess.Popen] = []
        self.inboxes: list[queue.Queue] = []

    def __enter__(self):
        for i in range(self.count):
            log = Path(f"{self.log_prefix}-{i}.log").open("w")
            process = subprocess.Popen(
                [str(VENV_BIN / "python"), "-m", CLIENT_MODULE],
                cwd=BASE_DIR,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                preexec_fn=_die_with_parent,
            )
            log.close()  # the child holds it
            inbox: queue.Queue = queue.Queue()
            threading.Thread(target=self._listen, args=(process, inbox), daemon=True).start()
            self.processes.append(process)
            self.inboxes.append(inbox)
            self._tell(process, {**self.config, "phones": self.phones[i :: self.count]})
        return self

    @staticmethod
    def _listen(process, inbox):
        for line in process.stdout:
            inbox.put(json.loads(line))
        inbox.put(None)  # exited

    @staticmethod
    def _tell(process, message: dict):
        process.stdin.write(json.dumps(message, separators=(",", ":")) + "\n")
        process.stdin.flush()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def ask(self, message: dict | None, key: str, timeout: float) -> list[dict]:
        """Send the message to every process (None: nothing), then each one's answer carrying `key`."""
        if message is not None:
            for process in self.processes:
                self._tell(process, message)
        answers = []
        deadline = time.monotonic() + timeout
        for i, inbox in enumerate(self.inboxes):
            try:
                answer = inbox.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"client process {i} did not answer {key!r} in {timeout:.0f} s") from None
            if answer is None or key not in answer:
                raise RuntimeError(f"client process {i} exited or answered {answer!r} instead of {key!r}")
            answers.append(answer)
        return answers

    def __exit__(self, *exc):
        for process in self.processes:
            with contextlib.suppress(OSError):
                process.stdin.close()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def rss_mib(pid: int) -> float | None:
    """Resident memory (VmRSS) of one process, from /proc; None once it has gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


LISTEN_COUNTERS = ("ListenOverflows", "ListenDrops", "TCPReqQFullDoCookies", "TCPReqQFullDrop")


def listen_counters() -> dict[str, int]:
    """The kernel's counts of connections a full accept queue turned away (the whole machine's, from
    /proc/net/netstat): a storm larger than a server's listen backlog shows here, as SYNs the phones
    must send again a second later."""
    with contextlib.suppress(OSError):
        lines = Path("/proc/net/netstat").read_text().splitlines()
        for names, values in zip(lines[::2], lines[1::2], strict=False):
            if names.startswith("TcpExt:"):
                counters = dict(zip(names.split()[1:], map(int, values.split()[1:]), strict=True))
                return {k: counters.get(k, 0) for k in LISTEN_COUNTERS}
    return {}


def database_cpu(database: str):
    """A reading for the Sampler: the CPU seconds of PostgreSQL's backends serving `database` (their
    process titles name it), resident memory not read. The servers' pools keep their connections
    through a storm, so the sum only grows."""

    def read() -> tuple[float, None]:
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                title = (entry / "cmdline").read_bytes()
                if title.startswith(b"postgres:") and f" {database} ".encode() in title:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK"), None

    return read


class Sampler(threading.Thread):
    """CPU seconds and resident memory of named processes (a pid, or a reading such as database_cpu's),
    every `interval` s, so a storm's figures can say what each server used before, at its peak and
    after, beside what the database and the clients used."""

    def __init__(self, pids: dict, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pids, self.interval = dict(pids), interval
        self.samples: list[tuple[float, dict[str, tuple[float, float | None]]]] = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(self.interval)

    def sample(self):
        now = time.monotonic()
        self.samples.append((now, {n: self._read(p) for n, p in self.pids.items()}))

    @staticmethod
    def _read(target) -> tuple[float, float | None]:
        return target() if callable(target) else (cpu_seconds(target), rss_mib(target))

    def stop(self):
        self.stopped.set()
        self.join(timeout=5)
        self.sample()

    def _at(self, t: float) -> dict:
        """The last sample taken at or before t (the first one if none)."""
        chosen = self.samples[0][1]
        for when, values in self.samples:
            if when > t:
                break
            chosen = values
        return chosen

    def cpu(self, name: str, start: float, end: float) -> float:
        return round(self._at(end)[name][0] - self._at(start)[name][0], 2)

    def rss(self, name: str, t: float) -> float | None:
        return self._at(t)[name][1]

    def peak(self, name: str, start: float, end: float, width: float = 0.5) -> dict:
        """The highest resident memory between start and end, and the highest CPU share of one core
        over any `width`-second stretch of it (over the whole of it, if shorter)."""
        inside = [(t, v[name]) for t, v in self.samples if start <= t <= end]
        rss = [v[1] for _, v in inside if v[1] is not None]
        shares = []
        for i, (t, (cpu, _)) in enumerate(inside):
            later = next(((t2, cpu2) for t2, (cpu2, _) in inside[i + 1 :] if t2 - t >= width), None)
            if later is not None:
                shares.append((later[1] - cpu) / (later[0] - t))
        if not shares and len(inside) > 1 and inside[-1][0] > inside[0][0]:
            (t, (cpu, _)), (t2, (cpu2, _)) = inside[0], inside[-1]
            shares.append((cpu2 - cpu) / (t2 - t))
        return {"rss_mib": max(rss) if rss else None, "cpu_share": round(max(shares, default=0.0), 2)}


class Writer(threading.Thread):
    """An ambulance paramedic answering attendance (POST .../attendance/, en_route again: a legal
    repeat) at a steady rate, rotating over the storm's incidents and the ooh servers: each POST sent on
    its schedule from a small pool (open loop: a slow answer does not delay the next), its latency kept
    with its start time."""

    THREADS = 4

    def __init__(self, bases: list[str], incidents: list[str], token: str, rate: float):
        super().__init__(daemon=True)
        self.bases, self.incidents, self.token, self.rate = bases, incidents, token, rate
        self.posts: list[tuple[float, float, int]] = []  # (monotonic start, ms, status)
        self.stopped = threading.Event()
        self.local = threading.local()
        self.lock = threading.Lock()

    def _post(self, k: int):
        import requests

        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
            self.local.session.trust_env = False
        base, incident = self.bases[k % len(self.bases)], self.incidents[k % len(self.incidents)]
        started = time.monotonic()
        try:
            status = self.local.session.post(
                f"http://{base}/api/v1/incidents/{incident}/attendance/",
                json={"status": "en_route", "note": f"storm {k}"},
                headers={"Authorization": f"Token {self.token}"},
                timeout=30,
            ).status_code
        except requests.RequestException:
            status = 0
        with self.lock:
            self.posts.append((started, (time.monotonic() - started) * 1000, status))

    def run(self):
        with ThreadPoolExecutor(self.THREADS, thread_name_prefix="storm-writer") as pool:
            start, k = time.monotonic(), 0
            while not self.stopped.is_set():
                pool.submit(self._post, k)
                k += 1
                self.stopped.wait(max(0.0, start + k / self.rate - time.monotonic()))

    def stop(self):
        self.stopped.set()
        self.join(timeout=60)
