"""The one write path for concerns and referrals: raise, consult, transfer, refer, allocate, respond,
record the outcome, close.

The Baby A review's lessons, as rules here and in the policy: the professional who owns a concern makes
the referral; consulting a colleague is recorded and never hands it over; a transfer moves it only when
the colleague accepts (until then the old owner owns it and hears its escalations); the agency referred
to allocates it and answers; the outcome reaches whoever raised the worry and everyone consulted.
Every change is audited and tells the people it concerns (inbox, feed, push) in words that name
references and agencies, never the family.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ooh.access import policy
from ooh.access.roles import CASE_ROLES, CASEWORK_ROLES
from ooh.accounts.lines import first_line_managers
from ooh.accounts.models import Agency, Role, User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict
from ooh.incidents.events import emit
from ooh.incidents.notices import tell
from ooh.people.models import Person

from .models import (
    Concern,
    ConcernStatus,
    ConcernSubject,
    ConcernTransfer,
    Consultation,
    ReferenceCounter,
    Referral,
    ReferralOutcome,
    ReferralResponse,
    ReferralStatus,
    TransferStatus,
)


def _next_reference(kind: str, now: datetime) -> str:
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(kind=kind, year=now.year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{kind}-{now.year}-{counter.last:06d}"


def _subject_ids(concern: Concern) -> list[uuid.UUID]:
    return list(concern.subjects.values_list("person_id", flat=True))


def _audit(action: str, object_type: str, row: Concern | Referral, actor: User, **detail: object) -> None:
    concern = row if isinstance(row, Concern) else row.concern
    record_access(
        action=action,
        object_type=object_type,
        object_ids=[row.pk],
        person_ids=_subject_ids(concern),
        actor=actor,
        detail={"reference": row.reference, **detail},
    )


def _lock(concern: Concern) -> Concern:
    """The concern's row, locked: one change at a time, and the state it is checked against."""
    return (
        Concern.objects.select_related("owner__membership").select_for_update(of=("self",)).get(pk=concern.pk)
    )


def _require_open(concern: Concern) -> None:
    if concern.status != ConcernStatus.OPEN:
        raise Conflict(f"Concern {concern.reference} is closed.", code="concern_closed")


def _require_owner(actor: User, concern: Concern, verb: str) -> None:
    if not policy.is_concern_owner(actor, concern):
        raise PermissionDenied(f"Only the concern's owner may {verb}: it is {concern.owner}'s.")


def _consulted(concern: Concern) -> set[uuid.UUID]:
    return set(concern.consultations.values_list("with_user_id", flat=True))


def _concern_data(concern: Concern) -> dict[str, object]:
    return {"concern": str(concern.pk), "reference": concern.reference}


def _referral_data(referral: Referral) -> dict[str, object]:
    return {
        "referral": str(referral.pk),
        "reference": referral.reference,
        "concern": str(referral.concern_id),
        "concern_reference": referral.concern.reference,
    }


def _member(user: User | None, field: str, roles: Iterable[str], what: str) -> User:
    """An active user acting for an agency in one of these roles, else 400 naming the field."""
    membership = getattr(user, "membership", None) if user is not None else None
    if user is None or not user.is_active or membership is None or membership.role not in set(roles):
        raise ValidationError({field: f"Choose {what}."})
    return user


@transaction.atomic
def raise_concern(
    *,
    actor: User,
    subjects: Sequence[Person],
    summary: str,
    referral_required: bool,
    now: datetime | None = None,
) -> Concern:
    """A professional's worry about people (an unborn baby included): theirs until they hand it over."""
    now = now or timezone.now()
    if not policy.may_raise_concern(actor):
        raise PermissionDenied("Concerns are raised by the roles that hold cases.")
    if not subjects:
        raise ValidationError({"subjects": "Name at least one person the concern is about."})
    if not (summary or "").strip():
        raise ValidationError({"summary": "Say what the concern is."})
    concern = Concern.objects.create(
        reference=_next_reference("CON", now),
        summary=summary.strip(),
        referral_required=referral_required,
        raised_by=actor,
        raised_by_agency_id=actor.membership.agency_id,
        owner=actor,
        created_at=now,
    )
    ConcernSubject.objects.bulk_create(
        [ConcernSubject(concern=concern, person=person) for person in {p.pk: p for p in subjects}.values()]
    )
    _audit(AccessAction.CREATE, "concern", concern, actor)
    emit(
        type="concern.raised",
        actor=actor,
        at=now,
        data=_concern_data(concern) | {"referral_required": referral_required},
        feed_users=[actor.pk],
    )
    return concern


