"""REDIS_URL may name Redis Sentinel: the channel layer (both kinds), the cache and the broker find the
master through the sentinels, and find the new one after a failover. Run against private redis-server
processes (a master, a replica, a sentinel) on free ports; the machine's shared Redis is never touched."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ooh.redis_urls import channel_layer_host, parse_sentinel_url

ROOT = Path(__file__).resolve().parents[2]
MASTER_NAME = "ooh-test"


def test_a_sentinel_url_names_every_sentinel_the_database_and_the_masters_password():
    target = parse_sentinel_url(
        "sentinel://:s%40cret@10.0.0.1:26379/2;sentinel://:s%40cret@10.0.0.2/2", "ooh", "sentinels-own"
    )
    assert target.sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26379))
    assert (target.master, target.db, target.password) == ("ooh", 2, "s@cret")
    assert target.sentinel_options(socket_connect_timeout=2, socket_timeout=30) == {
        "socket_timeout": 2,
        "socket_connect_timeout": 2,
        "password": "sentinels-own",
    }


def test_the_channel_layer_gets_an_address_or_the_sentinels():
    assert channel_layer_host("redis://r:6379/1", "", socket_timeout=30) == {
        "address": "redis://r:6379/1",
        "socket_timeout": 30,
    }
    host = channel_layer_host("sentinel://a:1/3;sentinel://b:2/3", "ooh", socket_timeout=30)
    assert host["sentinels"] == [("a", 1), ("b", 2)]
    assert (host["master_name"], host["db"], host["socket_timeout"]) == ("ooh", 3, 30)


@pytest.mark.parametrize(
    ("url", "master", "message"),
    [
        ("sentinel://a:26379/0", "", "needs OOH_REDIS_SENTINEL_MASTER"),
        ("sentinel://a:port/0", "m", "port that is not a number"),
        ("sentinel://a:1/zero", "m", "must be a database number"),
        ("sentinel://a:1/0;redis://b:2/0", "m", "is not sentinel://host:port"),
        ("sentinel://a:1/0;sentinel://b:2/1", "m", "same database and password"),
        ("sentinel://:x@a:1/0;sentinel://:y@b:2/0", "m", "same database and password"),
    ],
)
def test_a_malformed_sentinel_url_stops_the_start_naming_what_is_wrong(url, master, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_sentinel_url(url, master)


def test_an_error_never_shows_the_password():
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_sentinel_url("sentinel://:hunter2@a:port/0", "m")
    assert "hunter2" not in str(refused.value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)  # waiting for a private server to listen
    raise RuntimeError(f"nothing listens on {port}")


def redis_cli(port, *args) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True, timeout=10
    ).stdout.strip()


class SentinelDeployment:
    """A master, a replica of it and one sentinel watching them, each a private process."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.master, self.replica, self.sentinel = free_port(), free_port(), free_port()
        self.processes = {}

    def start(self):
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._run("master", ["redis-server", "--port", str(self.master), *common, "--dir", str(self.tmp)])
        wait_listening(self.master)
        self._run(
            "replica",
            [
                "redis-server",
                "--port",
                str(self.replica),
                *common,
                "--dir",
                str(self.tmp),
                "--replicaof",
                "127.0.0.1",
                str(self.master),
            ],
        )
        wait_listening(self.replica)
        conf = self.tmp / "sentinel.conf"  # the sentinel rewrites its own file as it learns
        conf.write_text(
            f"port {self.sentinel}\nbind 127.0.0.1\ndir {self.tmp}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master} 1\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {MASTER_NAME} 5000\n"
        )
        self._run("sentinel", ["redis-server", str(conf), "--sentinel"])
        wait_listening(self.sentinel)
        self.wait_for(lambda: redis_cli(self.replica, "info", "replication").count("master_link_status:up"))

    def _run(self, name, argv):
        self.processes[name] = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def master_port(self) -> int:
        answer = redis_cli(self.sentinel, "sentinel", "get-master-addr-by-name", MASTER_NAME).split()
        return int(answer[1])

    def stop(self, name):
        process = self.processes[name]
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)

    def stop_all(self):
        for name in self.processes:
            self.stop(name)

    @staticmethod
    def wait_for(predicate, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)  # polling private servers from outside, as an operator would
        raise AssertionError("timed out")

    @property
    def url(self) -> str:
        return f"sentinel://127.0.0.1:{self.sentinel}/0"


# Run in a fresh process, so the settings read this REDIS_URL: one round trip through each client.
ROUND_TRIPS = """
import json, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "ooh.settings"
django.setup()
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from kombu import Queue
from ooh.celery import app

layer = get_channel_layer()
async def through_the_layer():
    channel = await layer.new_channel()
    await layer.group_add("sentinel-check", channel)
    await layer.group_send("sentinel-check", {"type": "check", "n": 7})
    return (await layer.receive(channel))["n"]
cache.set("sentinel-check", "kept", 30)
with app.connection_for_write() as connection:
    queue = connection.SimpleQueue(Queue("sentinel-check", routing_key="sentinel-check"))
    queue.put({"task": "check"})
    got = queue.get(timeout=5)
    got.ack()
    queue.close()
print(json.dumps({"layer": async_to_sync(through_the_layer)(), "cache": cache.get("sentinel-check"),
                  "broker": got.payload["task"], "layer_backend": type(layer).__name__}))
"""


def round_trips(deployment, layer_kind, tmp_path) -> dict:
    env = {
        "PATH": "/usr/bin:/bin",
        "OOH_VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": deployment.url,
        "OOH_REDIS_SENTINEL_MASTER": MASTER_NAME,
        "OOH_CHANNEL_LAYER": layer_kind,
        "OOH_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", ROUND_TRIPS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def sentinel_deployment(tmp_path):
    deployment = SentinelDeployment(tmp_path)
    deployment.start()
    yield deployment
    deployment.stop_all()


@pytest.mark.timeout(120)
def test_every_redis_client_finds_the_master_through_sentinel_and_the_new_one_after_a_failover(
    sentinel_deployment, tmp_path
):
    expected = {"layer": 7, "cache": "kept", "broker": "check"}
    for kind, backend in (("redis", "RedisChannelLayer"), ("redis_pubsub", "RedisPubSubChannelLayer")):
        answer = round_trips(sentinel_deployment, kind, tmp_path)
        assert answer == {**expected, "layer_backend": backend}

    sentinel_deployment.stop("master")  # the sentinel notices, and promotes the replica
    sentinel_deployment.wait_for(lambda: sentinel_deployment.master_port() == sentinel_deployment.replica)
    sentinel_deployment.wait_for(
        lambda: "role:master" in redis_cli(sentinel_deployment.replica, "info", "replication")
    )
    for kind in ("redis", "redis_pubsub"):
        assert round_trips(sentinel_deployment, kind, tmp_path) | {"layer_backend": None} == {
            **expected,
            "layer_backend": None,
        }
