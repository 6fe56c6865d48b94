"""Websockets over the full ASGI stack (auth middleware, routing, consumers) on a file-backed database:
an incident socket's hello, its timeline and live events, exactly once and in order; the agency feed."""

import datetime
import json
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from ooh.incidents import actions, events

from .wsclient import (
    act,
    connect,
    receive,
    token_for,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("slow_resync"),
]


async def test_hello_then_the_whole_timeline_then_live_events(alice, omar, edt, incident):
    token = await sync_to_async(token_for)(alice)
    await act(
        actions.request_attendance, actor=alice, incident=incident, agency=edt, respond_within_minutes=10
    )
    ws, connected, _ = await connect(f"/ws/v1/incidents/{incident.pk}/", token)
    assert connected
    hello = await receive(ws)
    assert hello == {"type": "hello", "incident": str(incident.pk), "last_seq": 2}
    replay = [await receive(ws), await receive(ws)]
    assert [(m["seq"], m["event"]) for m in replay] == [(1, "incident.opened"), (2, "attendance.requested")]
    await act(
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
        await act(
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
        await act(
            actions.appoint, actor=alice, incident=incident, role="decision_maker", user=hale, reason="lost"
        )
    with mock.patch.object(events, "publish", real_publish):
        await act(
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
        await act(
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
    await act(actions.appoint, actor=alice, incident=incident, role="decision_maker", user=hale, reason="x")
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


async def test_the_feed_hears_of_an_incident_opened_for_its_agency(alice, bob, family):
    from tests import factories

    await sync_to_async(factories.flag)(alice, on=family["dean"], category="violence")  # police hold a stake
    token = await sync_to_async(token_for)(alice)
    feed, _, _ = await connect("/ws/v1/feed/", token)
    assert (await receive(feed))["type"] == "hello"
    opened = await act(
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