@transaction.atomic
def consult(
    *, actor: User, concern: Concern, with_user: User, note: str = "", now: datetime | None = None
) -> Consultation:
    """The owner tells a colleague (the GP, a consultant): on the record, and the concern stays theirs."""
    now = now or timezone.now()
    concern = _lock(concern)
    _require_owner(actor, concern, "consult a colleague about it")
    _require_open(concern)
    _member(with_user, "with_user", CASEWORK_ROLES, "a colleague who does casework")
    if with_user.pk == concern.owner_id:
        raise ValidationError({"with_user": "You own this concern: consult someone else."})
    consultation = Consultation.objects.create(
        concern=concern, by=actor, with_user=with_user, note=(note or "").strip(), at=now
    )
    _audit(AccessAction.UPDATE, "concern", concern, actor, consulted=str(with_user.pk))
    tell(
        event="concern.consulted",
        users=[with_user.pk],
        title=f"Consulted on concern {concern.reference}",
        body=f"{actor} of {actor.membership.agency.name} consulted you about concern {concern.reference}. "
        f"It stays {actor}'s: they make any referral.",
        data=_concern_data(concern),
        at=now,
        actor=actor,
    )
    return consultation


@transaction.atomic
def offer_transfer(
    *, actor: User, concern: Concern, to_user: User, now: datetime | None = None
) -> ConcernTransfer:
    """Offer the concern to a colleague; nothing moves until they accept."""
    now = now or timezone.now()
    concern = _lock(concern)
    _require_owner(actor, concern, "offer it to someone else")
    _require_open(concern)
    _member(to_user, "to_user", CASE_ROLES, "a colleague in a role that holds cases")
    if to_user.pk == concern.owner_id:
        raise ValidationError({"to_user": "You already own this concern."})
    if concern.transfers.filter(status=TransferStatus.PENDING).exists():
        raise Conflict("An offer of this concern is waiting for an answer.", code="transfer_pending")
    transfer = ConcernTransfer.objects.create(
        concern=concern, from_user=actor, to_user=to_user, requested_at=now
    )
    _audit(AccessAction.UPDATE, "concern", concern, actor, offered_to=str(to_user.pk))
    tell(
        event="concern.transfer_offered",
        users=[to_user.pk],
        title=f"Concern {concern.reference} offered to you",
        body=f"{actor} offers you concern {concern.reference}. It stays theirs until you accept.",
        data=_concern_data(concern),
        at=now,
        actor=actor,
    )
    return transfer


@transaction.atomic
def accept_transfer(*, actor: User, concern: Concern, now: datetime | None = None) -> Concern:
    """The colleague it was offered to takes it over."""
    now = now or timezone.now()
    concern = _lock(concern)
    _require_open(concern)
    transfer = concern.transfers.select_for_update().filter(status=TransferStatus.PENDING).first()
    if transfer is None:
        raise Conflict("Nobody has offered you this concern.", code="no_transfer_pending")
    if not policy.may_accept_transfer(actor, transfer):
        raise PermissionDenied("This offer is addressed to someone else.")
    previous = concern.owner_id
    transfer.status, transfer.decided_at = TransferStatus.ACCEPTED, now
    transfer.save(update_fields=["status", "decided_at"])
    concern.owner = actor
    concern.save(update_fields=["owner"])
    _audit(AccessAction.UPDATE, "concern", concern, actor, owner_from=str(previous))
    tell(
        event="concern.transferred",
        users=[previous, concern.raised_by_id],
        title=f"Concern {concern.reference} has a new owner",
        body=f"{actor} of {actor.membership.agency.name} accepted concern {concern.reference} and owns it now.",
        data=_concern_data(concern),
        at=now,
        actor=actor,
    )
    return concern


