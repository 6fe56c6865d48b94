"""End-to-end: the real service (uvicorn, plus Celery when a test needs it) started as processes,
talked to only over HTTP and websockets, exactly as phones and control-room screens do.

With DATABASE_URL set (CI's second pass) the servers use a fresh PostgreSQL database and Redis;
otherwise the embedded default (SQLite in a temporary directory, in-memory layer).
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    """The predicate's first truthy value, polled from outside as an operator would; fails after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)  # polling the system under test from outside, as an operator would
    raise AssertionError(f"timed out waiting for {what}")


class Stack:
    """One deployment: its environment, its database, and the processes started on it."""

    def __init__(
        self,
        tmp: Path,
        redis_url: str | None = None,
        *,
        night: bool = False,
        database_url: str | None = None,
        **env,
    ):
        """`night`: load the demo's night too (the Vale family's open incident), as `make demo` does.
        `database_url`: a PostgreSQL database of the test's own (a PrivatePostgres) instead of a fresh
        database on the machine's server."""
        from django.conf import settings

        self.tmp = tmp
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
        self.env.update(
            OOH_VAR_DIR=str(tmp / "var"),
            OOH_LOG_JSON="true",
            PYTHONUNBUFFERED="1",
            # The night, compressed: three seconds without a decision maker escalates; the sweeper runs each second.
            OOH_NO_DECISION_MAKER_MINUTES="0.05",
            OOH_SWEEP_SECONDS="1",
            OOH_ESCALATION_LEVEL_WAIT_MINUTES="60",
        )
        self.env.update(env)
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.database = None
        if database_url:
            self.env["DATABASE_URL"] = database_url
            self.env.setdefault("SECRET_KEY", "e2e-" + secrets.token_hex(16))
            self.env["OOH_WS_RESYNC_SECONDS"] = "30"
        elif settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            self.database = f"ooh_e2e_{secrets.token_hex(4)}"
            base = settings.DATABASES["default"]
            self._admin_sql(f'CREATE DATABASE "{self.database}"')
            self.env["DATABASE_URL"] = (
                f"postgres://{base['USER']}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}/{self.database}"
            )
            self.env.setdefault("SECRET_KEY", "e2e-" + secrets.token_hex(16))
            # Live delivery must come through the Redis channel layer, not the periodic re-check.
            self.env["OOH_WS_RESYNC_SECONDS"] = "30"
        else:
            for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "OOH_CHANNEL_LAYER"):
                self.env.pop(name, None)
            # Embedded, the worker's events reach the web process's sockets through the re-check.
            self.env["OOH_WS_RESYNC_SECONDS"] = "1"
        self.processes = []
        self.manage("migrate", "--noinput", "-v0")
        self.manage("load_demo", "--allow-non-embedded", *(() if night else ("--without-night",)))
        self.password = (tmp / "var" / "demo_password").read_text().strip()

    @property
    def postgres(self) -> bool:
        return self.env.get("DATABASE_URL", "").startswith("postgres")

    def _admin_sql(self, sql):
        import psycopg
        from django.conf import settings

        base = settings.DATABASES["default"]
        with psycopg.connect(
            host=base["HOST"] or "127.0.0.1",
            port=base["PORT"] or 5432,
            user=base["USER"],
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    def manage(self, *args):
        subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, timeout=300
        )

    def start(self, argv, name, **extra_env):
        log = (self.tmp / f"{name}.log").open("w")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a test can kill a worker and its children
        )
        self.processes.append((process, log))
        return process

    def web(self, name="web", **extra_env) -> "Server":
        port = free_port()
        process = self.start(
            [
                str(BIN / "uvicorn"),
                "ooh.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--timeout-graceful-shutdown",  # as the image runs it (deploy/Dockerfile)
                "20",
            ],
            name,
            **extra_env,
        )
        server = Server(f"127.0.0.1:{port}", self, process)
        server.wait_ready()
        return server

    def worker(self, name="worker"):
        return self.start(
            [
                str(BIN / "celery"),
                "-A",
                "ooh",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--without-mingle",
                "--without-gossip",
                "--queues",
                "default,escalations,notifications",
                "--hostname",
                f"{name}@%h",
            ],
            name,
        )

    def beat(self, name="beat"):
        """The one beat of the deployment, sweeping every second."""
        return self.start(
            [
                str(BIN / "celery"),
                "-A",
                "ooh",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.tmp / f"{name}-schedule"),
            ],
            name,
        )

    def celery(self, name="worker"):
        """A worker on every queue and a beat sweeping every second, on this stack's broker."""
        return self.worker(name), self.beat(f"{name}-beat")

    def log_lines(self, name) -> list[dict]:
        """A process's JSON log lines (OOH_LOG_JSON), parsed; lines that are not JSON are left out."""
        import json

        lines = []
        for line in (self.tmp / f"{name}.log").read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines

    def stop(self):
        for process, log in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()
        if self.database:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def sql(self, query, params=(), *, connection=None):
        """Read the stack's own PostgreSQL database directly (what the record says, not what the API says)."""
        import psycopg

        if connection is not None:
            return connection.execute(query, params).fetchall()
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            return conn.execute(query, params).fetchall()


