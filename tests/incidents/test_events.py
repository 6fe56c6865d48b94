"""The event emitter's small pieces."""

import uuid

import pytest

from ooh.incidents import events
from ooh.incidents.signals import event_committed


def test_group_names_are_the_same_for_a_uuid_and_its_string():
    incident_id = uuid.uuid4()
    assert events.incident_group(incident_id) == events.incident_group(str(incident_id))
    assert events.agency_feed_group(incident_id) == events.agency_feed_group(str(incident_id))


@pytest.mark.django_db
def test_an_unknown_event_type_is_a_programming_error(incident, alice):
    from django.utils import timezone

    with pytest.raises(ValueError, match="unknown event type"):
        events.append_event(
            incident=incident, type="incident.exploded", actor=alice, at=timezone.now(), data={}
        )


@pytest.fixture
def receivers():
    """Receivers connected to the core's one seam for the test, disconnected after it."""
    connected = []

    def connect(receiver):
        event_committed.connect(receiver, weak=False, dispatch_uid=f"test-{len(connected)}")
        connected.append(f"test-{len(connected)}")

    yield connect
    for uid in connected:
        event_committed.disconnect(dispatch_uid=uid)


def test_publish_wakes_the_sockets_before_the_receivers_talk_to_the_broker(monkeypatch, receivers):
    """Deadline scheduling (a receiver of event_committed) goes to the broker; the phones must not wait."""
    order = []
    monkeypatch.setattr(events, "_wake", lambda message, agencies, users: order.append("wake"))
    receivers(lambda sender, message, **kw: order.append("receiver"))
    events.publish({"incident": str(uuid.uuid4()), "seq": 1, "event": "attendance.updated", "data": {}})
    assert order == ["wake", "receiver"]


def test_a_failing_receiver_does_not_stop_the_wake_up_or_the_next_receiver(monkeypatch, receivers):
    order = []

    def broken(sender, message, **kw):
        raise RuntimeError("broker down")

    monkeypatch.setattr(events, "_wake", lambda message, agencies, users: order.append("wake"))
    receivers(broken)
    receivers(lambda sender, message, **kw: order.append("next"))
    events.publish({"incident": str(uuid.uuid4()), "seq": 1, "event": "attendance.updated", "data": {}})
    assert order == ["wake", "next"]


def test_alerts_listens_on_the_seam():
    """The core never imports alerts; alerts connects itself at start-up (AlertsConfig.ready)."""
    from alerts.scheduling import on_incident_event

    sync_receivers, _async_receivers = event_committed._live_receivers(sender=None)
    assert on_incident_event in sync_receivers
