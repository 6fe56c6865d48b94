"""The feed's `?incidents=all`: a control room (who sees every incident) hears every incident's events,
as the board's list does; anyone else is refused with 4403, and a socket whose user stops being a
control room is closed at the re-check (api/resync.py). The hub's timer is an hour away; the test that
needs a sweep runs one itself."""

import datetime

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from api import resync
from ooh.accounts.models import Membership, Role
from ooh.audit.models import AccessLog
from ooh.incidents import actions, events
from tests.personas import browser_for, persona

from .wsclient import act, closed_with, connect, receive, still_open, token_for

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def sweeps_by_hand(settings):
    settings.WS_RESYNC_SECONDS = 3600


@pytest.fixture
def amy(db):
    """An ambulance call handler: a control room, whose service is not on the police's incident."""
    user = persona("amy")
    assert user.membership.agency_id  # read here: the async tests may not query
    return user


async def _feed(user, query=""):
    """An open feed socket of the user and its hello."""
    token = await sync_to_async(token_for)(user)
    ws, connected, _ = await connect(f"/ws/v1/feed/{query}", token)
    assert connected
    hello = await receive(ws)
    assert hello["type"] == "hello"
    return ws, hello


async def _edt_asked_and_attending(alice, omar, edt, incident):
    """Police ask the EDT to attend and the EDT answers: two events the ambulance service is not told of."""
    await act(
        actions.request_attendance, actor=alice, incident=incident, agency=edt, respond_within_minutes=10
    )
    await act(
        actions.update_attendance,
        actor=omar,
        incident=incident,
        status="attending",
        eta=timezone.now() + datetime.timedelta(minutes=30),
    )


async def test_a_control_room_hears_every_event_of_an_incident_its_agency_is_not_on(
    amy, alice, omar, edt, incident
):
    ws, hello = await _feed(amy, "?incidents=all")
    assert hello["feed"] == {
        "user": str(amy.pk),
        "agency": str(amy.membership.agency_id),
        "every_incident": True,
    }
    await _edt_asked_and_attending(alice, omar, edt, incident)
    heard = [await receive(ws), await receive(ws)]
    assert [(m["type"], m["incident"], m["seq"], m["event"]) for m in heard] == [
        ("feed", str(incident.pk), 2, "attendance.requested"),
        ("feed", str(incident.pk), 3, "attendance.updated"),
    ]
    assert heard[1]["data"]["status"] == "attending"
    assert heard[1]["actor"]["username"] == "omar"
    await still_open(ws)
    await ws.disconnect()


async def test_an_event_also_addressed_to_the_control_rooms_agency_is_heard_once(alice, incident):
    """The police opened the incident: its events go to the police feed and to every incident's; the
    police control room's board hears each once (the event's key), and the next one still comes."""
    ws, hello = await _feed(alice, "?incidents=all")
    police = hello["feed"]["agency"]
    for _ in range(2):
        await sync_to_async(transaction.atomic(events.emit))(  # the incident's row is locked for its seq
            type="flag.added",
            actor=None,
            at=timezone.now(),
            data={},
            incident_id=incident.pk,
            feed_agencies=[police],
        )
    heard = [await receive(ws), await receive(ws)]
    assert [(m["incident"], m["event"]) for m in heard] == [(str(incident.pk), "flag.added")] * 2
    assert heard[0]["seq"] + 1 == heard[1]["seq"]
    assert await ws.receive_nothing(timeout=0.2)
    await ws.disconnect()


async def test_without_the_parameter_a_control_room_hears_only_what_concerns_it(
    amy, alice, omar, edt, incident
):
    ws, hello = await _feed(amy)
    assert hello["feed"]["every_incident"] is False
    await _edt_asked_and_attending(alice, omar, edt, incident)
    assert await ws.receive_nothing(timeout=0.2)
    await ws.disconnect()


