"""The resync hub: every open socket of the process re-checked against the database together.

The hub's own timer is set far away; each test drives a sweep itself, with the time it wants.
"""

import asyncio
import datetime
import json
import uuid
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.utils import timezone
from knox.models import AuthToken

from api import resync
from api.consumers import IncidentConsumer
from api.resync import Subject, check
from ooh.accounts.models import Membership, User
from ooh.incidents import actions, details, events
from tests import factories

from .wsclient import closed_with, connect, ticket_for, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def sweeps_by_hand(settings):
    settings.WS_RESYNC_SECONDS = 3600


async def _open(path, token=None):
    communicator, connected, _ = await connect(path, token)
    assert connected
    return communicator


async def _incident_socket(user, incident, after=None):
    token = await sync_to_async(token_for)(user)
    ws = await _open(f"/ws/v1/incidents/{incident.pk}/?after={after if after is not None else 0}", token)
    hello = json.loads(await ws.receive_from(timeout=5))
    for _ in range(hello["last_seq"] - (after or 0)):
        await ws.receive_from(timeout=5)
    return ws, token


@pytest.mark.asyncio
async def test_one_task_re_checks_every_socket_of_the_process(alice, hale, incident):
    first, _ = await _incident_socket(alice, incident)
    second, _ = await _incident_socket(hale, incident)
    feed = await _open("/ws/v1/feed/", await sync_to_async(token_for)(alice))
    await feed.receive_from(timeout=5)
    assert len(resync.hub().members) == 3
    task = resync.hub().task
    assert task is not None
    assert not task.done()
    for ws in (first, second, feed):
        await ws.disconnect()
    assert len(resync.hub().members) == 0


@pytest.mark.asyncio
async def test_a_sweep_closes_the_socket_whose_token_expired_and_keeps_the_others(alice, hale, incident):
    expiring, token = await _incident_socket(alice, incident)
    staying, _ = await _incident_socket(hale, incident)
    now = timezone.now()
    await sync_to_async(AuthToken.objects.filter(token_key=token[:15]).update)(
        expiry=now + datetime.timedelta(minutes=1)
    )
    await resync.hub().sweep(now=now)  # not yet expired
    assert await expiring.receive_nothing(timeout=0.05)
    await resync.hub().sweep(now=now + datetime.timedelta(minutes=2))
    assert await closed_with(expiring) == 4403
    assert await staying.receive_nothing(timeout=0.05)
    assert len(resync.hub().members) == 1
    await staying.disconnect()


@pytest.mark.asyncio
async def test_a_lost_last_wake_up_is_filled_by_the_second_sweep_that_sees_it_once(alice, hale, incident):
    ws, _ = await _incident_socket(alice, incident)
    with mock.patch.object(events, "publish", return_value=None):  # the channel layer loses seq 2
        await sync_to_async(actions.appoint)(
            actor=alice, incident=incident, role="decision_maker", user=hale, reason="quiet"
        )
    await resync.hub().sweep()  # seq 2 might still be on its way
    assert await ws.receive_nothing(timeout=0.05)
    await resync.hub().sweep()  # a whole sweep later it has not come: lost
    message = json.loads(await ws.receive_from(timeout=5))
    assert (message["seq"], message["event"]) == (2, "decision_maker.appointed")
    await resync.hub().sweep()
    assert await ws.receive_nothing(timeout=0.05)
    await ws.disconnect()


@pytest.mark.asyncio
async def test_a_sweep_leaves_a_wake_up_still_on_its_way_to_the_channel_layer(alice, hale, incident):
    """Under a burst the database is ahead of the wake-ups in flight: reading it for every such socket
    would queue a read per socket on one thread, holding up their live events."""
    ws, _ = await _incident_socket(alice, incident)
    late = []
    with mock.patch.object(events, "publish", side_effect=lambda message, **kw: late.append(message)):
        await sync_to_async(actions.appoint)(
            actor=alice, incident=incident, role="decision_maker", user=hale, reason="in flight"
        )
    reads = mock.patch.object(
        IncidentConsumer, "_events_after", autospec=True, side_effect=IncidentConsumer._events_after
    )
    with reads as read:
        await resync.hub().sweep()
        await sync_to_async(events.publish)(late[0])  # the wake-up arrives
        assert json.loads(await ws.receive_from(timeout=5))["seq"] == 2
        await resync.hub().sweep()
        assert await ws.receive_nothing(timeout=0.05)
    assert read.call_count == 0
    await ws.disconnect()