class PrivateRedis:
    """A redis-server of the test's own on a free port, which the test may stop and start at will."""

    def __init__(self, tmp: Path):
        self.tmp, self.port, self.process = tmp, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)  # waiting for a process to listen
        raise RuntimeError("private redis did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class PrivatePostgres:
    """A PostgreSQL server of the test's own (initdb, pg_ctl) on a free port, which it may stop and start.

    PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user in a folder it
    owns. Nothing of the machine's own PostgreSQL is touched."""

    BIN = Path("/usr/lib/postgresql")

    def __init__(self):
        import shutil
        import tempfile

        versions = sorted(self.BIN.glob("*/bin/initdb"))
        if not versions:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = versions[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="ooh-private-pg-"))
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program, *args):
        subprocess.run(
            [*self.as_postgres, str(self.bin / program), *args], check=True, capture_output=True, timeout=120
        )

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"), "-w", "start"
        )

    def stop(self):
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def destroy(self):
        import contextlib
        import shutil

        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    def __init__(self, address, stack, process):
        self.address, self.stack, self.process = address, stack, process
        self.http = f"http://{address}"
        self.ws = f"ws://{address}"

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.http}/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)  # waiting for a process to listen, not for the system under test
        raise RuntimeError("server did not become ready")

    def login(self, username) -> "Phone":
        response = requests.post(
            f"{self.http}/api/v1/auth/token/",
            json={"username": username, "password": self.stack.password, "device_name": f"{username} phone"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return Phone(self, username, response.json()["token"], response.json()["user"])


class Phone:
    """A logged-in user's HTTP client and websocket opener."""

    def __init__(self, server, username, token, user):
        self.server, self.username, self.token, self.user = server, username, token, user
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def get(self, path, **params):
        return self.session.get(f"{self.server.http}/api/v1{path}", params=params, timeout=15)

    def post(self, path, body=None, **headers):
        return self.session.post(
            f"{self.server.http}/api/v1{path}", json=body or {}, headers=headers, timeout=15
        )

    def patch(self, path, body, **headers):
        return self.session.patch(f"{self.server.http}/api/v1{path}", json=body, headers=headers, timeout=15)

    def socket(self, path):
        return Socket(f"{self.server.ws}{path}", {"Authorization": f"Token {self.token}"})


class Socket:
    def __init__(self, url, headers):
        from contextlib import ExitStack

        from websockets.sync.client import connect

        self._stack = ExitStack()
        self.connection = self._stack.enter_context(connect(url, additional_headers=headers))
        self.held = []  # events read while looking for another kind

    def next(self, timeout=10) -> dict:
        import json

        return json.loads(self.connection.recv(timeout=timeout))

    def next_event(self, timeout=10, kinds=None) -> dict:
        """The next event (of one of `kinds`, if given; others are held for later calls), in seq order."""
        for index, message in enumerate(self.held):
            if kinds is None or message["event"] in kinds:
                return self.held.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            message = self.next(max(deadline - time.monotonic(), 0.01))
            if message["type"] not in ("event", "feed"):
                continue
            if kinds is None or message["event"] in kinds:
                return message
            self.held.append(message)

    def close(self):
        self._stack.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, django_db_blocker):
    with django_db_blocker.unblock():
        deployment = Stack(tmp_path_factory.mktemp("stack"))
    yield deployment
    with django_db_blocker.unblock():
        deployment.stop()


@pytest.fixture
def redis(tmp_path):
    """A private redis-server for one test, which it may stop and start (never the machine's own)."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
