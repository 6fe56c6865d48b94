"""The event emitter's small pieces."""

import uuid

import pytest

from ooh.incidents import events


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


def test_publish_wakes_the_sockets_before_the_listeners_talk_to_the_broker(monkeypatch):
    """Deadline scheduling (a listener) goes to the broker; the phones must not wait behind it."""
    order = []
    monkeypatch.setattr(events, "_wake", lambda message, agencies, users: order.append("wake"))
    monkeypatch.setattr(events, "listeners", [lambda message: order.append("listener")])
    events.publish({"incident": str(uuid.uuid4()), "seq": 1, "event": "attendance.updated", "data": {}})
    assert order == ["wake", "listener"]


def test_a_failing_listener_does_not_stop_the_wake_up_or_the_next_listener(monkeypatch):
    order = []

    def broken(message):
        raise RuntimeError("broker down")

    monkeypatch.setattr(events, "_wake", lambda message, agencies, users: order.append("wake"))
    monkeypatch.setattr(events, "listeners", [broken, lambda message: order.append("next")])
    events.publish({"incident": str(uuid.uuid4()), "seq": 1, "event": "attendance.updated", "data": {}})
    assert order == ["wake", "next"]
