"""A referral's rules at their boundaries, through the domain actions: a manager of the receiving agency
allocates it, once, to one of its own active social workers; the allocated worker or a manager answers;
the outcome, with its explanation, reaches the concern's owner, its raiser and everyone consulted."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alerts.models import Notification
from ooh.accounts.models import Role
from ooh.errors import Conflict
from ooh.referrals import concerns as actions
from ooh.referrals.models import ReferralOutcome, ReferralStatus
from tests.personas import persona

from .helpers import colleague, raises_writing_nothing, referred, the_concern

pytestmark = pytest.mark.django_db


def _told(kind):
    return set(Notification.objects.filter(kind=kind).values_list("user", flat=True))


# --- Allocation --------------------------------------------------------------------------------------


def test_a_manager_of_the_receiving_agency_allocates_to_its_social_worker(baby_a):
    a = baby_a
    referral = referred(a)
    at = timezone.now() + dt.timedelta(hours=2)
    allocated = actions.allocate_referral(actor=a.carol, referral=referral, social_worker=a.dana, now=at)
    assert allocated.status == ReferralStatus.ALLOCATED
    assert (allocated.allocated_to, allocated.allocated_by, allocated.allocated_at) == (a.dana, a.carol, at)
    assert _told("referral.allocated") == {a.dana.pk, a.connor.pk}
    # Hugo, the head of service, is a manager of the receiving agency too.
    other = referred(a, the_concern(a))
    assert (
        actions.allocate_referral(actor=a.hugo, referral=other, social_worker=a.dana).allocated_by == a.hugo
    )


def test_nobody_but_a_manager_of_the_receiving_agency_allocates(baby_a):
    a = baby_a
    referral = referred(a)
    for who in (a.dana, a.connor, a.harriet, persona("max"), a.ada):
        raises_writing_nothing(
            PermissionDenied,
            lambda who=who: actions.allocate_referral(actor=who, referral=referral, social_worker=a.dana),
        )


def test_an_allocated_referral_is_not_allocated_again(baby_a):
    a = baby_a
    referral = referred(a)
    actions.allocate_referral(actor=a.carol, referral=referral, social_worker=a.dana)
    other = colleague()
    for who in (a.carol, a.hugo):
        raises_writing_nothing(
            Conflict,
            lambda who=who: actions.allocate_referral(actor=who, referral=referral, social_worker=other),
            code="already_allocated",
        )
    referral.refresh_from_db()
    assert referral.allocated_to == a.dana


def test_the_allocated_worker_is_an_active_social_worker_of_the_receiving_agency(baby_a):
    a = baby_a
    referral = referred(a)
    inactive = colleague()
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    not_a_social_worker = [a.hugo, a.carol, colleague(role=Role.OOH_SOCIAL_WORKER), a.ada, inactive, None]
    of_another_council = [persona("sam"), colleague("edt", role=Role.SOCIAL_WORKER)]
    for who in not_a_social_worker + of_another_council:
        raises_writing_nothing(
            ValidationError,
            lambda who=who: actions.allocate_referral(actor=a.carol, referral=referral, social_worker=who),
            field="social_worker",
        )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.UNALLOCATED


# --- Responses -------------------------------------------------------------------------------------


def test_the_first_response_stops_the_response_clock_and_later_ones_do_not_move_it(baby_a):
    a = baby_a
    referral = referred(a)
    actions.consult(actor=a.connor, concern=referral.concern, with_user=a.gail)
    actions.allocate_referral(actor=a.carol, referral=referral, social_worker=a.dana)
    first, later = timezone.now(), timezone.now() + dt.timedelta(days=1)
    actions.respond_to_referral(actor=a.dana, referral=referral, note=" Reading the file ", now=first)
    actions.respond_to_referral(actor=a.carol, referral=referral, note="Visit booked", now=later)
    referral.refresh_from_db()
    assert referral.first_response_at == first
    assert list(referral.responses.order_by("at").values_list("note", flat=True)) == [
        "Reading the file",
        "Visit booked",
    ]
    assert _told("referral.responded") == {a.connor.pk, a.gail.pk}


def test_a_response_is_written_by_the_allocated_worker_or_a_manager_and_says_something(baby_a):
    a = baby_a
    referral = referred(a)
    raises_writing_nothing(
        PermissionDenied,
        lambda: actions.respond_to_referral(actor=a.dana, referral=referral, note="Not mine yet"),
    )
    actions.allocate_referral(actor=a.carol, referral=referral, social_worker=a.dana)
    for who in (colleague(), a.connor, persona("max")):
        raises_writing_nothing(
            PermissionDenied,
            lambda who=who: actions.respond_to_referral(actor=who, referral=referral, note="Hello"),
        )
    raises_writing_nothing(
        ValidationError,
        lambda: actions.respond_to_referral(actor=a.dana, referral=referral, note="  "),
        field="note",
    )


# --- The outcome -----------------------------------------------------------------------------------


def test_the_outcome_reaches_the_owner_the_raiser_and_everyone_consulted(baby_a):
    a = baby_a
    concern = the_concern(a)
    actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    actions.accept_transfer(actor=a.mia, concern=concern)
    actions.consult(actor=a.mia, concern=concern, with_user=a.mandy)
    referral = referred(a, concern)
    actions.allocate_referral(actor=a.carol, referral=referral, social_worker=a.dana)
    explanation = "Pre-birth assessment starts this week; the family agrees to work with us."
    done = actions.record_outcome(
        actor=a.dana, referral=referral, outcome="pre_birth_assessment", explanation=f"  {explanation} "
    )
    assert (done.status, done.outcome, done.outcome_explanation, done.outcome_by) == (
        ReferralStatus.COMPLETED,
        ReferralOutcome.PRE_BIRTH_ASSESSMENT,
        explanation,
        a.dana,
    )
    assert done.first_response_at == done.outcome_at  # the outcome is a first word back too
    told = Notification.objects.filter(kind="referral.outcome")
    assert {n.user_id for n in told} == {a.mia.pk, a.connor.pk, a.gail.pk, a.mandy.pk}
    for notice in told:
        assert explanation in notice.body
        assert notice.title == f"Outcome of referral {referral.reference}: Pre-birth assessment"
        assert concern.reference in notice.body
        assert "North council children's services" in notice.body
    for notice in Notification.objects.all():  # every message of the concern's life
        assert "Ash" not in f"{notice.title} {notice.body}", notice.body


@pytest.mark.parametrize("outcome", ["", "assessment", "NO_FURTHER_ACTION", None])
def test_an_outcome_outside_the_choices_israises_writing_nothing(baby_a, outcome):
    a = baby_a
    referral = referred(a)
    raises_writing_nothing(
        ValidationError,
        lambda: actions.record_outcome(actor=a.carol, referral=referral, outcome=outcome, explanation="x"),
        field="outcome",
    )


def test_an_outcome_is_explained_recorded_once_and_by_the_receiving_agency(baby_a):
    a = baby_a
    referral = referred(a)
    for explanation in ("", "   ", None):
        raises_writing_nothing(
            ValidationError,
            lambda e=explanation: actions.record_outcome(
                actor=a.carol, referral=referral, outcome="early_help", explanation=e
            ),
            field="explanation",
        )
    for who in (a.dana, a.connor, persona("max")):  # Dana before she is allocated it
        raises_writing_nothing(
            PermissionDenied,
            lambda who=who: actions.record_outcome(
                actor=who, referral=referral, outcome="early_help", explanation="Family hub"
            ),
        )
    actions.record_outcome(actor=a.carol, referral=referral, outcome="early_help", explanation="Family hub")
    raises_writing_nothing(
        Conflict,
        lambda: actions.record_outcome(
            actor=a.carol, referral=referral, outcome="no_further_action", explanation="Changed our minds"
        ),
        code="outcome_recorded",
    )
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.EARLY_HELP
