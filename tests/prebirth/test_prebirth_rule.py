"""`prebirth_milestone_missed`: raised at the end of a milestone's due day and not a second before, only
while the baby is unborn; a late booking raises every missed milestone at once, the longest overdue
first; meeting the milestone or the birth ends the chain; the chain climbs its ladder a working day at
a time, the raiser told on every level."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts import escalation_rules, escalations
from alerts.models import Escalation, EscalationStatus, Notification
from alerts.prebirth_rules import RULE, prebirth_milestone_missed
from ooh.referrals.birth import record_birth
from ooh.referrals.models import MilestoneRecord
from tests import factories

from .helpers import DUE_AT, EXPECTED, ORDER, SECOND, UTC, concern, plan, referral, world

pytestmark = pytest.mark.django_db
EARLY = dt.datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def chains():
    """The first level of every chain of the rule, the earliest due first."""
    return list(Escalation.objects.filter(rule=RULE, level=1).order_by("due_at"))


def told(escalation):
    return set(escalation.addressed_users.values_list("username", flat=True))


def key(baby, milestone):
    return f"prebirth:{baby.pk}:{milestone}"


def test_a_missed_referral_is_raised_at_the_end_of_its_day_not_before():
    a = world()
    concern(a.connor, about=a.baby, at=EARLY, referral_required=False)
    assert prebirth_milestone_missed(DUE_AT["referral"] - SECOND) == []
    assert escalations.sweep(now=DUE_AT["referral"] - SECOND)["raised"] == 0
    escalations.sweep(now=DUE_AT["referral"])
    [first] = chains()
    assert first.subject_key == key(a.baby, "referral")
    assert first.level == 1
    assert first.due_at == DUE_AT["referral"]
    assert told(first) == {"connor"}
    concern_ref = first.message.split("(concern ")[1].split(")")[0]
    assert first.message == (
        "The referral to children's social care for an unborn baby expected 13 Feb 2027 "
        f"(concern {concern_ref}) was due by 29 Aug 2026 and has not been made."
    )
    assert "Ash" not in first.message
    assert "Leah" not in first.message
    assert Notification.objects.filter(user=a.connor, escalation=first).count() == 1
    assert first.rule_snapshot["ladder"] is True
    assert first.rule_snapshot["max_level"] == 4


def test_the_assessment_boundary_is_local_midnight_at_the_end_of_summer_time():
    a = world()
    referral(concern(a.connor, about=a.baby, at=EARLY), a.agencies["csc"], at=EARLY)
    due = DUE_AT["pre_birth_assessment"]  # 23:00 UTC on Saturday 24 October: midnight BST
    assert [d.subject_key for d in prebirth_milestone_missed(due - SECOND)] == []
    [missed] = prebirth_milestone_missed(due)
    assert missed.subject_key == key(a.baby, "pre_birth_assessment")
    assert missed.due_at == due
    assert "The pre-birth assessment" in missed.message
    assert "was due by 24 Oct 2026" in missed.message
    assert "is not recorded as complete" in missed.message


def test_a_baby_not_covered_raises_nothing():
    """An unborn baby with no concern, referral or plan; one whose only concern was closed unreferred."""
    a = world()
    concern(a.connor, about=a.baby, at=EARLY, status="closed")
    assert prebirth_milestone_missed(DUE_AT["birth_plan_shared"]) == []


def test_a_late_booking_raises_every_missed_milestone_at_once_the_longest_overdue_first():
    a = world()
    booked = dt.datetime(2027, 1, 20, 10, 0, tzinfo=UTC)  # first seen at 36 weeks and more
    concern(a.mia, about=a.baby, at=booked, referral_required=False)
    due = prebirth_milestone_missed(booked)
    assert [d.subject_key for d in due] == [key(a.baby, m) for m in ORDER]
    assert [d.due_at for d in due] == [DUE_AT[m] for m in ORDER]
    assert escalations.sweep(now=booked)["raised"] == 5
    raised = chains()
    assert {e.raised_at for e in raised} == {booked}
    assert [e.subject_key for e in raised] == [key(a.baby, m) for m in ORDER]
    assert Notification.objects.filter(user=a.mia, escalation__rule=RULE, escalation__level=1).count() == 5
    # Missed long ago, yet each rung still gets its working day, counted from the booking: nothing
    # climbs on the next sweep.
    assert set(Escalation.objects.filter(rule=RULE).values_list("level", flat=True)) == {1}
    assert escalations.sweep(now=booked + dt.timedelta(minutes=1))["climbed"] == 0


def test_across_babies_the_earliest_due_comes_first():
    a = world()
    later = factories.person(
        a.mia, family_name="Ash", status="unborn", expected_date=EXPECTED + dt.timedelta(weeks=6)
    )
    booked = dt.datetime(2027, 1, 20, 10, 0, tzinfo=UTC)
    concern(a.mia, about=[later, a.baby], at=booked, referral_required=False)
    due = [d.due_at for d in prebirth_milestone_missed(booked)]
    assert due == sorted(due)
    assert len(due) == 5 + 3


def test_a_milestone_met_later_resolves_its_chain_and_no_other():
    a = world()
    booked = dt.datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    referral(concern(a.connor, about=a.baby, at=EARLY), a.agencies["csc"], at=EARLY)
    escalations.sweep(now=booked)
    assert {e.subject_key for e in chains()} == {
        key(a.baby, "pre_birth_assessment"),
        key(a.baby, "initial_conference"),
    }
    MilestoneRecord.objects.create(
        person=a.baby,
        milestone="pre_birth_assessment",
        met_on=dt.date(2026, 11, 29),
        recorded_by=a.dana,
        recorded_at=booked,
    )
    later = booked + dt.timedelta(minutes=1)
    assert escalation_rules.still_due_among(RULE, {e.subject_key for e in chains()}, later) == {
        key(a.baby, "initial_conference")
    }
    escalations.sweep(now=later)
    assessment = Escalation.objects.filter(subject_key=key(a.baby, "pre_birth_assessment"))
    assert {(e.status, e.resolution) for e in assessment} == {(EscalationStatus.RESOLVED, "condition ended")}
    conference = Escalation.objects.filter(subject_key=key(a.baby, "initial_conference"))
    assert EscalationStatus.OPEN in {e.status for e in conference}


def test_raised_before_the_birth_and_never_after():
    a = world()
    booked = dt.datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    concern(a.mia, about=a.baby, at=booked, referral_required=False)
    escalations.sweep(now=booked)
    assert len(chains()) == 3  # referral, assessment, conference
    record_birth(
        actor=a.mia,
        person=a.baby,
        date_of_birth=dt.date(2026, 12, 1),
        place="Home",
        now=booked + dt.timedelta(days=1),
    )
    after = dt.datetime(2027, 1, 30, 10, 0, tzinfo=UTC)  # every milestone long past
    assert prebirth_milestone_missed(after) == []
    assert escalations.sweep(now=after)["raised"] == 0
    assert len(chains()) == 3  # nothing new was raised
    every_level = Escalation.objects.filter(rule=RULE)
    assert {e.status for e in every_level} == {EscalationStatus.RESOLVED}
    assert {e.resolution for e in every_level} == {"condition ended"}


def test_the_check_of_one_subject_reads_only_its_baby():
    a = world()
    other = factories.person(a.mia, family_name="Ash", status="unborn", expected_date=EXPECTED)
    concern(a.mia, about=[a.baby, other], at=EARLY, referral_required=False)
    escalations.check_subject(RULE, key(a.baby, "referral"), now=DUE_AT["referral"])
    assert [e.subject_key for e in chains()] == [key(a.baby, "referral")]
    assert escalation_rules.due_now(RULE, key(other, "referral"), DUE_AT["referral"]) is not None
    assert escalation_rules.due_now(RULE, "concern:whatever", DUE_AT["referral"]) is None


def test_the_chain_climbs_its_ladder_a_working_day_at_a_time_and_the_raiser_hears_every_level():
    """Raised by Mia, owned by Connor since a transfer; referred to the council and allocated to Dana.
    Level 1: Connor, Dana and Mia; 2: their managers (Harriet, Carol; Mia's is not added); 3: the
    council's first-line managers (Carol); 4: its next level (Hugo, Carol's line manager)."""
    a = world()
    worry = concern(a.mia, about=a.baby, at=EARLY)
    worry.owner = a.connor
    worry.save(update_fields=["owner"])
    referral(worry, a.agencies["csc"], at=EARLY, allocated_to=a.dana)
    raised_at = DUE_AT["pre_birth_assessment"]  # midnight BST, Saturday into Sunday
    escalations.sweep(now=raised_at)
    [first] = chains()
    assert told(first) == {"connor", "dana", "mia"}
    # Sunday 25 October is not a working day: the next level waits until the end of Monday (GMT).
    assert first.next_level_at == dt.datetime(2026, 10, 27, 0, 0, tzinfo=UTC)
    assert escalations.climb(first.pk, first.token, now=first.next_level_at - SECOND) is None
    second = escalations.climb(first.pk, first.token, now=first.next_level_at)
    assert second.level == 2
    assert told(second) == {"connor", "dana", "mia", "harriet", "carol"}
    escalations.sweep(now=second.next_level_at)
    third = Escalation.objects.get(rule=RULE, level=3)
    assert told(third) == {"connor", "dana", "mia", "harriet", "carol"}
    escalations.sweep(now=third.next_level_at)
    fourth = Escalation.objects.get(rule=RULE, level=4)
    assert told(fourth) == {"connor", "dana", "mia", "harriet", "carol", "hugo"}
    assert fourth.next_level_at is None  # the top of the ladder
    assert Notification.objects.filter(user=a.mia, escalation__rule=RULE).count() == 4


def test_the_plans_lead_and_agency_stand_in_when_nothing_was_referred():
    a = world()
    plan(a, lead=a.dana)  # a plan with no concern: the council's plan
    booked = dt.datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
    [missed] = prebirth_milestone_missed(booked)
    assert missed.subject_key == key(a.baby, "referral")
    assert missed.users == {a.dana.pk}
    assert "(birth plan)" in missed.message
    assert missed.ladder == [{a.carol.pk}, {a.carol.pk}, {a.hugo.pk}]


def test_the_sweeper_reads_a_fixed_number_of_queries_once_raised():
    """Raised once, a missed milestone costs the sweeper nothing per baby: the covered babies, the
    protocol's queries, and the one look-up of which keys are raised."""
    a = world()
    booked = dt.datetime(2027, 1, 20, 10, 0, tzinfo=UTC)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert prebirth_milestone_missed(booked, fresh=True) == []
        return len(queries)

    concern(a.mia, about=a.baby, at=booked, referral_required=False)
    escalations.sweep(now=booked)
    one = count()
    for _ in range(4):
        baby = factories.person(a.mia, family_name="Ash", status="unborn", expected_date=EXPECTED)
        concern(a.mia, about=baby, at=booked, referral_required=False)
    escalations.sweep(now=booked)
    # The babies, the protocol (no plan in force: no shares or acknowledgements to read), the raised keys.
    assert count() == one == 1 + 4 + 1
    keys = {e.subject_key for e in Escalation.objects.filter(rule=RULE, level=1)}
    assert len(keys) == 25
    with CaptureQueriesContext(connection) as queries:
        assert escalation_rules.still_due_among(RULE, keys, booked) == keys
    assert len(queries) == 1 + 4  # keys only: no addressee is looked up


def test_a_baby_due_in_20_days_with_a_concern_and_no_plan_is_raised_today():
    """The issue, tried as a new user would: an unborn baby due in 20 days with a concern and no plan
    raised nothing. Now every milestone is long past and each is raised at once."""
    from django.utils import timezone

    now = timezone.now()
    a = world(expected=timezone.localdate() + dt.timedelta(days=20))
    concern(a.connor, about=a.baby, at=now, referral_required=False)
    assert escalations.sweep(now=now)["raised"] == 5
    assert [e.subject_key for e in chains()] == [key(a.baby, m) for m in ORDER]
