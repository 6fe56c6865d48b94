"""The concern's rules at their boundaries, through the domain actions: the raiser owns it; consulting
never moves ownership; a transfer moves it only on acceptance; a concern is closed only with a reason, by
its owner or a manager of the owner's agency; a closed concern is never referred, and an agency is not
referred the same concern twice while the first referral awaits its outcome."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alerts.models import Notification
from ooh.access import policy
from ooh.accounts.models import Role
from ooh.audit.models import AccessedPerson, AccessLog
from ooh.errors import Conflict
from ooh.referrals import concerns as actions
from ooh.referrals.models import ConcernStatus, ConcernSubject, ReferralStatus, TransferStatus
from tests.personas import agency, persona

from .helpers import colleague, raises_writing_nothing, referred, the_concern

pytestmark = pytest.mark.django_db


# --- Raising -----------------------------------------------------------------------------------------


def test_the_raiser_owns_the_concern_about_each_subject_once_audited(baby_a):
    a = baby_a
    concern = actions.raise_concern(
        actor=a.connor,
        subjects=[a.baby, a.mother, a.baby],
        summary="  Mother's medication in pregnancy  ",
        referral_required=True,
    )
    assert (concern.owner, concern.raised_by) == (a.connor, a.connor)
    assert concern.raised_by_agency == a.agencies["hospital"]
    assert concern.status == ConcernStatus.OPEN
    assert concern.summary == "Mother's medication in pregnancy"
    assert concern.reference.startswith("CON-")
    assert concern.reference.endswith("-000001")
    assert set(ConcernSubject.objects.filter(concern=concern).values_list("person_id", flat=True)) == {
        a.baby.pk,
        a.mother.pk,
    }
    assert policy.is_concern_owner(a.connor, concern)
    log = AccessLog.objects.get(object_type="concern", action="create")
    assert log.object_ids == [str(concern.pk)]
    assert set(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True)) == {
        a.baby.pk,
        a.mother.pk,
    }
    assert the_concern(a).reference.endswith("-000002")  # references count on, one a concern


def test_raising_needs_a_subject_a_summary_and_a_role_that_holds_cases(baby_a):
    a = baby_a

    def raise_(actor=a.connor, subjects=(a.baby,), summary="Worried"):
        return lambda: actions.raise_concern(
            actor=actor, subjects=list(subjects), summary=summary, referral_required=True
        )

    raises_writing_nothing(ValidationError, raise_(subjects=()), field="subjects")
    raises_writing_nothing(ValidationError, raise_(summary="   "), field="summary")
    raises_writing_nothing(PermissionDenied, raise_(actor=persona("alice")))  # a call handler holds no cases
    raises_writing_nothing(PermissionDenied, raise_(actor=a.ada))  # an admin does no casework


# --- Consulting never moves ownership ----------------------------------------------------------------


def test_consulting_the_gp_records_it_and_hands_nothing_over(baby_a):
    a = baby_a
    concern = the_concern(a)
    consultation = actions.consult(actor=a.connor, concern=concern, with_user=a.gail, note=" Her GP ")
    concern.refresh_from_db()
    assert (consultation.by, consultation.with_user, consultation.note) == (a.connor, a.gail, "Her GP")
    assert concern.owner == a.connor
    assert policy.visible_concerns(a.gail).filter(pk=concern.pk).exists()  # she sees it ...
    assert not policy.is_concern_owner(a.gail, concern)  # ... and owns nothing
    [told] = Notification.objects.filter(kind="concern.consulted")
    assert told.user == a.gail
    assert "stays Connor's" in told.body
    # The GP cannot refer, consult or hand it on; the consultant still refers.
    csc = a.agencies["csc"]
    raises_writing_nothing(
        PermissionDenied, lambda: actions.make_referral(actor=a.gail, concern=concern, to_agency=csc)
    )
    raises_writing_nothing(
        PermissionDenied, lambda: actions.consult(actor=a.gail, concern=concern, with_user=a.mia)
    )
    raises_writing_nothing(
        PermissionDenied, lambda: actions.offer_transfer(actor=a.gail, concern=concern, to_user=a.gail)
    )
    assert actions.make_referral(actor=a.connor, concern=concern, to_agency=csc).made_by == a.connor


def test_a_consultation_is_with_an_active_colleague_who_does_casework_and_not_the_owner(baby_a):
    a = baby_a
    concern = the_concern(a)
    gone = colleague("gp", role=Role.PRACTITIONER)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    for who in (a.connor, a.ada, gone, None):
        raises_writing_nothing(
            ValidationError,
            lambda who=who: actions.consult(actor=a.connor, concern=concern, with_user=who),
            field="with_user",
        )


# --- A transfer moves ownership only on acceptance -------------------------------------------------


def test_until_the_offer_is_accepted_the_old_owner_owns_it_and_refers(baby_a):
    a = baby_a
    concern = the_concern(a)
    offer = actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    concern.refresh_from_db()
    assert offer.status == TransferStatus.PENDING
    assert concern.owner == a.connor
    assert not policy.is_concern_owner(a.mia, concern)
    assert policy.visible_concerns(a.mia).filter(pk=concern.pk).exists()  # offered: she may read it
    raises_writing_nothing(
        PermissionDenied,
        lambda: actions.make_referral(actor=a.mia, concern=concern, to_agency=a.agencies["csc"]),
    )
    referral = actions.make_referral(actor=a.connor, concern=concern, to_agency=a.agencies["csc"])
    assert referral.made_by == a.connor
    assert referral.from_agency == a.agencies["hospital"]
    [told] = Notification.objects.filter(kind="concern.transfer_offered")
    assert told.user == a.mia
    assert "stays theirs until you accept" in told.body


def test_after_acceptance_only_the_new_owner_refers(baby_a):
    a = baby_a
    concern = the_concern(a)
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    accepted = actions.accept_transfer(actor=a.mia, concern=concern)
    assert accepted.owner == a.mia
    assert accepted.raised_by == a.connor  # the raiser stays the raiser
    assert concern.transfers.get().status == TransferStatus.ACCEPTED
    csc = a.agencies["csc"]
    raises_writing_nothing(
        PermissionDenied, lambda: actions.make_referral(actor=a.connor, concern=concern, to_agency=csc)
    )
    raises_writing_nothing(
        PermissionDenied, lambda: actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    )
    referral = actions.make_referral(actor=a.mia, concern=concern, to_agency=csc)
    assert referral.from_agency == a.agencies["midwifery"]
    assert policy.visible_concerns(a.connor).filter(pk=concern.pk).exists()  # the raiser still sees it
    told = set(Notification.objects.filter(kind="concern.transferred").values_list("user", flat=True))
    assert told == {a.connor.pk}  # the old owner, who raised it too


def test_an_offer_addressed_to_someone_else_is_refused_and_no_offer_is_a_conflict(baby_a):
    a = baby_a
    concern = the_concern(a)
    raises_writing_nothing(
        Conflict, lambda: actions.accept_transfer(actor=a.mia, concern=concern), code="no_transfer_pending"
    )
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    for someone_else in (a.gail, a.connor, a.mandy):
        raises_writing_nothing(
            PermissionDenied, lambda who=someone_else: actions.accept_transfer(actor=who, concern=concern)
        )
    concern.refresh_from_db()
    assert concern.owner == a.connor
    assert concern.transfers.get().status == TransferStatus.PENDING


def test_one_offer_at_a_time_to_a_colleague_who_holds_cases(baby_a):
    a = baby_a
    concern = the_concern(a)
    for who in (a.connor, persona("alice"), a.ada):  # the owner already; no cases; no casework
        raises_writing_nothing(
            ValidationError,
            lambda who=who: actions.offer_transfer(actor=a.connor, concern=concern, to_user=who),
            field="to_user",
        )
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    for who in (a.mia, a.dana):
        raises_writing_nothing(
            Conflict,
            lambda who=who: actions.offer_transfer(actor=a.connor, concern=concern, to_user=who),
            code="transfer_pending",
        )
    actions.accept_transfer(actor=a.mia, concern=concern)
    # Answered: the new owner may offer it on.
    assert actions.offer_transfer(actor=a.mia, concern=concern, to_user=a.dana).from_user == a.mia


# --- Closing ---------------------------------------------------------------------------------------


def test_closing_needs_a_reason(baby_a):
    a = baby_a
    concern = the_concern(a)
    for reason in ("", "   ", None):
        raises_writing_nothing(
            ValidationError,
            lambda reason=reason: actions.close_concern(actor=a.connor, concern=concern, reason=reason),
            field="reason",
        )
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.OPEN


def test_the_owner_closes_once_telling_the_raiser_and_everyone_consulted(baby_a):
    a = baby_a
    concern = the_concern(a)
    actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    closed = actions.close_concern(actor=a.connor, concern=concern, reason=" Family moved away ")
    assert (closed.status, closed.closed_by, closed.close_reason) == (
        ConcernStatus.CLOSED,
        a.connor,
        "Family moved away",
    )
    assert closed.closed_at is not None
    told = set(Notification.objects.filter(kind="concern.closed").values_list("user", flat=True))
    assert told == {a.connor.pk, a.gail.pk}
    raises_writing_nothing(
        Conflict,
        lambda: actions.close_concern(actor=a.connor, concern=concern, reason="Again"),
        code="concern_closed",
    )


def test_a_manager_of_the_owners_agency_closes_and_no_other(baby_a):
    a = baby_a
    concern = the_concern(a)
    actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    referred(a, concern)
    for not_theirs in (
        a.gail,
        a.mandy,
        a.carol,
        a.mia,
    ):  # consulted; other agencies' managers; another midwife
        raises_writing_nothing(
            PermissionDenied,
            lambda who=not_theirs: actions.close_concern(actor=who, concern=concern, reason="Not mine"),
        )
    closed = actions.close_concern(actor=a.harriet, concern=concern, reason="Reviewed: no concern")
    assert closed.closed_by == a.harriet


def test_after_a_transfer_the_new_owners_manager_closes_and_the_old_ones_may_not(baby_a):
    a = baby_a
    concern = the_concern(a)
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    # Until accepted it is still the hospital's: the midwives' manager may not close it.
    raises_writing_nothing(
        PermissionDenied, lambda: actions.close_concern(actor=a.mandy, concern=concern, reason="Ours?")
    )
    actions.accept_transfer(actor=a.mia, concern=concern)
    for old in (a.connor, a.harriet):
        raises_writing_nothing(
            PermissionDenied, lambda who=old: actions.close_concern(actor=who, concern=concern, reason="x")
        )
    assert actions.close_concern(actor=a.mandy, concern=concern, reason="Handled").status == "closed"


def test_closing_withdraws_a_pending_offer(baby_a):
    a = baby_a
    concern = the_concern(a)
    offer = actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    actions.close_concern(actor=a.connor, concern=concern, reason="Resolved at clinic")
    offer.refresh_from_db()
    assert offer.status == TransferStatus.WITHDRAWN
    assert offer.decided_at is not None
    assert not policy.visible_concerns(a.mia).filter(pk=concern.pk).exists()  # no longer offered to her
    raises_writing_nothing(
        Conflict, lambda: actions.accept_transfer(actor=a.mia, concern=concern), code="concern_closed"
    )


def test_a_closed_concern_is_not_referred_consulted_on_or_offered(baby_a):
    a = baby_a
    concern = the_concern(a)
    actions.close_concern(actor=a.connor, concern=concern, reason="Resolved at clinic")
    csc = a.agencies["csc"]
    for call in (
        lambda: actions.make_referral(actor=a.connor, concern=concern, to_agency=csc),
        lambda: actions.consult(actor=a.connor, concern=concern, with_user=a.gail),
        lambda: actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia),
    ):
        raises_writing_nothing(Conflict, call, code="concern_closed")


# --- Referring -------------------------------------------------------------------------------------


def test_one_referral_to_an_agency_at_a_time_until_its_outcome(baby_a):
    a = baby_a
    concern = the_concern(a)
    csc = a.agencies["csc"]
    first = actions.make_referral(actor=a.connor, concern=concern, to_agency=csc)
    assert first.status == ReferralStatus.UNALLOCATED
    refer_again = lambda: actions.make_referral(actor=a.connor, concern=concern, to_agency=csc)  # noqa: E731
    raises_writing_nothing(Conflict, refer_again, code="already_referred")
    actions.allocate_referral(actor=a.carol, referral=first, social_worker=a.dana)
    raises_writing_nothing(
        Conflict, refer_again, code="already_referred"
    )  # allocated, still awaiting its outcome
    # Another agency may be referred meanwhile.
    assert (
        actions.make_referral(actor=a.connor, concern=concern, to_agency=agency("csc2")).status
        == "unallocated"
    )
    actions.record_outcome(actor=a.dana, referral=first, outcome="early_help", explanation="Family hub")
    second = refer_again()
    assert second.reference != first.reference
    assert second.status == ReferralStatus.UNALLOCATED


def test_a_referral_tells_the_receiving_agencys_managers_and_the_referrer(baby_a):
    a = baby_a
    referral = referred(a)
    assert referral.reference.startswith("REF-")
    told = set(Notification.objects.filter(kind="referral.made").values_list("user", flat=True))
    assert a.connor.pk in told
    assert a.carol.pk in told
    assert a.dana.pk not in told  # allocation, not the referral, reaches a social worker
    log = AccessLog.objects.get(object_type="referral", action="create")
    assert log.object_ids == [str(referral.pk)]
    assert list(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True)) == [a.baby.pk]


def test_a_concern_is_a_case_of_the_raising_agency_only_while_it_is_open(baby_a):
    """Raising a concern about someone makes them a case of the agency, for as long as the concern is
    open: closing it (or a referral answered with no further action) gives nothing lasting."""
    from ooh.access import policy
    from ooh.referrals.models import Concern, ConcernSubject

    a = baby_a
    concern = Concern.objects.create(
        reference="CON-2026-900001",
        summary="Worry",
        referral_required=False,
        raised_by=a.gail,
        raised_by_agency=a.gail.membership.agency,
        owner=a.gail,
        created_at=timezone.now(),
    )
    ConcernSubject.objects.create(concern=concern, person=a.baby)
    assert policy.visible_people(a.gail).filter(pk=a.baby.pk).exists()
    actions.close_concern(actor=a.gail, concern=concern, reason="Raised in error")
    assert not policy.visible_people(a.gail).filter(pk=a.baby.pk).exists()
    assert not policy.has_agency_case_on(a.gail, [a.baby.pk])
