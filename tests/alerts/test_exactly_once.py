"""Exactly once under real concurrency on PostgreSQL: overlapping sweeps, and sweeps racing scheduled tasks."""

import pytest

from alerts import escalations
from alerts.models import Escalation, Notification
from ooh.incidents import actions
from ooh.incidents.models import Event
from tests.alerts.night import T0, at
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_overlapping_sweeps_and_a_scheduled_check_raise_once(alice, incident, edt, morgan):
    row = actions.request_attendance(
        actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=T0
    )
    key = f"attendance:{row.pk}:{int(row.respond_by.timestamp())}"
    when = at(minutes=10)
    race(
        lambda: escalations.sweep(now=when),
        lambda: escalations.sweep(now=when),
        lambda: escalations.check_subject("attendance_not_answered", key, now=when),
        lambda: escalations.sweep(now=when),
    )
    assert Escalation.objects.count() == 1
    assert Notification.objects.filter(user=morgan).count() == 1
    assert Event.objects.filter(incident=incident, type="escalation.raised").count() == 1


def test_racing_climbs_with_one_token_climb_once(alice, incident, edt, morgan):
    actions.request_attendance(actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=T0)
    escalations.sweep(now=at(minutes=10))
    first = Escalation.objects.get(level=1)
    later = at(minutes=20)
    race(*[(lambda: escalations.climb(first.pk, first.token, now=later)) for _ in range(4)])
    assert list(Escalation.objects.order_by("level").values_list("level", flat=True)) == [1, 2]
