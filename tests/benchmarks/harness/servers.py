"""uvicorn in a child process (ooh's app or the floor), its CPU time from /proc and its log's errors."""

import contextlib
import os
import re
import resource
import socket
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest

from .locations import BASE_DIR, VENV_BIN


def raise_nofile(needed: int) -> dict:
    """Raise the soft fd limit within the hard one; children (the servers) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        new = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    after = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if after != resource.RLIM_INFINITY and after < needed:
        pytest.fail(f"ulimit -n is {after} (hard {hard}); the benchmark needs about {needed}")
    return {"before": soft, "after": after, "hard": hard}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """In the child before exec: SIGTERM when the test process dies, so no server outlives a killed run."""
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return pids


def sockets_per_process(pid: int, port: int) -> list[int]:
    """Established TCP connections accepted on the server's port, counted per process of its tree
    (with --workers, the kernel spreads them over the workers), largest first; from /proc, no tools."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                    inodes.add(fields[9])
    counts = []
    for p in _process_tree(pid):
        mine = 0
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{p}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    mine += target.startswith("socket:[") and target[8:-1] in inodes
        if mine:
            counts.append(mine)
    return sorted(counts, reverse=True)


def cpu_seconds(pid: int) -> float:
    """utime + stime of the server and its workers, from /proc."""
    total = 0
    for p in _process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Disconnected|Closed\w*))(?::\s*(.*))?$")
_JSON_LEVEL = re.compile(r'"level": "(ERROR|WARNING|CRITICAL)".*?"message": "((?:[^"\\]|\\.){0,120})')


def error_summary(line: str) -> str | None:
    """The last line of a traceback ("redis.exceptions.TimeoutError: ..."), or a JSON ERROR/WARNING record."""
    match = _JSON_LEVEL.search(line)
    if match:
        return f"{match.group(1)} {match.group(2).split(chr(92))[0]}"
    match = _EXCEPTION_LINE.match(line.strip())
    if match and not line.startswith((" ", "\t")):
        return f"{match.group(1)}: {(match.group(2) or '')[:100]}".rstrip(": ")
    if "Exception in ASGI application" in line:
        return "uvicorn: Exception in ASGI application"
    return None


def error_count(errors: dict) -> int:
    """Unhandled exceptions in the ASGI app plus ERROR/CRITICAL log records."""
    return errors.get("uvicorn: Exception in ASGI application", 0) + sum(
        v for k, v in errors.items() if k.startswith(("ERROR", "CRITICAL"))
    )


class Server:
    """uvicorn in a child process; ready when it logs "Uvicorn running on" (read by a thread, no polling)."""

    def __init__(self, app: str, env: dict, log_path: Path, workers: int = 1):
        self.port = free_port()
        self.base = f"127.0.0.1:{self.port}"
        self.workers = workers
        self.command = [
            str(VENV_BIN / "uvicorn"),
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--lifespan",
            "off",
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "5",
            *(["--workers", str(workers)] if workers > 1 else []),
        ]
        self.env = env
        self.log_path = log_path
        self.ready = threading.Event()
        self.errors: Counter = Counter()  # exception summaries and ERROR/WARNING records, counted

    def __enter__(self):
        self.process = subprocess.Popen(
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,
        )
        self.log = self.log_path.open("w")
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()
        return self

    def _drain(self):
        started = 0
        for line in self.process.stderr:
            self.log.write(line)
            if self.workers == 1 and "Uvicorn running on" in line:
                self.ready.set()  # bound and listening
            if self.workers > 1 and "Started server process" in line:
                started += 1  # a worker imported the app; it listens a few ms later (see Poster.get)
                if started == self.workers:
                    self.ready.set()
            summary = error_summary(line)
            if summary:
                self.errors[summary] += 1
        self.ready.set()  # exited: wait_ready sees it

    def wait_ready(self, timeout=60):
        if not self.ready.wait(timeout) or self.process.poll() is not None:
            raise RuntimeError(f"{self.command} did not start; see {self.log_path}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.drain.join(timeout=5)
        self.log.close()
