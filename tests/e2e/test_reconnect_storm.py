"""A reconnect storm against two ASGI processes on PostgreSQL and a private Redis, as after a deploy:
every phone comes back at once, some holding a seq and some nothing, while the control room keeps
writing. The processes admit a few handshakes at a time (a small OOH_WS_MAX_CONNECTING), so phones are
refused with 4503 and come back after the delay they were given; then one process is killed mid-storm
and its phones come back to the other. Every phone must end holding every event exactly once, in order,
with nothing missing - whichever process served it, however often it was told to wait.

The phones follow the README's rules for phone teams: reconnect with `?after=<the last seq held>`, wait
`retry_after_ms` on 4503, back off with full jitter on a dropped connection, and read the snapshot first
only when they hold nothing."""

import asyncio
import json
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PHONES = 240
EXTRA_EVENTS = 6  # written by the control room while the phones come back


@pytest.fixture
def stack(tmp_path, redis, django_db_blocker):
    with django_db_blocker.unblock():
        deployment = Stack(
            tmp_path / "stack",
            redis_url=redis.url,
            night=True,
            OOH_WS_MAX_CONNECTING="8",  # a few handshakes at a time: the storm meets 4503
            OOH_WS_RETRY_AFTER_MS="300",
            OOH_WS_MAX_SOCKETS_PER_USER="1000",  # the test's phones share a few logins
        )
    yield deployment
    with django_db_blocker.unblock():
        deployment.stop()


class StormPhone:
    """One phone: what it holds, and how it got there."""

    def __init__(self, token, incident, holds, servers):
        self.token, self.incident, self.servers = token, incident, servers
        self.seen: list[int] = list(range(1, holds + 1))  # the events it read before the restart
        self.refused = self.dropped = self.snapshots = self.hellos = 0
        self.server = random.randrange(len(servers))  # where the load balancer sends it first

    @property
    def last_seq(self):
        return self.seen[-1] if self.seen else 0

    def _live(self):
        return [s for s in self.servers if s.process.poll() is None]

    async def _snapshot(self, server) -> int:
        response = await asyncio.to_thread(
            requests.get,
            f"{server.http}/api/v1/incidents/{self.incident}/",
            headers={"Authorization": f"Token {self.token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        self.snapshots += 1
        return response.json()["last_seq"]

    async def come_back(self, until_seq: int, deadline: float):
        """Connect (again and again if need be) until it holds every event up to `until_seq`."""
        attempt = 0
        while self.last_seq < until_seq:
            assert time.monotonic() < deadline, f"a phone still holds {self.last_seq} of {until_seq}"
            live = self._live()
            server = live[self.server % len(live)]
            try:
                if not self.seen:  # holds nothing: the snapshot first, then the events after it
                    self.seen = list(range(1, await self._snapshot(server) + 1))
                async with connect(
                    f"{server.ws}/ws/v1/incidents/{self.incident}/?after={self.last_seq}",
                    additional_headers={"Authorization": f"Token {self.token}"},
                    open_timeout=30,
                ) as ws:
                    hello = json.loads(await ws.recv())
                    assert hello["type"] == "hello", hello
                    self.hellos += 1
                    attempt = 0
                    while self.last_seq < until_seq:
                        message = json.loads(await ws.recv())
                        if message["type"] == "event":
                            self.seen.append(message["seq"])
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd is not None else None
                if code == 4503:
                    self.refused += 1
                    await asyncio.sleep(json.loads(closed.rcvd.reason)["retry_after_ms"] / 1000)
                    continue
                assert code in (None, 1006, 1011, 1012), f"closed with {code}"
                self.dropped += 1
            except (OSError, InvalidHandshake, TimeoutError):
                self.dropped += 1  # the process it was talking to is gone
            self.server += 1  # the load balancer sends it elsewhere
            attempt += 1
            await asyncio.sleep(random.uniform(0, min(2.0, 0.1 * 2**attempt)))  # full jitter


async def storm(phones, until_seq, kill, write):
    deadline = time.monotonic() + 90
    tasks = [asyncio.create_task(p.come_back(until_seq, deadline)) for p in phones]
    while sum(p.hellos for p in phones) < len(phones) // 3:  # a third are back: mid-storm
        await asyncio.sleep(0.01)
    kill()
    await asyncio.to_thread(write)
    await asyncio.gather(*tasks)


@pytest.mark.timeout(300)
def test_every_phone_comes_back_current_through_refusals_and_a_killed_process(stack):
    web_a, web_b = stack.web("web-a"), stack.web("web-b")
    carl, hale = web_a.login("carl"), web_a.login("hale")
    agencies = {a["code"]: a["id"] for a in carl.get("/agencies/").json()["results"]}
    [night] = carl.get("/incidents/").json()["results"]  # the demo's night: the Vale family's incident
    subjects = [subject["id"] for subject in carl.get(f"/incidents/{night['id']}/").json()["subjects"]]
    opened = carl.post("/incidents/", {"kind": "birth", "summary": "Baby born at home", "subjects": subjects})
    assert opened.status_code == 201, opened.text
    incident = opened.json()["id"]
    for code in ("northshire-edt", "northshire-ambulance"):
        response = carl.post(
            f"/incidents/{incident}/attendance-requests/",
            {"agency": agencies[code], "respond_within_minutes": 30},
        )
        assert response.status_code == 201, response.text
    held = carl.get(f"/incidents/{incident}/").json()["last_seq"]

    def write():
        """The control room keeps working through the storm, through the surviving process."""
        for n in range(EXTRA_EVENTS):
            response = carl.patch(f"/incidents/{incident}/", {"summary": f"Baby born at home (update {n})"})
            assert response.status_code == 200, response.text

    random.seed(20)
    tokens = [carl.token, hale.token]
    phones = [
        StormPhone(tokens[i % 2], incident, random.choice([0, 0, held, held - 1, held - 3]), [web_a, web_b])
        for i in range(PHONES)
    ]
    final = held + EXTRA_EVENTS

    def kill():
        web_b.process.send_signal(signal.SIGKILL)

    # On a thread of its own: an earlier test may have left this thread's event loop running.
    runner = ThreadPoolExecutor(1)
    runner.submit(asyncio.run, storm(phones, final, kill, write)).result(timeout=240)
    runner.shutdown()
    print(  # the storm's shape, for whoever reads the log of a run
        f"storm: {sum(p.hellos for p in phones)} hellos, {sum(p.refused for p in phones)} refused (4503), "
        f"{sum(p.dropped for p in phones)} dropped, {sum(p.snapshots for p in phones)} snapshots"
    )

    assert carl.get(f"/incidents/{incident}/").json()["last_seq"] == final
    for phone in phones:
        assert phone.seen == list(range(1, final + 1)), "a gap or a repeat"
    assert sum(p.refused for p in phones) > 0, (
        "the storm never met admission control: the test proves nothing"
    )
    assert sum(p.dropped for p in phones) > 0, "no phone was on the killed process"
    assert sum(p.snapshots for p in phones) >= PHONES * 2 // 5  # the ones holding nothing read it first
    assert web_b.process.wait(timeout=10) == -signal.SIGKILL
    assert requests.get(f"{web_a.http}/healthz", timeout=5).status_code == 200
