"""Admission control: a busy process refuses a socket at once (4503, with when to come back, spread out)
before spending anything on it; a user over its own limit gets 4429; a refusal is counted, and the room
it frees is given back when a socket closes. Over the full ASGI stack, as phones connect."""

import json

import pytest
from asgiref.sync import sync_to_async

from api import admission
from api.admission import CLOSE_BUSY, CLOSE_TOO_MANY_SOCKETS, Gate, lag_reading
from ooh.audit.models import AccessLog
from ooh.metrics import WEBSOCKETS_REFUSED

from .wsclient import connect, open_incident_socket, receive, token_for

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("slow_resync"),
]


@pytest.fixture(autouse=True)
def fresh_gate(monkeypatch):
    """Each test counts its own sockets: a fresh gate, whatever earlier tests left open."""
    gate = Gate()
    monkeypatch.setattr(admission, "_gate", gate)
    return gate


async def refused(path, token=None):
    """(close code, retry_after_ms) of a connection the server accepts and closes at once."""
    ws, connected, _ = await connect(path, token)
    assert connected, "a refusal is a close after the handshake, so the phone can read its code"
    message = await ws.receive_output(timeout=5)
    assert message["type"] == "websocket.close"
    return message["code"], json.loads(message["reason"])["retry_after_ms"]


def refusals(code, why):
    return WEBSOCKETS_REFUSED.labels(code=str(code), why=why)._value.get()


async def test_a_full_process_refuses_with_4503_before_it_looks_at_the_token(
    settings, alice, incident, fresh_gate
):
    settings.WS_MAX_SOCKETS, settings.WS_RETRY_AFTER_MS = 2, 2_000
    token = await sync_to_async(token_for)(alice)
    held = [await open_incident_socket(alice, incident, token=token) for _ in range(2)]
    assert fresh_gate.sockets == 2
    audited = await AccessLog.objects.acount()
    before = refusals(CLOSE_BUSY, "full")

    code, retry = await refused(f"/ws/v1/incidents/{incident.pk}/", token)
    assert code == CLOSE_BUSY
    assert 1_000 <= retry <= 3_000
    # Nothing spent on it: a bad token is refused the same way, and no audit row was written.
    assert (await refused(f"/ws/v1/incidents/{incident.pk}/", "not-a-token"))[0] == CLOSE_BUSY
    assert await AccessLog.objects.acount() == audited
    assert refusals(CLOSE_BUSY, "full") == before + 2

    await held[0].disconnect()  # room again: the next phone gets in, with its hello
    assert fresh_gate.sockets == 1
    again = await open_incident_socket(alice, incident, token=token)
    assert fresh_gate.sockets == 2
    for ws in (held[1], again):
        await ws.disconnect()
    assert (fresh_gate.sockets, fresh_gate.connecting) == (0, 0)


async def test_the_feed_is_refused_the_same_way(settings, alice, fresh_gate):
    settings.WS_MAX_SOCKETS = 1
    fresh_gate.sockets = 1  # another socket holds the only place
    assert (await refused("/ws/v1/feed/"))[0] == CLOSE_BUSY


async def test_a_burst_of_handshakes_in_progress_refuses_the_next(settings, alice, incident, fresh_gate):
    settings.WS_MAX_CONNECTING = 3
    fresh_gate.connecting = 3  # three handshakes the process has not yet answered
    token = await sync_to_async(token_for)(alice)
    before = refusals(CLOSE_BUSY, "burst")
    assert (await refused(f"/ws/v1/incidents/{incident.pk}/", token))[0] == CLOSE_BUSY
    assert refusals(CLOSE_BUSY, "burst") == before + 1
    fresh_gate.connecting = 2
    ws = await open_incident_socket(alice, incident, token=token)
    assert fresh_gate.connecting == 2, "a socket past its hello is no longer shaking hands"
    await ws.disconnect()


async def test_an_overloaded_process_refuses_until_its_loop_is_on_time_again(
    settings, alice, incident, fresh_gate
):
    settings.WS_OVERLOAD_LAG_MS = 500
    token = await sync_to_async(token_for)(alice)
    fresh_gate.watch_the_loop()
    fresh_gate.lag = 0.8  # the probe's last reading: wake-ups 800 ms late
    assert (await refused(f"/ws/v1/incidents/{incident.pk}/", token))[0] == CLOSE_BUSY
    fresh_gate.lag = lag_reading(lag_reading(0.8, 0.0), 0.0)  # two on-time probes later: 200 ms
    ws = await open_incident_socket(alice, incident, token=token)
    await ws.disconnect()


async def test_a_user_over_its_socket_limit_gets_4429_and_others_still_connect(
    settings, alice, hale, incident, fresh_gate
):
    settings.WS_MAX_SOCKETS_PER_USER = 2
    token = await sync_to_async(token_for)(alice)
    held = [await open_incident_socket(alice, incident, token=token) for _ in range(2)]
    before = refusals(CLOSE_TOO_MANY_SOCKETS, "user_limit")

    code, retry = await refused(f"/ws/v1/incidents/{incident.pk}/", token)
    assert code == CLOSE_TOO_MANY_SOCKETS
    assert retry > 0
    assert (await refused("/ws/v1/feed/", token))[0] == CLOSE_TOO_MANY_SOCKETS  # every route counts
    assert refusals(CLOSE_TOO_MANY_SOCKETS, "user_limit") == before + 2
    assert fresh_gate.per_user[str(alice.pk)] == 2

    other = await open_incident_socket(
        hale, incident, token=await sync_to_async(token_for)(hale)
    )  # another user of the same agency is not held up
    await other.disconnect()
    await held[0].disconnect()
    again = await open_incident_socket(alice, incident, token=token)
    for ws in (held[1], again):
        await ws.disconnect()
    assert str(alice.pk) not in fresh_gate.per_user


async def test_an_unauthenticated_socket_is_not_counted_against_anyone(settings, incident, fresh_gate):
    settings.WS_MAX_SOCKETS_PER_USER = 1
    for _ in range(3):
        ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/")
        assert (await ws.receive_output(timeout=5))["code"] == 4401
        await ws.wait()  # the refused socket's task ends here, not in the loop's teardown
    assert not fresh_gate.per_user


async def test_a_socket_refused_by_the_consumer_frees_its_place(settings, omar, incident, fresh_gate):
    token = await sync_to_async(token_for)(omar)  # EDT is not on this incident: 4404
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/", token)
    assert (await ws.receive_output(timeout=5))["code"] == 4404
    await ws.wait()
    assert (fresh_gate.sockets, fresh_gate.connecting) == (0, 0)
    assert not fresh_gate.per_user


async def test_hello_still_comes_first_through_the_gate(alice, incident):
    token = await sync_to_async(token_for)(alice)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?after=0", token)
    hello = await receive(ws)
    assert hello == {"type": "hello", "incident": str(incident.pk), "last_seq": incident.last_seq}
    await ws.disconnect()
