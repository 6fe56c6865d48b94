"""Chains climb when nobody answers and stop when someone does; nothing is raised or sent twice."""

import pytest

from alerts import escalations
from alerts.models import Escalation, Notification
from ooh.accounts.models import Role
from ooh.errors import Conflict
from ooh.incidents import actions
from ooh.incidents.models import Event
from tests.alerts.night import T0, at
from tests.factories import member
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(alice, incident, edt):
    return actions.request_attendance(
        actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=T0
    )


def test_raised_once_with_inbox_entries_and_an_incident_event(requested, incident, morgan):
    assert escalations.sweep(now=at(minutes=10))["raised"] == 1
    assert escalations.sweep(now=at(minutes=10, seconds=5))["raised"] == 0  # a second (overlapping) sweep
    [escalation] = Escalation.objects.all()
    assert (escalation.rule, escalation.level, escalation.status) == ("attendance_not_answered", 1, "open")
    assert list(escalation.addressed_users.all()) == [morgan]
    assert Notification.objects.filter(user=morgan, escalation=escalation).count() == 1
    event = Event.objects.get(incident=incident, type="escalation.raised")
    assert event.data["rule"] == "attendance_not_answered"


def test_the_chain_climbs_after_the_wait_and_not_before(requested, morgan, ezra, settings):
    escalations.sweep(now=at(minutes=10))
    first = Escalation.objects.get(level=1)
    assert escalations.climb(first.pk, first.token, now=at(minutes=19, seconds=59)) is None
    second = escalations.climb(first.pk, first.token, now=at(minutes=20))
    assert second.level == 2
    assert escalations.climb(first.pk, first.token, now=at(minutes=21)) is None  # the old token is spent
    third = escalations.climb(second.pk, second.token, now=at(minutes=30))
    assert third.level == 3
    assert ezra in third.addressed_users.all()
    assert third.next_level_at is None  # the top of the chain (OOH_ESCALATION_MAX_LEVEL = 3)


def test_a_running_chain_keeps_the_wait_it_started_with(requested, morgan, settings):
    """The wait between levels is frozen onto the chain: a later change of the setting does not
    rewrite a chain already climbing (every level waits as the first did)."""
    escalations.sweep(now=at(minutes=10))  # raised with the configured wait (10 minutes here)
    first = Escalation.objects.get(level=1)
    assert first.rule_snapshot["level_wait_minutes"] == settings.ESCALATION_LEVEL_WAIT_MINUTES == 10
    settings.ESCALATION_LEVEL_WAIT_MINUTES = 90
    second = escalations.climb(first.pk, first.token, now=at(minutes=20))
    assert second.next_level_at == at(minutes=30)  # 10 minutes on, not 90


def test_an_acknowledgement_stops_the_climb(requested, morgan):
    escalations.sweep(now=at(minutes=10))
    first = Escalation.objects.get(level=1)
    escalations.acknowledge(actor=morgan, escalation=first, note="Calling the team", now=at(minutes=12))
    assert escalations.climb(first.pk, first.token, now=at(minutes=20)) is None
    assert escalations.sweep(now=at(minutes=40)) == {"raised": 0, "climbed": 0, "resolved": 0}
    assert Escalation.objects.count() == 1
    with pytest.raises(Conflict):
        escalations.acknowledge(actor=morgan, escalation=first, now=at(minutes=13))


def test_the_condition_ending_resolves_the_chain(requested, incident, omar):
    escalations.sweep(now=at(minutes=10))
    escalations.sweep(now=at(minutes=20))
    assert Escalation.objects.filter(status="open").count() == 2
    actions.update_attendance(
        actor=omar, incident=incident, status="cannot_attend", agreed_role="Phone advice"
    )
    assert escalations.sweep(now=at(minutes=21))["resolved"] == 1
    assert set(Escalation.objects.values_list("status", flat=True)) == {"resolved"}
    assert Event.objects.filter(incident=incident, type="escalation.resolved").count() == 1


def test_only_addressees_may_acknowledge(requested, morgan, bob):
    escalations.sweep(now=at(minutes=10))
    escalation = Escalation.objects.get()
    assert client_for(bob).post(f"/api/v1/escalations/{escalation.pk}/acknowledge/", {}).status_code == 404
    response = client_for(morgan).post(f"/api/v1/escalations/{escalation.pk}/acknowledge/", {"note": "On it"})
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"


