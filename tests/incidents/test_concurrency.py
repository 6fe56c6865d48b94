"""Real threads racing against PostgreSQL: the incident row lock keeps seq gapless and one decision maker."""

import pytest
from django.db import connection

from ooh.incidents import actions
from ooh.incidents.models import Appointment, Event, Incident
from tests import factories
from tests.factories import member
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_decision_maker_appointments_leave_exactly_one_current_and_all_in_the_timeline(
    alice, incident, police, ambulance
):
    candidates = [member(agency=police if n % 2 else ambulance, username=f"officer{n}") for n in range(8)]
    # An appointee belongs to an agency on the incident: the control room asks the ambulance service.
    actions.request_attendance(actor=alice, incident=incident, agency=ambulance, respond_within_minutes=10)
    race(
        *[
            (
                lambda user=user: actions.appoint(
                    actor=alice,
                    incident=incident,
                    role="decision_maker",
                    user=user,
                    reason=f"{user.username} on scene",
                )
            )
            for user in candidates
        ]
    )
    incident = Incident.objects.get(pk=incident.pk)
    appointments = Appointment.objects.filter(incident=incident, role="decision_maker")
    assert appointments.count() == 8
    events = list(Event.objects.filter(incident=incident).order_by("seq").values_list("seq", "type", "data"))
    assert [seq for seq, _, _ in events] == list(range(1, 11))  # opened, requested, 8 appointed: no gaps
    appointed = [data["id"] for _, kind, data in events if kind == "decision_maker.appointed"]
    assert len(appointed) == 8
    # The current one is the last appointment in the timeline.
    assert str(incident.decision_maker_id) == appointed[-1]
    assert incident.last_seq == 10


def test_concurrent_changes_of_different_kinds_get_distinct_consecutive_seqs(
    alice, incident, police, ambulance, edt
):
    # Officers of the opening police service read a flag while the control room asks three agencies to
    # attend: the acknowledgements must not wait for the requests to see the incident.
    people = [member(agency=police) for _ in range(3)]
    flag = _flag(alice, incident)  # in the incident's picture: its flag.added is seq 2
    work = [
        (
            lambda a=a: actions.request_attendance(
                actor=alice, incident=incident, agency=a, respond_within_minutes=10
            )
        )
        for a in (police, ambulance, edt)
    ] + [(lambda p=p: actions.acknowledge_flag(actor=p, incident=incident, flag=flag)) for p in people]
    race(*work)
    seqs = list(Event.objects.filter(incident=incident).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 9))  # opened, flag.added, then the six racing changes
    assert Incident.objects.get(pk=incident.pk).last_seq == 8


def _flag(alice, incident):
    return factories.flag(alice, on=incident.subjects.first().person, category="medical")


def test_the_connection_is_postgresql():
    assert connection.vendor == "postgresql"
