"""The Baby A deadlines at their boundaries: a concern not referred within 1 working day, a referral not
allocated within 3, no response from the agency referred to within 5; each climbs its ladder a working
day at a time and reaches the raiser on every level. Counted across the August bank holiday weekend of
2026 (Monday 31 August), in London time."""

import datetime as dt
import itertools

import pytest

from alerts import casework_rules, escalations
from alerts.models import Escalation, EscalationStatus, Notification
from ooh.referrals.models import (
    Concern,
    ConcernSubject,
    ConcernTransfer,
    Consultation,
    Referral,
    ReferralStatus,
    TransferStatus,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC
_numbers = itertools.count(1)

# Raised on the Friday before the bank holiday, 15:00 in London (BST).
RAISED = dt.datetime(2026, 8, 28, 14, 0, tzinfo=UTC)
END_OF_TUESDAY = dt.datetime(2026, 9, 1, 23, 0, tzinfo=UTC)  # 1 working day: Tuesday 1 September
SECOND = dt.timedelta(seconds=1)


def concern_by(user, *, about, at=RAISED, referral_required=True):
    concern = Concern.objects.create(
        reference=f"CON-2026-{next(_numbers):06d}",
        summary="Mother's illness and medication: worried for the unborn baby",
        referral_required=referral_required,
        raised_by=user,
        raised_by_agency=user.membership.agency,
        owner=user,
        created_at=at,
    )
    ConcernSubject.objects.create(concern=concern, person=about)
    return concern


def referral_of(concern, to_agency, *, at):
    return Referral.objects.create(
        reference=f"REF-2026-{next(_numbers):06d}",
        concern=concern,
        made_by=concern.owner,
        from_agency=concern.owner.membership.agency,
        to_agency=to_agency,
        made_at=at,
    )


def chain(rule):
    return list(Escalation.objects.filter(rule=rule).order_by("level"))


def told(escalation):
    return set(escalation.addressed_users.values_list("username", flat=True))


# --- concern_not_referred -------------------------------------------------------------------------------


def test_a_concern_not_referred_is_raised_at_the_end_of_the_next_working_day_not_before(baby_a):
    concern_by(baby_a.connor, about=baby_a.baby)
    assert casework_rules.concern_not_referred(END_OF_TUESDAY - SECOND) == []
    assert escalations.sweep(now=END_OF_TUESDAY - SECOND)["raised"] == 0
    assert escalations.sweep(now=END_OF_TUESDAY)["raised"] == 1
    [first] = chain("concern_not_referred")
    assert first.due_at == END_OF_TUESDAY
    assert told(first) == {"connor"}
    assert "needs a referral" in first.message
    assert "Ash" not in first.message  # no family name
    assert Notification.objects.filter(user=baby_a.connor, escalation=first).count() == 1
    # The next rung one working day on: the end of Wednesday.
    assert first.next_level_at == dt.datetime(2026, 9, 2, 23, 0, tzinfo=UTC)


def test_consulting_the_gp_hands_nothing_over(baby_a):
    """Baby A: the consultant assumed the GP would refer. The GP consulted is never escalated to."""
    concern = concern_by(baby_a.connor, about=baby_a.baby)
    Consultation.objects.create(
        concern=concern, by=baby_a.connor, with_user=baby_a.gail, note="FYI", at=RAISED
    )
    escalations.sweep(now=END_OF_TUESDAY)
    first = chain("concern_not_referred")[0]
    second = escalations.climb(first.pk, first.token, now=first.next_level_at)
    assert told(first) == {"connor"}
    assert told(second) == {"connor", "harriet"}
    assert "gail" not in told(second)


def test_no_escalation_when_referred_not_required_or_closed(baby_a):
    referred = concern_by(baby_a.connor, about=baby_a.baby)
    referral_of(referred, baby_a.agencies["csc"], at=RAISED + dt.timedelta(hours=2))
    concern_by(baby_a.connor, about=baby_a.baby, referral_required=False)
    closed = concern_by(baby_a.connor, about=baby_a.baby)
    Concern.objects.filter(pk=closed.pk).update(status="closed", close_reason="Raised in error")
    assert casework_rules.concern_not_referred(END_OF_TUESDAY + dt.timedelta(days=30)) == []


def test_a_referral_made_late_resolves_the_chain(baby_a):
    concern = concern_by(baby_a.connor, about=baby_a.baby)
    escalations.sweep(now=END_OF_TUESDAY)
    referral_of(concern, baby_a.agencies["csc"], at=END_OF_TUESDAY + dt.timedelta(hours=9))
    assert escalations.sweep(now=END_OF_TUESDAY + dt.timedelta(hours=9, seconds=30))["resolved"] == 1
    assert chain("concern_not_referred")[0].status == EscalationStatus.RESOLVED


def test_the_concern_chain_climbs_owner_then_manager_then_the_next_level(baby_a):
    from ooh.accounts.models import Membership

    director = baby_a.hugo  # stands in as the hospital manager's line manager
    Membership.objects.filter(user=baby_a.harriet).update(reports_to=director)
    concern_by(baby_a.connor, about=baby_a.baby)
    escalations.sweep(now=END_OF_TUESDAY)
    first = chain("concern_not_referred")[0]
    assert escalations.climb(first.pk, first.token, now=first.next_level_at - SECOND) is None  # early
    second = escalations.climb(first.pk, first.token, now=first.next_level_at)
    third = escalations.climb(second.pk, second.token, now=second.next_level_at)
    assert [told(e) for e in (first, second, third)] == [
        {"connor"},
        {"connor", "harriet"},
        {"connor", "harriet", "hugo"},
    ]
    assert third.next_level_at is None  # the top: three rungs


def test_the_old_owner_keeps_the_escalations_until_a_transfer_is_accepted(baby_a):
    concern = concern_by(baby_a.connor, about=baby_a.baby)
    offer = ConcernTransfer.objects.create(
        concern=concern, from_user=baby_a.connor, to_user=baby_a.mia, requested_at=RAISED
    )
    escalations.sweep(now=END_OF_TUESDAY)
    first = chain("concern_not_referred")[0]
    assert told(first) == {"connor"}  # offered, not accepted: still Connor's
    # Mia accepts: the next level reaches her and her manager, and Connor, who raised it, stays told.
    Concern.objects.filter(pk=concern.pk).update(owner=baby_a.mia)
    ConcernTransfer.objects.filter(pk=offer.pk).update(status=TransferStatus.ACCEPTED)
    second = escalations.climb(first.pk, first.token, now=first.next_level_at)
    assert told(second) == {"connor", "mia", "mandy"}


# --- referral_unallocated ------------------------------------------------------------------------------

MADE_THURSDAY = dt.datetime(2026, 8, 27, 9, 0, tzinfo=UTC)
# 3 working days: Friday 28, Tuesday 1, Wednesday 2 September (the bank holiday weekend skipped).
END_OF_WEDNESDAY = dt.datetime(2026, 9, 2, 23, 0, tzinfo=UTC)


def test_an_unallocated_referral_reaches_the_receiving_manager_after_3_working_days(baby_a):
    concern = concern_by(baby_a.mia, about=baby_a.baby, at=MADE_THURSDAY - dt.timedelta(hours=1))
    referral_of(concern, baby_a.agencies["csc"], at=MADE_THURSDAY)
    assert casework_rules.referral_unallocated(END_OF_WEDNESDAY - SECOND) == []
    escalations.sweep(now=END_OF_WEDNESDAY)
    [first] = chain("referral_unallocated")
    # Carol, the first-line manager who allocates (Hugo is her head of service), and the midwife.
    assert told(first) == {"carol", "mia"}
    second = escalations.climb(first.pk, first.token, now=first.next_level_at)
    assert told(second) == {"carol", "mia", "hugo", "mandy"}  # the next level, and the owner's manager
    assert second.next_level_at is None


def test_closure_days_move_the_allocation_deadline(baby_a, settings):
    settings.CLOSURE_DAYS = (dt.date(2026, 9, 2),)
    concern = concern_by(baby_a.mia, about=baby_a.baby, at=MADE_THURSDAY)
    referral_of(concern, baby_a.agencies["csc"], at=MADE_THURSDAY)
    assert casework_rules.referral_unallocated(END_OF_WEDNESDAY) == []
    assert len(casework_rules.referral_unallocated(END_OF_WEDNESDAY + dt.timedelta(days=1))) == 1


def test_allocation_resolves_the_unallocated_chain(baby_a):
    concern = concern_by(baby_a.mia, about=baby_a.baby, at=MADE_THURSDAY)
    referral = referral_of(concern, baby_a.agencies["csc"], at=MADE_THURSDAY)
    escalations.sweep(now=END_OF_WEDNESDAY)
    Referral.objects.filter(pk=referral.pk).update(
        status=ReferralStatus.ALLOCATED, allocated_to=baby_a.dana, allocated_at=END_OF_WEDNESDAY
    )
    first = chain("referral_unallocated")[0]
    assert escalations.climb(first.pk, first.token, now=first.next_level_at) is None
    assert chain("referral_unallocated")[0].status == EscalationStatus.RESOLVED


# --- agency_response_overdue ---------------------------------------------------------------------------

# 5 working days from Thursday 27 August: Fri 28, Tue 1, Wed 2, Thu 3, Fri 4 September.
END_OF_FRIDAY = dt.datetime(2026, 9, 4, 23, 0, tzinfo=UTC)


def test_no_response_in_5_working_days_climbs_from_the_owner_to_the_receiving_agency(baby_a):
    concern = concern_by(baby_a.mia, about=baby_a.baby, at=MADE_THURSDAY)
    referral = referral_of(concern, baby_a.agencies["csc"], at=MADE_THURSDAY)
    Referral.objects.filter(pk=referral.pk).update(
        status=ReferralStatus.ALLOCATED, allocated_to=baby_a.dana, allocated_at=MADE_THURSDAY
    )  # allocated inside the agency, but nobody wrote back to the midwife
    assert casework_rules.agency_response_overdue(END_OF_FRIDAY - SECOND) == []
    escalations.sweep(now=END_OF_FRIDAY)
    first = chain("agency_response_overdue")[0]
    levels = [first]
    while levels[-1].next_level_at is not None:
        levels.append(escalations.climb(levels[-1].pk, levels[-1].token, now=levels[-1].next_level_at))
    assert [told(e) for e in levels] == [
        {"mia"},
        {"mia", "mandy"},
        {"mia", "mandy", "carol"},
        {"mia", "mandy", "carol", "hugo"},
    ]


def test_a_first_response_or_an_outcome_ends_the_response_chain(baby_a):
    concern = concern_by(baby_a.mia, about=baby_a.baby, at=MADE_THURSDAY)
    referral = referral_of(concern, baby_a.agencies["csc"], at=MADE_THURSDAY)
    escalations.sweep(now=END_OF_FRIDAY)
    assert len(chain("agency_response_overdue")) == 1
    Referral.objects.filter(pk=referral.pk).update(first_response_at=END_OF_FRIDAY + dt.timedelta(hours=10))
    assert escalations.sweep(now=END_OF_FRIDAY + dt.timedelta(hours=10))["resolved"] >= 1
    assert chain("agency_response_overdue")[0].status == EscalationStatus.RESOLVED


def test_the_sweeper_reads_nothing_per_chain_once_raised(baby_a, django_assert_max_num_queries):
    """Twenty concerns overdue: raised once, and a later sweep costs the same as with one."""
    for _ in range(20):
        concern_by(baby_a.connor, about=baby_a.baby)
    assert escalations.sweep(now=END_OF_TUESDAY)["raised"] == 20
    with django_assert_max_num_queries(40):
        assert escalations.sweep(now=END_OF_TUESDAY + dt.timedelta(minutes=1))["raised"] == 0


@pytest.mark.parametrize(
    "event", ["referral.allocated", "referral.responded", "concern.closed", "person.born"]
)
def test_a_casework_change_ends_its_chains_at_once_not_at_the_next_sweep(event):
    from unittest import mock

    from alerts import scheduling

    message = {"event": event, "incident": None, "data": {}, "at": "2026-09-03T10:00:00Z"}
    with mock.patch.object(scheduling, "schedule") as schedule:
        scheduling.on_incident_event(None, message=message)
    (task, args, _at), _ = schedule.call_args
    assert (task, args) == ("resolve_casework", ())


def test_the_resolve_task_ends_only_casework_chains_whose_condition_ended(baby_a):
    from alerts.tasks import resolve_casework

    concern = concern_by(baby_a.mia, about=baby_a.baby, at=MADE_THURSDAY)
    referral = referral_of(concern, baby_a.agencies["csc"], at=MADE_THURSDAY)
    escalations.sweep(now=END_OF_FRIDAY)
    assert {e.rule for e in Escalation.objects.all()} == {"referral_unallocated", "agency_response_overdue"}
    Referral.objects.filter(pk=referral.pk).update(
        status=ReferralStatus.ALLOCATED, allocated_to=baby_a.dana, allocated_at=END_OF_FRIDAY
    )
    assert resolve_casework() == 1  # allocated: still no word back to the midwife
    assert chain("referral_unallocated")[0].status == EscalationStatus.RESOLVED
    assert chain("agency_response_overdue")[0].status == EscalationStatus.OPEN


def test_a_chain_raised_long_after_its_deadline_gives_each_rung_a_working_day(baby_a):
    """A concern found weeks overdue (the service came into use, a late booking): the levels do not
    climb one per sweep to the top; each waits its working day from when it was raised."""
    concern_by(baby_a.connor, about=baby_a.baby)
    weeks_later = dt.datetime(2026, 9, 22, 13, 0, tzinfo=UTC)  # Tuesday 22 September, 14:00 in London
    escalations.sweep(now=weeks_later)
    first = chain("concern_not_referred")[0]
    assert first.next_level_at == dt.datetime(2026, 9, 23, 23, 0, tzinfo=UTC)  # the end of Wednesday
    assert escalations.sweep(now=weeks_later + dt.timedelta(minutes=1))["climbed"] == 0


def test_every_rung_climbs_one_working_day_after_the_last(baby_a):
    """Level 1 due at the end of Tuesday 1 September: level 2 at the end of Wednesday, level 3 at the end
    of Thursday, whenever the sweeps ran."""
    from ooh.accounts.models import Membership

    Membership.objects.filter(user=baby_a.harriet).update(reports_to=baby_a.hugo)
    concern_by(baby_a.connor, about=baby_a.baby)
    escalations.sweep(now=END_OF_TUESDAY + dt.timedelta(minutes=3))  # a sweep a little late
    first = chain("concern_not_referred")[0]
    second = escalations.climb(first.pk, first.token, now=first.next_level_at + dt.timedelta(minutes=7))
    third = escalations.climb(second.pk, second.token, now=second.next_level_at + dt.timedelta(hours=5))
    assert [first.next_level_at, second.next_level_at] == [
        dt.datetime(2026, 9, 2, 23, 0, tzinfo=UTC),
        dt.datetime(2026, 9, 3, 23, 0, tzinfo=UTC),
    ]
    assert (third.level, third.next_level_at) == (3, None)


def test_a_late_chains_rungs_follow_each_other_a_working_day_apart(baby_a):
    concern_by(baby_a.connor, about=baby_a.baby)
    weeks_later = dt.datetime(2026, 9, 22, 2, 0, tzinfo=UTC)  # Tuesday 22 September, 03:00 in London
    escalations.sweep(now=weeks_later)
    first = chain("concern_not_referred")[0]
    second = escalations.climb(first.pk, first.token, now=first.next_level_at)
    assert [first.next_level_at, second.next_level_at] == [
        dt.datetime(2026, 9, 23, 23, 0, tzinfo=UTC),  # the end of Wednesday, not of the day it was raised
        dt.datetime(2026, 9, 24, 23, 0, tzinfo=UTC),
    ]


def test_closing_the_concern_does_not_silence_its_unallocated_referral(baby_a):
    concern = concern_by(baby_a.mia, about=baby_a.baby, at=MADE_THURSDAY)
    referral_of(concern, baby_a.agencies["csc"], at=MADE_THURSDAY)
    Concern.objects.filter(pk=concern.pk).update(status="closed", close_reason="Family moved")
    assert len(casework_rules.referral_unallocated(END_OF_WEDNESDAY)) == 1


def test_a_head_of_service_is_escalated_upwards_never_to_their_own_managers(baby_a):
    from alerts.ladder import managers_of_users
    from ooh.accounts.models import Membership

    ada = baby_a.ada  # North council's admin: above the head of service, nobody is recorded
    assert managers_of_users([baby_a.dana.pk]) == {baby_a.carol.pk}  # Carol, first-line; Hugo heads
    assert managers_of_users([baby_a.carol.pk]) == {baby_a.hugo.pk}  # her line manager
    assert managers_of_users([baby_a.hugo.pk]) == {ada.pk}  # the head of service: upwards, to the admin
    Membership.objects.filter(user=baby_a.carol).update(reports_to=None)  # no line management recorded
    assert managers_of_users([baby_a.hugo.pk]) == {ada.pk}  # a first-line manager: the next level