@pytest.mark.asyncio
async def test_a_closed_incident_stays_open_through_its_grace_then_is_closed(alice, incident):
    ws, _ = await _incident_socket(alice, incident)
    closed = await sync_to_async(details.close_incident)(actor=alice, incident=incident, outcome="Safe")
    assert json.loads(await ws.receive_from(timeout=5))["event"] == "incident.closed"
    grace = django_settings.CLOSED_INCIDENT_GRACE
    await resync.hub().sweep(now=closed.closed_at + grace - datetime.timedelta(seconds=1))
    assert await ws.receive_nothing(timeout=0.05)
    await resync.hub().sweep(now=closed.closed_at + grace + datetime.timedelta(seconds=1))
    assert await closed_with(ws) == 4403


@pytest.mark.asyncio
async def test_a_user_moved_to_an_agency_not_involved_loses_the_incident(hale, edt, incident):
    ws, _ = await _incident_socket(hale, incident)
    await sync_to_async(Membership.objects.filter(user=hale).update)(agency=edt)
    await resync.hub().sweep()
    assert await closed_with(ws) == 4403


@pytest.mark.asyncio
async def test_a_user_moved_to_another_agency_loses_the_old_agencys_feed(alice, edt):
    feed = await _open("/ws/v1/feed/", await sync_to_async(token_for)(alice))
    await feed.receive_from(timeout=5)
    await sync_to_async(Membership.objects.filter(user=alice).update)(agency=edt)
    await resync.hub().sweep()
    assert await closed_with(feed) == 4403


@pytest.mark.asyncio
async def test_a_socket_slow_to_resync_holds_up_neither_the_sweep_nor_the_others(
    alice, hale, incident, settings
):
    stuck, _ = await _incident_socket(alice, incident)
    expiring, token = await _incident_socket(hale, incident)
    hub = resync.hub()
    [slow] = [m for m in hub.members if m.scope["user"].pk == alice.pk]
    release, calls = asyncio.Event(), []

    def never_answers(verdict, subject):  # e.g. closing a socket whose phone has gone quiet
        calls.append(verdict)
        return release.wait()

    slow.resync = never_answers
    settings.WS_RESYNC_SECONDS = 0.05  # how long a sweep waits for its sockets
    await sync_to_async(AuthToken.objects.filter(token_key=token[:15]).update)(expiry=timezone.now())
    await asyncio.wait_for(hub.sweep(), timeout=5)
    assert await closed_with(expiring) == 4403
    await asyncio.wait_for(hub.sweep(), timeout=5)
    assert len(calls) == 1  # not asked again while the first answer is still in flight
    release.set()
    await stuck.disconnect()


@pytest.mark.asyncio
async def test_a_deactivated_user_loses_the_feed_and_a_ticket_socket(alice, incident):
    feed = await _open("/ws/v1/feed/", await sync_to_async(token_for)(alice))
    await feed.receive_from(timeout=5)
    ticket = await sync_to_async(ticket_for)(alice)
    by_ticket = await _open(f"/ws/v1/incidents/{incident.pk}/?ticket={ticket}&after=1")
    await by_ticket.receive_from(timeout=5)
    await resync.hub().sweep()
    assert await feed.receive_nothing(timeout=0.05)
    assert await by_ticket.receive_nothing(timeout=0.05)
    await sync_to_async(User.objects.filter(pk=alice.pk).update)(is_active=False)
    await resync.hub().sweep()
    assert await closed_with(feed) == 4403
    assert await closed_with(by_ticket) == 4403


@pytest.mark.asyncio
async def test_a_ticket_socket_whose_token_was_revoked_is_closed_by_the_sweep(alice, incident):
    """Ticket sockets once carried no token, so the sweep never checked one: they outlived logout-all."""
    from ooh.accounts import actions as account_actions

    token = await sync_to_async(token_for)(alice)
    by_ticket = await _open(
        f"/ws/v1/incidents/{incident.pk}/?ticket={await sync_to_async(ticket_for)(alice, token)}&after=1"
    )
    await by_ticket.receive_from(timeout=5)
    await resync.hub().sweep()
    assert await by_ticket.receive_nothing(timeout=0.05)
    with mock.patch.object(account_actions, "_tell_sockets"):  # the channel layer loses the message
        await sync_to_async(account_actions.revoke_all_tokens)(user=alice)
    assert await by_ticket.receive_nothing(timeout=0.05)
    await resync.hub().sweep()
    assert await closed_with(by_ticket) == 4403


