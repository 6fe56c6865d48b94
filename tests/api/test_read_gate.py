"""HTTP reads wait their turn before Django (api.admission.ReadGate): at most HTTP_MAX_CONCURRENT_READS
at a time, the rest queued in the event loop, 503 busy (with Retry-After, in the API's error shape)
beyond HTTP_MAX_WAITING_READS; writes and the probes never wait for reads."""

import asyncio
import json

import pytest

from api.admission import ReadGate
from ooh.metrics import HTTP_READS_SHED

pytestmark = pytest.mark.asyncio


class HeldApp:
    """An application whose requests stay in it until released: how many are inside, at most."""

    def __init__(self):
        self.inside = self.most = 0
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        self.inside += 1
        self.most = max(self.most, self.inside)
        try:
            await self.release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        finally:
            self.inside -= 1


async def request(gate, method="GET", path="/api/v1/incidents/x/"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await gate({"type": "http", "method": method, "path": path}, receive, send)
    return sent


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


async def test_reads_beyond_the_limit_wait_and_all_are_served(settings):
    settings.HTTP_MAX_CONCURRENT_READS, settings.HTTP_MAX_WAITING_READS = 2, 100
    app = HeldApp()
    gate = ReadGate(app)
    reads = [asyncio.create_task(request(gate)) for _ in range(10)]
    await settle()
    assert (app.inside, gate.waiting) == (2, 8)
    app.release.set()
    answers = await asyncio.gather(*reads)
    assert app.most == 2
    assert all(a[0]["status"] == 200 for a in answers)
    assert gate.waiting == 0


async def test_writes_and_probes_never_wait_for_reads(settings):
    settings.HTTP_MAX_CONCURRENT_READS, settings.HTTP_MAX_WAITING_READS = 1, 100
    app = HeldApp()
    gate = ReadGate(app)
    reads = [asyncio.create_task(request(gate)) for _ in range(5)]
    write = asyncio.create_task(request(gate, "POST", "/api/v1/incidents/x/attendance/"))
    probe = asyncio.create_task(request(gate, "GET", "/healthz"))
    await settle()
    assert app.inside == 3  # one read, the write and the probe: the other reads wait
    app.release.set()
    await asyncio.gather(*reads, write, probe)


async def test_a_read_beyond_the_waiting_bound_is_answered_503_busy_at_once(settings):
    settings.HTTP_MAX_CONCURRENT_READS, settings.HTTP_MAX_WAITING_READS = 1, 2
    settings.WS_RETRY_AFTER_MS = 2_000
    app = HeldApp()
    gate = ReadGate(app)
    held = [asyncio.create_task(request(gate)) for _ in range(3)]  # one inside, two waiting
    await settle()
    shed = HTTP_READS_SHED._value.get()
    start, body = await request(gate)
    headers = dict(start["headers"])
    assert start["status"] == 503
    assert 1 <= int(headers[b"retry-after"]) <= 3
    assert headers[b"cache-control"] == b"no-store"
    assert headers[b"x-request-id"]
    assert json.loads(body["body"]) == {
        "type": "server_error",
        "errors": [{"code": "busy", "detail": json.loads(body["body"])["errors"][0]["detail"], "attr": None}],
    }
    assert HTTP_READS_SHED._value.get() == shed + 1
    assert app.inside == 1
    app.release.set()
    await asyncio.gather(*held)


async def test_websockets_pass_through(settings):
    settings.HTTP_MAX_CONCURRENT_READS = 1
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    await ReadGate(app)({"type": "websocket", "path": "/ws/v1/feed/"}, None, None)
    assert seen == ["websocket"]
