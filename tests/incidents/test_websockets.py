"""Websockets over the full ASGI stack (auth middleware, routing, consumers) on a file-backed database."""

import datetime
import json
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from ooh.incidents import actions, events
from tests.personas import client_for

from .wsclient import closed_with, connect, receive, ticket_for, token_for

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def slow_resync(settings):
    """Live delivery must come through the channel layer, not the periodic database re-check."""
    settings.WS_RESYNC_SECONDS = 60


@pytest.fixture
def fast_resync(settings):
    settings.WS_RESYNC_SECONDS = 0.05


async def _act(fn, **kwargs):
    return await sync_to_async(fn)(**kwargs)


async def test_hello_then_the_whole_timeline_then_live_events(alice, omar, edt, incident):
    token = await sync_to_async(token_for)(alice)
    await _act(
        actions.request_attendance, actor=alice, incident=incident, agency=edt, respond_within_minutes=10
    )
    ws, connected, _ = await connect(f"/ws/v1/incidents/{incident.pk}/", token)
    assert connected
    hello = await receive(ws)
    assert hello == {"type": "hello", "incident": str(incident.pk), "last_seq": 2}
    replay = [await receive(ws), await receive(ws)]
    assert [(m["seq"], m["event"]) for m in replay] == [(1, "incident.opened"), (2, "attendance.requested")]
    await _act(
        actions.update_attendance,
        actor=omar,
        incident=incident,
        status="attending",
        eta=timezone.now() + datetime.timedelta(minutes=30),
    )
    live = await receive(ws)
    assert (live["seq"], live["event"], live["data"]["status"]) == (3, "attendance.updated", "attending")
    assert live["actor"]["username"] == "omar"
    assert await ws.receive_nothing(timeout=0.1)
    await ws.disconnect()


async def test_a_reconnecting_client_gets_exactly_what_it_missed(alice, hale, edt, incident):
    token = await sync_to_async(token_for)(alice)
    for reason in ("first", "second", "third"):
        await _act(
            actions.appoint, actor=alice, incident=incident, role="decision_maker", user=hale, reason=reason
        )
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?after=2", token)
    assert (await receive(ws))["last_seq"] == 4
    received = [await receive(ws), await receive(ws)]
    assert [m["seq"] for m in received] == [3, 4]
    assert [m["data"]["reason"] for m in received] == ["second", "third"]
    assert await ws.receive_nothing(timeout=0.1)
    await ws.disconnect()


async def test_a_dropped_wake_up_is_filled_from_the_database_in_order(alice, hale, incident):
    token = await sync_to_async(token_for)(alice)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?after=1", token)
    await receive(ws)  # hello
    real_publish = events.publish
    with mock.patch.object(events, "publish", return_value=None):  # the channel layer loses seq 2
        await _act(
            actions.appoint, actor=alice, incident=incident, role="decision_maker", user=hale, reason="lost"
        )
    with mock.patch.object(events, "publish", real_publish):
        await _act(
            actions.appoint,
            actor=alice,
            incident=incident,
            role="lead_professional",
            user=hale,
            reason="seen",
        )
    received = [await receive(ws), await receive(ws)]
    assert [(m["seq"], m["data"]["reason"]) for m in received] == [(2, "lost"), (3, "seen")]
    assert await ws.receive_nothing(timeout=0.1)
    await ws.disconnect()


async def test_a_lost_last_wake_up_is_caught_by_the_periodic_resync(alice, hale, incident, fast_resync):
    token = await sync_to_async(token_for)(alice)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?after=1", token)
    await receive(ws)
    with mock.patch.object(events, "publish", return_value=None):
        await _act(
            actions.appoint, actor=alice, incident=incident, role="decision_maker", user=hale, reason="quiet"
        )
    assert (await receive(ws))["seq"] == 2
    await ws.disconnect()


async def test_duplicate_wake_ups_are_dropped(alice, hale, incident):
    token = await sync_to_async(token_for)(alice)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?after=0", token)
    await receive(ws)
    first = await receive(ws)
    assert first["seq"] == 1
    await sync_to_async(events.publish)(first)  # the same event woken twice
    await _act(actions.appoint, actor=alice, incident=incident, role="decision_maker", user=hale, reason="x")
    assert (await receive(ws))["seq"] == 2
    assert await ws.receive_nothing(timeout=0.1)
    await ws.disconnect()


