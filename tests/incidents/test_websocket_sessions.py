"""Sessions ending close their sockets: each closes with 4403 through the user's sessions group, at once,
over the full ASGI stack. The resync sweep is an hour away here (slow_layer_check), so a close seen
within the timeout came by that route."""

import pytest
from asgiref.sync import sync_to_async

from tests.personas import client_for

from .wsclient import (
    act,
    closed_with,
    connect,
    open_feed_socket,
    open_incident_socket,
    still_open,
    ticket_for,
    token_for,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("slow_resync"),
]


def _session_ids(client):
    return {s["device_name"]: s["id"] for s in client.get("/api/v1/auth/sessions/").json()["results"]}


@pytest.fixture
def slow_layer_check(settings):
    """The resync sweep could close these sockets too: it must not run while the test waits."""
    settings.WS_RESYNC_SECONDS = 3600


async def test_logout_all_closes_ticket_and_token_sockets_at_once(alice, bob, incident, slow_layer_check):
    phone = await sync_to_async(client_for)(alice, "phone")
    by_token = await open_incident_socket(
        alice, incident, token=await sync_to_async(token_for)(alice, "tablet")
    )
    by_ticket = await open_feed_socket(ticket=await sync_to_async(ticket_for)(alice))
    others = await open_feed_socket(token=await sync_to_async(token_for)(bob))
    assert (await sync_to_async(phone.post)("/api/v1/auth/logout-all/")).status_code == 204
    assert await closed_with(by_token) == 4403
    assert await closed_with(by_ticket) == 4403
    await still_open(others)  # bob signed out of nothing
    await others.disconnect()


async def test_revoking_one_device_closes_only_that_devices_sockets(alice, incident, slow_layer_check):
    phone_token = await sync_to_async(token_for)(alice, "phone")
    tablet = await sync_to_async(client_for)(alice, "tablet")
    phone_by_token = await open_incident_socket(alice, incident, token=phone_token)
    phone_by_ticket = await open_incident_socket(
        alice, incident, ticket=await sync_to_async(ticket_for)(alice, phone_token)
    )
    tablet_by_ticket = await open_feed_socket(
        ticket=(await sync_to_async(tablet.post)("/api/v1/ws-ticket/")).json()["ticket"]
    )
    phone_id = (await sync_to_async(_session_ids)(tablet))["phone"]
    assert (await sync_to_async(tablet.delete)(f"/api/v1/auth/sessions/{phone_id}/")).status_code == 204
    assert await closed_with(phone_by_token) == 4403
    assert await closed_with(phone_by_ticket) == 4403
    await still_open(tablet_by_ticket)
    await tablet_by_ticket.disconnect()


async def test_logout_closes_the_sockets_of_this_token_only(alice, incident, slow_layer_check):
    phone, tablet_token = (
        await sync_to_async(client_for)(alice, "phone"),
        await sync_to_async(token_for)(alice),
    )
    phone_ticket = (await sync_to_async(phone.post)("/api/v1/ws-ticket/")).json()["ticket"]
    phone_by_ticket = await open_incident_socket(alice, incident, ticket=phone_ticket)
    tablet_by_token = await open_incident_socket(alice, incident, token=tablet_token)
    assert (await sync_to_async(phone.post)("/api/v1/auth/logout/")).status_code == 204
    assert await closed_with(phone_by_ticket) == 4403
    await still_open(tablet_by_token)
    await tablet_by_token.disconnect()


async def test_the_lost_phone_action_closes_every_socket_of_the_user(alice, incident, slow_layer_check):
    from ooh.accounts.actions import revoke_all_tokens

    by_token = await open_feed_socket(token=await sync_to_async(token_for)(alice))
    by_ticket = await open_incident_socket(alice, incident, ticket=await sync_to_async(ticket_for)(alice))
    await act(revoke_all_tokens, user=alice)  # what the admin's "Lost phone" action calls
    assert await closed_with(by_token) == 4403
    assert await closed_with(by_ticket) == 4403


async def test_a_user_made_inactive_loses_every_socket_at_once(alice, incident, slow_layer_check):
    by_token = await open_incident_socket(alice, incident, token=await sync_to_async(token_for)(alice))
    by_ticket = await open_feed_socket(ticket=await sync_to_async(ticket_for)(alice))
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