def test_the_check_costs_four_queries_however_many_sockets(
    alice, hale, omar, incident, django_assert_num_queries
):
    now = timezone.now()
    users = [alice, hale, omar] + [factories.member(agency=alice.membership.agency) for _ in range(20)]
    tokens = {u.pk: AuthToken.objects.create(user=u, expiry=datetime.timedelta(hours=1))[0] for u in users}
    AuthToken.objects.filter(pk=tokens[hale.pk].pk).update(expiry=now - datetime.timedelta(seconds=1))
    subjects = [Subject(u.pk, u.membership.agency_id, tokens[u.pk].digest, incident.pk) for u in users]
    subjects += [Subject(u.pk, u.membership.agency_id, None) for u in users]  # their feeds, by ticket
    with django_assert_num_queries(4):  # users, tokens, incidents, who sees them
        verdict = check(subjects, now)
    assert verdict.allowed(subjects[0])
    assert not verdict.allowed(subjects[1])
    assert verdict.incident_state(subjects[0]) == (incident.last_seq, None)
    assert verdict.incident_state(subjects[2]) is None  # omar's agency is not involved
    assert all(verdict.allowed(s) for s in subjects[len(users) :])


def test_the_check_reads_ids_in_chunks(alice, incident, django_assert_num_queries):
    police = alice.membership.agency_id
    subjects = [Subject(alice.pk, police, None, incident.pk)]
    with mock.patch.object(resync, "CHUNK", 1):
        subjects.append(Subject(alice.pk, police, None, uuid.uuid4()))  # an incident since deleted
        with django_assert_num_queries(1 + 2 * 2):
            verdict = check(subjects, timezone.now())
    assert verdict.incident_state(subjects[0]) == (incident.last_seq, None)
    assert verdict.incident_state(subjects[1]) is None


@pytest.mark.asyncio
async def test_a_failed_sweep_leaves_the_sockets_up_and_the_next_one_catches_up(
    alice, hale, incident, settings
):
    real_check, calls = resync.check, []

    def down_once(subjects, now):
        calls.append(now)
        if len(calls) == 1:
            raise ConnectionError("the database is away")
        return real_check(subjects, now)

    settings.WS_RESYNC_SECONDS = 0.01  # the hub's own timer this time
    with mock.patch.object(resync, "check", down_once):
        ws, _ = await _incident_socket(alice, incident)
        with mock.patch.object(events, "publish", return_value=None):  # seq 2's wake-up is lost
            await sync_to_async(actions.appoint)(
                actor=alice, incident=incident, role="decision_maker", user=hale, reason="quiet"
            )
        message = json.loads(await ws.receive_from(timeout=5))
    assert message["seq"] == 2
    assert len(calls) >= 2
    await ws.disconnect()


def test_the_sweeps_verdict_is_the_access_policy_for_many_sockets_at_once(alice, bob, omar, incident, family):
    """The sweep re-states ooh.access's incident visibility for many sockets in a few queries: for every
    user and incident the two must agree (alice is a police control room: she sees every incident)."""
    from django.utils import timezone

    from ooh.access import policy

    other = actions.open_incident(actor=bob, kind="birth", summary="Elsewhere", subjects=[family["baby"]])
    users = [alice, bob, omar]
    subjects = [
        resync.Subject(u.pk, u.membership.agency_id, None, incident_id=i.pk)
        for u in users
        for i in (incident, other)
    ]
    verdict = resync.check(subjects, timezone.now())
    for subject, user in zip(subjects, [u for u in users for _ in (incident, other)], strict=True):
        visible = policy.visible_incidents(user).filter(pk=subject.incident_id).exists()
        assert (verdict.incident_state(subject) is not None) == visible, (user.username, subject.incident_id)
    assert (
        verdict.incident_state(resync.Subject(omar.pk, omar.membership.agency_id, None, incident.pk)) is None
    )