def test_escalations_and_the_inbox_over_http(requested, morgan):
    escalations.sweep(now=at(minutes=10))
    client = client_for(morgan)
    [listed] = client.get("/api/v1/escalations/", {"status": "open"}).json()["results"]
    assert listed["rule"] == "attendance_not_answered"
    [note] = client.get("/api/v1/notifications/").json()["results"]
    assert note["read_at"] is None
    assert client.post(f"/api/v1/notifications/{note['id']}/read/").json()["read_at"] is not None
    other = client_for(member(role=Role.MANAGER))
    assert other.get("/api/v1/notifications/").json()["results"] == []


def test_a_scheduled_check_raises_at_the_deadline_and_no_earlier(requested, morgan):
    key = f"attendance:{requested.pk}:{int(requested.respond_by.timestamp())}"
    assert escalations.check_subject("attendance_not_answered", key, now=at(minutes=9)) is None
    assert escalations.check_subject("attendance_not_answered", key, now=at(minutes=10)) is not None
    assert escalations.check_subject("attendance_not_answered", key, now=at(minutes=10, seconds=1)) is None
    assert Escalation.objects.count() == 1


def test_the_scheduled_key_matches_the_rules_key_after_a_trip_through_json(requested):
    """The web process schedules from the event's JSON (milliseconds); the rule reads the database."""
    from unittest import mock

    from alerts import scheduling
    from ooh.incidents.events import event_dict
    from ooh.incidents.models import Event as EventRow

    event = EventRow.objects.filter(type="attendance.requested").get()
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    message = json.loads(json.dumps(event_dict(event), cls=DjangoJSONEncoder))
    with mock.patch.object(scheduling, "schedule") as schedule:
        scheduling.on_incident_event(None, message=message)
    (task, (rule, key), _at), _ = schedule.call_args
    assert (task, rule) == ("check_subject", "attendance_not_answered")
    from alerts.escalation_rules import attendance_not_answered

    assert key in [d.subject_key for d in attendance_not_answered(at(minutes=10))]


def _open_requests(alice, family, agencies, count):
    """`count` incidents on the family, each asking every agency in `agencies` to answer in 10 minutes."""
    for _ in range(count):
        incident = actions.open_incident(
            actor=alice, kind="birth", summary="Home birth", subjects=[family["kerry"]], now=T0
        )
        for agency in agencies:
            actions.request_attendance(
                actor=alice, incident=incident, agency=agency, respond_within_minutes=10, now=T0
            )


def test_the_sweeper_skips_what_it_already_raised_at_a_cost_that_does_not_grow(alice, family, edt, morgan):
    """Requests that stay unanswered after they were raised are not re-examined row by row on every
    sweep: the sweeper asks only for what is due and not yet raised (the rule itself still sees them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alerts import escalation_rules

    counts = {}
    for round_, extra in enumerate((2, 8)):
        _open_requests(alice, family, [edt], extra)
        now = at(minutes=11 + round_)
        assert escalations.sweep(now=now)["raised"] == extra  # the new ones, once
        raised = Escalation.objects.filter(rule="attendance_not_answered").count()
        assert len(escalation_rules.attendance_not_answered(now)) == raised  # still overdue
        with CaptureQueriesContext(connection) as queries:
            assert [d.rule for d in escalation_rules.all_due(now)] == []
        with CaptureQueriesContext(connection) as sweep_queries:
            assert escalations.sweep(now=now) == {"raised": 0, "climbed": 0, "resolved": 0}
        counts[raised] = (len(queries), len(sweep_queries))
    assert list(counts) == [2, 10]
    assert counts[2] == counts[10], counts  # neither finding what is due nor re-checking open chains grows


def test_the_sweeper_resolves_in_one_pass_the_chains_whose_condition_ended(alice, family, edt, morgan, omar):
    _open_requests(alice, family, [edt], 3)
    escalations.sweep(now=at(minutes=11))
    answered = Escalation.objects.order_by("raised_at").first().incident
    actions.update_attendance(actor=omar, incident=answered, status="acknowledged", now=at(minutes=12))
    assert escalations.sweep(now=at(minutes=12))["resolved"] == 1
    statuses = {e.incident_id: e.status for e in Escalation.objects.all()}
    assert statuses.pop(answered.pk) == "resolved"
    assert set(statuses.values()) == {"open"}
