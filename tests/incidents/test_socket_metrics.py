"""Sockets counted for /metrics, and one request id followed from the change to every socket it reaches:
the event row keeps it, the channel message carries it, the consumer logs the delivery under it."""

import datetime
import logging

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from prometheus_client import REGISTRY

from ooh.incidents import actions
from ooh.incidents.models import Event
from ooh.observability import request_id_var

from .wsclient import act, closed_with, connect, open_incident_socket, receive, token_for

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("slow_resync"),
]


def value(name, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_an_open_socket_is_counted_until_it_closes(alice, incident):
    token = await sync_to_async(token_for)(alice)
    open_before = value("ooh_websocket_connections", route="incident")
    opened_before = value("ooh_websocket_connections_opened_total", route="incident")
    ws = await open_incident_socket(alice, incident, token=token)
    assert value("ooh_websocket_connections", route="incident") == open_before + 1
    assert value("ooh_websocket_connections_opened_total", route="incident") == opened_before + 1
    await ws.disconnect()
    assert value("ooh_websocket_connections", route="incident") == open_before
    assert value("ooh_websocket_connections_closed_total", route="incident", code="1000") >= 1


def closed_total(route) -> float:
    """Closed sockets of a route, whatever their code."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "ooh_websocket_connections_closed"
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels["route"] == route
    )


async def test_a_socket_closed_for_want_of_a_login_is_counted_closed(incident):
    open_before, closed_before = (
        value("ooh_websocket_connections", route="incident"),
        closed_total("incident"),
    )
    ws, _, _ = await connect(f"/ws/v1/incidents/{incident.pk}/", token=None)
    assert await closed_with(ws) == 4401
    await ws.disconnect()
    assert value("ooh_websocket_connections", route="incident") == open_before
    assert closed_total("incident") == closed_before + 1


async def test_the_request_id_follows_the_change_to_the_socket(alice, omar, edt, incident, caplog):
    token = await sync_to_async(token_for)(alice)
    await act(
        actions.request_attendance, actor=alice, incident=incident, agency=edt, respond_within_minutes=10
    )
    await sync_to_async(incident.refresh_from_db)()
    ws = await open_incident_socket(alice, incident, token=token)
    delivered = value("ooh_events_delivered_total", route="incident")

    def attend_under_a_request():
        reset = request_id_var.set("req-from-omars-phone-1")
        try:
            actions.update_attendance(
                actor=omar,
                incident=incident,
                status="attending",
                eta=timezone.now() + datetime.timedelta(minutes=30),
            )
        finally:
            request_id_var.reset(reset)

    with caplog.at_level(logging.DEBUG, logger="api.consumers"):
        await sync_to_async(attend_under_a_request)()
        live = await receive(ws)
    assert live["event"] == "attendance.updated"
    assert "request_id" not in live  # the client's message is the contract's; the id rides beside it
    event = await sync_to_async(Event.objects.get)(incident=incident, seq=live["seq"])
    assert event.request_id == "req-from-omars-phone-1"
    assert value("ooh_events_delivered_total", route="incident") == delivered + 1
    sent = [
        r
        for r in caplog.records
        if r.name == "api.consumers" and "sent an event down a socket" in r.getMessage()
    ]
    assert [r.request_id for r in sent] == ["req-from-omars-phone-1"]
    await ws.disconnect()