async def test_live_events_go_out_without_a_hop_to_the_shared_sync_thread(alice, hale, incident):
    """Channels' default dispatch hops to the one sync thread per message (to close stale connections):
    1,000 hops queued per event on a busy incident. The live path must not touch the thread at all."""
    token = await sync_to_async(token_for)(alice)
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?after=1", token)
    await receive(ws)
    text = await sync_to_async(_opened_as_seq_2)(incident)
    hop = mock.patch("channels.consumer.aclose_old_connections", side_effect=AssertionError("a thread hop"))
    with hop, mock.patch("asgiref.sync.SyncToAsync.__call__", side_effect=AssertionError("a thread hop")):
        await get_channel_layer().group_send(
            events.incident_group(incident.pk), {"type": "incident.event", "seq": 2, "text": text}
        )
        assert (await receive(ws))["seq"] == 2
    await ws.disconnect()


def _opened_as_seq_2(incident):
    return json.dumps({**events.event_dict(events.Event.objects.get(incident=incident, seq=1)), "seq": 2})


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
    await _act(revoke_all_tokens, user=alice)
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


async def test_the_feed_hears_of_an_incident_opened_for_its_agency(alice, bob, family):
    from tests import factories

    await sync_to_async(factories.flag)(alice, on=family["dean"], category="violence")  # police hold a stake
    token = await sync_to_async(token_for)(alice)
    feed, _, _ = await connect("/ws/v1/feed/", token)
    assert (await receive(feed))["type"] == "hello"
    opened = await _act(
        actions.open_incident,
        actor=bob,
        kind="birth",
        summary="Home birth",
        subjects=[family["baby"]],
        stakeholder_agency_ids=[alice.membership.agency_id],
    )
    message = await receive(feed)
    assert (message["type"], message["event"], message["incident"]) == (
        "feed",
        "incident.opened",
        str(opened.pk),
    )
    await feed.disconnect()


# Sessions ending: each socket closes with 4403 through the user's sessions group, at once. The resync
# sweep is an hour away here (slow_resync), so a close seen within the timeout came by that route.


async def _incident_socket(user, incident, *, token=None, ticket=None):
    """An open incident socket, past its hello and replay, authorised by a token or a ticket."""
    path = f"/ws/v1/incidents/{incident.pk}/?after={incident.last_seq}"
    ws, connected, _ = await connect(f"{path}&ticket={ticket}" if ticket else path, token)
    assert connected
    assert (await receive(ws))["type"] == "hello"
    return ws


async def _feed_socket(*, token=None, ticket=None):
    ws, connected, _ = await connect(f"/ws/v1/feed/?ticket={ticket}" if ticket else "/ws/v1/feed/", token)
    assert connected
    assert (await receive(ws))["type"] == "hello"
    return ws


async def _still_open(ws):
    assert await ws.receive_nothing(timeout=0.1)
    await ws.send_json_to({"type": "ping"})
    assert await receive(ws) == {"type": "pong"}


def _session_ids(client):
    return {s["device_name"]: s["id"] for s in client.get("/api/v1/auth/sessions/").json()["results"]}


@pytest.fixture
def slow_layer_check(settings):
    """The resync sweep could close these sockets too: it must not run while the test waits."""
    settings.WS_RESYNC_SECONDS = 3600


async def test_logout_all_closes_ticket_and_token_sockets_at_once(alice, bob, incident, slow_layer_check):
    phone = await sync_to_async(client_for)(alice, "phone")
    by_token = await _incident_socket(alice, incident, token=await sync_to_async(token_for)(alice, "tablet"))
    by_ticket = await _feed_socket(ticket=await sync_to_async(ticket_for)(alice))
    others = await _feed_socket(token=await sync_to_async(token_for)(bob))
    assert (await sync_to_async(phone.post)("/api/v1/auth/logout-all/")).status_code == 204
    assert await closed_with(by_token) == 4403
    assert await closed_with(by_ticket) == 4403
    await _still_open(others)  # bob signed out of nothing
    await others.disconnect()