async def test_the_every_incident_feed_is_still_the_users_and_agencys_own(alice):
    """What has no incident (a concern raised, a plan shared) comes by the agency's and the user's feeds."""
    ws, hello = await _feed(alice, "?incidents=all")
    for to in ({"feed_agencies": [hello["feed"]["agency"]]}, {"feed_users": [alice.pk]}):
        await sync_to_async(events.emit)(
            type="concern.raised", actor=None, at=timezone.now(), data={"summary": "x"}, **to
        )
        message = await receive(ws)
        assert (message["type"], message["event"], message["incident"]) == ("feed", "concern.raised", None)
    await ws.disconnect()


@pytest.mark.parametrize("username", ["hale", "omar", "eve"])
async def test_anyone_but_a_control_room_is_refused(username):
    """A police responder, an out-of-hours social worker, and a call handler of an agency that is no
    control room (the EDT's)."""
    user = await sync_to_async(persona)(username)
    token = await sync_to_async(token_for)(user)
    ws, connected, _ = await connect("/ws/v1/feed/?incidents=all", token)
    assert connected
    assert await closed_with(ws) == 4403
    opened = await sync_to_async(
        AccessLog.objects.filter(object_type="feed", action="read", user=user).exists
    )()
    assert not opened
    refused = await sync_to_async(
        lambda: list(
            AccessLog.objects.filter(object_type="feed", action="refused", user=user).values_list(
                "detail", flat=True
            )
        )
    )()
    assert [d["every_incident"] for d in refused] == [True]


@pytest.mark.parametrize("value", ["bogus", "ALL", "all,more"])
async def test_any_other_value_is_an_error_then_4400(alice, value):
    token = await sync_to_async(token_for)(alice)
    ws, connected, _ = await connect(f"/ws/v1/feed/?incidents={value}", token)
    assert connected
    error = await receive(ws)
    assert (error["type"], error["code"]) == ("error", "invalid_incidents")
    assert await closed_with(ws) == 4400


async def test_opening_it_is_on_the_record_with_every_incident(amy):
    everything, _ = await _feed(amy, "?incidents=all")
    own, _ = await _feed(amy)
    rows = await sync_to_async(list)(
        AccessLog.objects.filter(object_type="feed", user=amy).order_by("chain_seq")
    )
    assert [(r.action, r.object_ids, r.detail["every_incident"]) for r in rows] == [
        ("read", [str(amy.membership.agency_id)], True),
        ("read", [str(amy.membership.agency_id)], False),
    ]
    assert all(r.detail["via"] == "websocket" for r in rows)
    await everything.disconnect()
    await own.disconnect()


async def test_the_re_check_closes_it_when_its_user_stops_being_a_control_room(amy, alice):
    everything, _ = await _feed(amy, "?incidents=all")
    own, _ = await _feed(amy)
    others, _ = await _feed(alice, "?incidents=all")
    await resync.hub().sweep()
    await still_open(everything)
    await sync_to_async(Membership.objects.filter(user=amy).update)(role=Role.RESPONDER)
    await resync.hub().sweep()
    assert await closed_with(everything) == 4403
    await still_open(own)  # her own agency's feed is still hers
    await still_open(others)
    assert len(resync.hub().members) == 2
    await own.disconnect()
    await others.disconnect()


def _board_ticket(browser):
    """What the board's script does before each connection: a ws-ticket, asked with the CSRF header."""
    assert browser.get("/board/").status_code == 200  # the page sets the CSRF cookie
    token = browser.cookies[django_settings.CSRF_COOKIE_NAME].value
    response = browser.post("/api/v1/ws-ticket/", content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    return response.json()["ticket"]


def _sign_out(browser):
    token = browser.cookies[django_settings.CSRF_COOKIE_NAME].value
    response = browser.post("/api/v1/auth/logout/", content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 204


async def test_the_boards_feed_closes_when_the_browser_signs_out(alice):
    browser = await sync_to_async(browser_for)(alice)
    ticket = await sync_to_async(_board_ticket)(browser)
    ws, connected, _ = await connect(
        f"/ws/v1/feed/?incidents=all&ticket={ticket}", origin="http://localhost:8000"
    )
    assert connected
    assert (await receive(ws))["feed"]["every_incident"] is True
    await sync_to_async(_sign_out)(browser)
    assert await closed_with(ws) == 4403
