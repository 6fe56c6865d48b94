"""Who an incident socket lets in and on what terms (4401, 4403, 4404, tickets, Origin), frames it
refuses without dropping, and every opening on the record, over the full ASGI stack."""

import json

import pytest
from asgiref.sync import sync_to_async

from .wsclient import (
    act,
    closed_with,
    connect,
    open_feed_socket,
    open_incident_socket,
    receive,
    still_open,
    ticket_for,
    token_for,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("slow_resync"),
]


async def test_without_credentials_the_socket_is_closed_4401(incident):
    ws, connected, _ = await connect(f"/ws/v1/incidents/{incident.pk}/")
    assert connected
    assert await closed_with(ws) == 4401


async def test_a_bad_token_is_closed_4401(incident):
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/", "not-a-token")
    assert await closed_with(ws) == 4401


async def test_an_incident_the_caller_may_not_see_is_closed_4404(incident, omar):
    token = await sync_to_async(token_for)(omar)  # EDT is not involved in this incident
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/", token)
    assert await closed_with(ws) == 4404


async def test_an_unknown_incident_is_closed_4404(alice):
    token = await sync_to_async(token_for)(alice)
    ws, _, _ = await connect("/ws/v1/incidents/00000000-0000-0000-0000-000000000000/", token)
    assert await closed_with(ws) == 4404


async def test_a_user_without_an_agency_is_closed_4403(incident, nobody):
    token = await sync_to_async(token_for)(nobody)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/", token)
    assert await closed_with(ws) == 4403


async def test_a_revoked_token_closes_the_socket_4403(alice, incident, fast_resync):
    from ooh.accounts.actions import revoke_all_tokens

    token = await sync_to_async(token_for)(alice)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/", token)
    await receive(ws)
    await receive(ws)
    await act(revoke_all_tokens, user=alice)
    assert await closed_with(ws) == 4403


async def test_a_single_use_ticket_opens_one_socket(alice, incident):
    ticket = await sync_to_async(ticket_for)(alice)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?ticket={ticket}")
    assert (await receive(ws))["type"] == "hello"
    await ws.disconnect()
    again, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?ticket={ticket}")
    assert await closed_with(again) == 4401


async def test_phones_without_origin_are_accepted_and_foreign_browsers_refused(alice, incident):
    token = await sync_to_async(token_for)(alice)
    allowed, connected, _ = await connect(
        f"/ws/v1/incidents/{incident.pk}/", token, origin="http://localhost:3000"
    )
    assert connected
    await allowed.disconnect()
    _foreign, connected, _ = await connect(
        f"/ws/v1/incidents/{incident.pk}/", token, origin="https://evil.example"
    )
    assert not connected


async def test_ping_pong_and_bad_messages_keep_the_socket_open(alice, incident):
    token = await sync_to_async(token_for)(alice)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/", token)
    await receive(ws)
    await receive(ws)
    await ws.send_to(text_data="not json")
    assert (await receive(ws))["code"] == "invalid_json"
    await ws.send_json_to({"type": "subscribe"})
    assert (await receive(ws))["code"] == "unknown_type"
    await ws.send_json_to({"type": "ping"})
    assert await receive(ws) == {"type": "pong"}
    await ws.disconnect()


async def test_a_malformed_after_is_refused(alice, incident):
    token = await sync_to_async(token_for)(alice)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?after=minus-one", token)
    assert (await receive(ws))["code"] == "invalid_after"
    assert await closed_with(ws) == 4400


# Bad frames: each gets {"type": "error", "code", "detail"} and the socket stays up.


async def _bad_frame_answer(ws, **frame):
    await ws.send_to(**frame)
    answer = await receive(ws)
    assert set(answer) == {"type", "code", "detail"}
    assert answer["type"] == "error"
    await still_open(ws)
    return answer


async def test_a_deeply_nested_frame_does_not_drop_the_socket(alice, incident):
    ws = await open_incident_socket(alice, incident, token=await sync_to_async(token_for)(alice))
    assert (await _bad_frame_answer(ws, text_data="[" * 5000))["code"] == "too_deep"
    assert (await _bad_frame_answer(ws, text_data='{"a":' * 33 + "1" + "}" * 33))["code"] == "too_deep"
    await ws.send_to(text_data=json.dumps({"type": "ping", "note": "[" * 5000}))  # brackets in text count not
    assert await receive(ws) == {"type": "pong"}
    await ws.disconnect()


async def test_a_frame_over_64_kib_does_not_drop_the_socket(alice, incident):
    ws = await open_feed_socket(token=await sync_to_async(token_for)(alice))
    padding = "x" * (64 * 1024)
    answer = await _bad_frame_answer(ws, text_data=json.dumps({"type": "ping", "padding": padding}))
    assert answer["code"] == "frame_too_large"
    multibyte = json.dumps({"type": "ping", "padding": "é" * (33 * 1024)}, ensure_ascii=False)
    assert len(multibyte) < 64 * 1024 < len(multibyte.encode())  # the limit counts bytes
    assert (await _bad_frame_answer(ws, text_data=multibyte))["code"] == "frame_too_large"
    await ws.send_to(text_data=json.dumps({"type": "ping", "padding": "x" * 60_000}))
    assert await receive(ws) == {"type": "pong"}
    await ws.disconnect()


async def test_binary_non_object_and_unknown_frames_do_not_drop_the_socket(alice, incident):
    ws = await open_feed_socket(token=await sync_to_async(token_for)(alice))
    assert (await _bad_frame_answer(ws, bytes_data=b"\x00\xff"))["code"] == "binary_frame"
    assert (await _bad_frame_answer(ws, text_data="[1, 2]"))["code"] == "invalid_json"
    assert (await _bad_frame_answer(ws, text_data='{"type": "ping"'))["code"] == "invalid_json"
    unknown = await _bad_frame_answer(ws, text_data=json.dumps({"type": "y" * 10_000}))
    assert unknown["code"] == "unknown_type"
    assert len(unknown["detail"]) < 100, "the frame is not echoed back"
    await ws.disconnect()


async def test_opening_a_socket_is_on_the_record_and_so_is_a_refused_one(alice, hale, omar, incident):
    """A socket replays the timeline then streams it, and the feed names incidents as they come: each
    opening is one audit row; a socket refused for an incident outside need to know is audited too."""
    from ooh.audit.models import AccessLog

    ws, connected, _ = await connect(
        f"/ws/v1/incidents/{incident.pk}/?after=0", await sync_to_async(token_for)(hale)
    )
    assert connected
    await receive(ws)
    feed, connected, _ = await connect("/ws/v1/feed/", await sync_to_async(token_for)(hale))
    assert connected
    await receive(feed)
    refused, connected, _ = await connect(
        f"/ws/v1/incidents/{incident.pk}/", await sync_to_async(token_for)(omar)
    )
    assert await closed_with(refused) == 4404

    def rows():
        return list(
            AccessLog.objects.filter(object_type__in=["incident_events", "feed"]).values_list(
                "username", "action", "object_type", "incident_id", "detail__after"
            )
        )

    assert sorted(await sync_to_async(rows)(), key=str) == sorted(
        [
            ("hale", "read", "incident_events", incident.pk, 0),
            ("hale", "read", "feed", None, None),
            ("omar", "refused", "incident_events", None, 0),
        ],
        key=str,
    )
    for socket in (ws, feed):
        await socket.disconnect()