async def test_revoking_one_device_closes_only_that_devices_sockets(alice, incident, slow_layer_check):
    phone_token = await sync_to_async(token_for)(alice, "phone")
    tablet = await sync_to_async(client_for)(alice, "tablet")
    phone_by_token = await _incident_socket(alice, incident, token=phone_token)
    phone_by_ticket = await _incident_socket(
        alice, incident, ticket=await sync_to_async(ticket_for)(alice, phone_token)
    )
    tablet_by_ticket = await _feed_socket(
        ticket=(await sync_to_async(tablet.post)("/api/v1/ws-ticket/")).json()["ticket"]
    )
    phone_id = (await sync_to_async(_session_ids)(tablet))["phone"]
    assert (await sync_to_async(tablet.delete)(f"/api/v1/auth/sessions/{phone_id}/")).status_code == 204
    assert await closed_with(phone_by_token) == 4403
    assert await closed_with(phone_by_ticket) == 4403
    await _still_open(tablet_by_ticket)
    await tablet_by_ticket.disconnect()


async def test_logout_closes_the_sockets_of_this_token_only(alice, incident, slow_layer_check):
    phone, tablet_token = (
        await sync_to_async(client_for)(alice, "phone"),
        await sync_to_async(token_for)(alice),
    )
    phone_ticket = (await sync_to_async(phone.post)("/api/v1/ws-ticket/")).json()["ticket"]
    phone_by_ticket = await _incident_socket(alice, incident, ticket=phone_ticket)
    tablet_by_token = await _incident_socket(alice, incident, token=tablet_token)
    assert (await sync_to_async(phone.post)("/api/v1/auth/logout/")).status_code == 204
    assert await closed_with(phone_by_ticket) == 4403
    await _still_open(tablet_by_token)
    await tablet_by_token.disconnect()


async def test_the_lost_phone_action_closes_every_socket_of_the_user(alice, incident, slow_layer_check):
    from ooh.accounts.actions import revoke_all_tokens

    by_token = await _feed_socket(token=await sync_to_async(token_for)(alice))
    by_ticket = await _incident_socket(alice, incident, ticket=await sync_to_async(ticket_for)(alice))
    await _act(revoke_all_tokens, user=alice)  # what the admin's "Lost phone" action calls
    assert await closed_with(by_token) == 4403
    assert await closed_with(by_ticket) == 4403


async def test_a_user_made_inactive_loses_every_socket_at_once(alice, incident, slow_layer_check):
    by_token = await _incident_socket(alice, incident, token=await sync_to_async(token_for)(alice))
    by_ticket = await _feed_socket(ticket=await sync_to_async(ticket_for)(alice))
    alice.is_active = False
    await sync_to_async(alice.save)()  # as the admin's check box does
    assert await closed_with(by_token) == 4403
    assert await closed_with(by_ticket) == 4403


async def test_a_ticket_issued_under_a_revoked_token_opens_nothing(alice, incident):
    phone = await sync_to_async(client_for)(alice, "phone")
    ticket = (await sync_to_async(phone.post)("/api/v1/ws-ticket/")).json()["ticket"]
    assert (await sync_to_async(phone.post)("/api/v1/auth/logout/")).status_code == 204
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/?ticket={ticket}")
    assert await closed_with(ws) == 4401


# Bad frames: each gets {"type": "error", "code", "detail"} and the socket stays up.


async def _bad_frame_answer(ws, **frame):
    await ws.send_to(**frame)
    answer = await receive(ws)
    assert set(answer) == {"type", "code", "detail"}
    assert answer["type"] == "error"
    await _still_open(ws)
    return answer


async def test_a_deeply_nested_frame_does_not_drop_the_socket(alice, incident):
    ws = await _incident_socket(alice, incident, token=await sync_to_async(token_for)(alice))
    assert (await _bad_frame_answer(ws, text_data="[" * 5000))["code"] == "too_deep"
    assert (await _bad_frame_answer(ws, text_data='{"a":' * 33 + "1" + "}" * 33))["code"] == "too_deep"
    await ws.send_to(text_data=json.dumps({"type": "ping", "note": "[" * 5000}))  # brackets in text count not
    assert await receive(ws) == {"type": "pong"}
    await ws.disconnect()


async def test_a_frame_over_64_kib_does_not_drop_the_socket(alice, incident):
    ws = await _feed_socket(token=await sync_to_async(token_for)(alice))
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
    ws = await _feed_socket(token=await sync_to_async(token_for)(alice))
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
