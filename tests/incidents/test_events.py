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