@transaction.atomic
def close_concern(*, actor: User, concern: Concern, reason: str, now: datetime | None = None) -> Concern:
    """Closed only with a reason; an offer still waiting is withdrawn."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the concern is closed."})
    concern = _lock(concern)
    owner_agency = concern.owner.membership.agency_id if hasattr(concern.owner, "membership") else None
    if not policy.may_close_concern(actor, concern, owner_agency):
        raise PermissionDenied("A concern is closed by its owner or a manager of the owner's agency.")
    _require_open(concern)
    concern.transfers.filter(status=TransferStatus.PENDING).update(
        status=TransferStatus.WITHDRAWN, decided_at=now
    )
    concern.status, concern.closed_at, concern.closed_by = ConcernStatus.CLOSED, now, actor
    concern.close_reason = reason.strip()
    concern.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
    _audit(AccessAction.UPDATE, "concern", concern, actor, closed=concern.close_reason)
    tell(
        event="concern.closed",
        users=[concern.owner_id, concern.raised_by_id, *_consulted(concern)],
        title=f"Concern {concern.reference} closed",
        body=f"{actor} closed concern {concern.reference}: {concern.close_reason}",
        data=_concern_data(concern),
        at=now,
        actor=actor,
    )
    return concern


@transaction.atomic
def make_referral(
    *, actor: User, concern: Concern, to_agency: Agency, now: datetime | None = None
) -> Referral:
    """The owner refers the concern to an agency, whose managers allocate it."""
    now = now or timezone.now()
    concern = _lock(concern)
    _require_owner(actor, concern, "refer it")
    _require_open(concern)
    if concern.referrals.filter(to_agency=to_agency).exclude(status=ReferralStatus.COMPLETED).exists():
        raise Conflict(
            f"Concern {concern.reference} is already referred to {to_agency.name}, awaiting its outcome.",
            code="already_referred",
        )
    referral = Referral.objects.create(
        reference=_next_reference("REF", now),
        concern=concern,
        made_by=actor,
        from_agency_id=actor.membership.agency_id,
        to_agency=to_agency,
        made_at=now,
    )
    _audit(AccessAction.CREATE, "referral", referral, actor, to_agency=str(to_agency.pk))
    tell(
        event="referral.made",
        users=[*first_line_managers([to_agency.pk]), actor.pk],
        title=f"Referral {referral.reference} to allocate",
        body=f"{actor.membership.agency.name} referred concern {concern.reference} to {to_agency.name}: "
        f"allocate it to a social worker.",
        data=_referral_data(referral),
        at=now,
        actor=actor,
        agencies=[to_agency.pk],
    )
    return referral


def _lock_referral(referral: Referral) -> Referral:
    return Referral.objects.select_related("concern").select_for_update(of=("self",)).get(pk=referral.pk)


def _told_of_answer(referral: Referral) -> list[uuid.UUID]:
    """The concern's owner, the professional who raised it, the one who made the referral (who may have
    handed the concern on since), and everyone consulted on it."""
    concern = referral.concern
    return [concern.owner_id, concern.raised_by_id, referral.made_by_id, *_consulted(concern)]


@transaction.atomic
def allocate_referral(
    *, actor: User, referral: Referral, social_worker: User, now: datetime | None = None
) -> Referral:
    """A manager of the receiving agency allocates the referral to one of its social workers."""
    now = now or timezone.now()
    referral = _lock_referral(referral)
    if not policy.may_allocate_referral(actor, referral):
        raise PermissionDenied("A referral is allocated by a manager of the agency it was made to.")
    if referral.status != ReferralStatus.UNALLOCATED:
        raise Conflict(f"Referral {referral.reference} is already allocated.", code="already_allocated")
    _member(social_worker, "social_worker", [Role.SOCIAL_WORKER], "a social worker")
    if social_worker.membership.agency_id != referral.to_agency_id:
        raise ValidationError({"social_worker": f"Choose a social worker of {referral.to_agency.name}."})
    referral.status, referral.allocated_to, referral.allocated_by, referral.allocated_at = (
        ReferralStatus.ALLOCATED,
        social_worker,
        actor,
        now,
    )
    referral.save(update_fields=["status", "allocated_to", "allocated_by", "allocated_at"])
    _audit(AccessAction.UPDATE, "referral", referral, actor, allocated_to=str(social_worker.pk))
    tell(
        event="referral.allocated",
        users=[social_worker.pk, referral.concern.owner_id, referral.concern.raised_by_id],
        title=f"Referral {referral.reference} allocated",
        body=f"Referral {referral.reference} (concern {referral.concern.reference}) is allocated to "
        f"{social_worker} of {referral.to_agency.name}.",
        data=_referral_data(referral) | {"allocated_to": str(social_worker.pk)},
        at=now,
        actor=actor,
        agencies=[referral.to_agency_id],
    )
    return referral


@transaction.atomic
def respond_to_referral(
    *, actor: User, referral: Referral, note: str, now: datetime | None = None
) -> ReferralResponse:
    """The receiving agency writes back to the referrer: its first response stops the response clock."""
    now = now or timezone.now()
    if not (note or "").strip():
        raise ValidationError({"note": "Write the response."})
    referral = _lock_referral(referral)
    if not policy.may_answer_referral(actor, referral):
        raise PermissionDenied(
            "A referral is answered by the social worker it is allocated to or a manager of its agency."
        )
    response = ReferralResponse.objects.create(referral=referral, by=actor, note=note.strip(), at=now)
    if referral.first_response_at is None:
        referral.first_response_at = now
        referral.save(update_fields=["first_response_at"])
    _audit(AccessAction.UPDATE, "referral", referral, actor, responded=True)
    tell(
        event="referral.responded",
        users=_told_of_answer(referral),
        title=f"{referral.to_agency.name} responded to referral {referral.reference}",
        body=f"{actor} of {referral.to_agency.name} on referral {referral.reference}: {response.note}",
        data=_referral_data(referral),
        at=now,
        actor=actor,
    )
    return response


@transaction.atomic
def record_outcome(
    *, actor: User, referral: Referral, outcome: str, explanation: str, now: datetime | None = None
) -> Referral:
    """The decision on the referral, explained; it reaches the owner, the raiser and everyone consulted."""
    now = now or timezone.now()
    if outcome not in ReferralOutcome.values:
        raise ValidationError({"outcome": f"Choose one of: {', '.join(ReferralOutcome.values)}."})
    if not (explanation or "").strip():
        raise ValidationError({"explanation": "Explain the outcome to the professionals who referred."})
    referral = _lock_referral(referral)
    if not policy.may_answer_referral(actor, referral):
        raise PermissionDenied(
            "A referral's outcome is recorded by the social worker it is allocated to or a manager of "
            "its agency."
        )
    if referral.status == ReferralStatus.COMPLETED:
        raise Conflict(f"Referral {referral.reference} already has its outcome.", code="outcome_recorded")
    referral.status, referral.outcome, referral.outcome_explanation = (
        ReferralStatus.COMPLETED,
        outcome,
        explanation.strip(),
    )
    referral.outcome_at, referral.outcome_by = now, actor
    referral.first_response_at = referral.first_response_at or now
    referral.save(
        update_fields=[
            "status",
            "outcome",
            "outcome_explanation",
            "outcome_at",
            "outcome_by",
            "first_response_at",
        ]
    )
    _audit(AccessAction.UPDATE, "referral", referral, actor, outcome=outcome)
    label = ReferralOutcome(outcome).label
    tell(
        event="referral.outcome",
        users=_told_of_answer(referral),
        title=f"Outcome of referral {referral.reference}: {label}",
        body=f"Referral {referral.reference} (concern {referral.concern.reference}) to "
        f"{referral.to_agency.name}: {label.lower()}. {referral.outcome_explanation}",
        data=_referral_data(referral) | {"outcome": outcome, "outcome_label": label},
        at=now,
        actor=actor,
    )  # to the named professionals only: the explanation is free text about the family
    return referral
