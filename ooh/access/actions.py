"""The write path of access grants: break-glass (time-limited access outside the rules, reviewed) and
reviewer grants (one record's chronology for one review, until it expires)."""

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict

from . import policy
from .models import BreakGlass, ReviewerGrant

BREAK_GLASS_FOR = timedelta(minutes=60)


@transaction.atomic
def break_glass(*, actor: User, person: Any, reason: str, now: datetime | None = None) -> BreakGlass:
    """Open 60 minutes of access to one person's records outside the need-to-know rules, with a reason.

    `person` is a people.Person, which access may not import (people imports flags, flags access)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) < policy.MIN_REASON_LENGTH:
        raise ValidationError(
            {
                "reason": f"Say why you need this person's records now (at least {policy.MIN_REASON_LENGTH} characters)."
            }
        )
    grant = BreakGlass.objects.create(
        user=actor,
        # may_break_glass admits members of an agency only, so the actor has one
        agency_id=cast(uuid.UUID, policy.agency_id_of(actor)),
        person=person,
        reason=reason[:1000],
        opened_at=now,
        expires_at=now + BREAK_GLASS_FOR,
    )
    record_access(
        action=AccessAction.BREAK_GLASS,
        object_type="person",
        object_ids=[person.pk],
        person_ids=[person.pk],
        actor=actor,
        reason=reason[:500],
        detail={"break_glass": str(grant.pk), "expires_at": grant.expires_at.isoformat()},
    )
    return grant


@transaction.atomic
def review_break_glass(
    *, actor: User, grant: BreakGlass, note: str, now: datetime | None = None
) -> BreakGlass:
    """A manager of the user's agency records that the access was reviewed, with a note."""
    grant = BreakGlass.objects.select_for_update().get(pk=grant.pk)
    if grant.reviewed_at is not None:
        raise Conflict("This break-glass access has already been reviewed.", code="already_reviewed")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Record what the review found."})
    grant.reviewed_at, grant.reviewed_by, grant.review_note = now or timezone.now(), actor, note[:2000]
    grant.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    record_access(
        action=AccessAction.UPDATE,
        object_type="break_glass",
        object_ids=[grant.pk],
        person_ids=[grant.person_id],
        actor=actor,
        detail={"reviewed": True},
    )
    return grant


@transaction.atomic
def grant_reviewer(
    *,
    actor: User,
    user: User,
    record: Any,
    lead_agency_id: uuid.UUID,
    review: str,
    reason: str,
    expires_at: datetime,
    now: datetime | None = None,
) -> ReviewerGrant:
    """Let `user` read one incident's or concern's chronology for a named review, until `expires_at`.

    `record` is an incidents.Incident or a referrals.Concern (access may not import them); the caller
    has checked that the actor may see it and found its lead agency. Audited, naming the record's people
    is the chronology read's job: the grant itself discloses nothing but who may read."""
    now = now or timezone.now()
    if not policy.may_grant_reviewer(actor, lead_agency_id):
        raise PermissionDenied("A reviewer is granted by a manager of the record's lead agency.")
    if not policy.may_be_reviewer(user):
        raise ValidationError({"user": "Name an active account for the reviewer."})
    review, reason = (review or "").strip(), (reason or "").strip()
    if not review:
        raise ValidationError({"review": "Name the review this access serves."})
    if len(reason) < policy.MIN_REASON_LENGTH:
        raise ValidationError(
            {
                "reason": f"Say why this reviewer needs the record (at least {policy.MIN_REASON_LENGTH} characters)."
            }
        )
    longest = timedelta(days=settings.REVIEWER_GRANT_MAX_DAYS)
    if expires_at <= now:
        raise ValidationError({"expires_at": "Give a time in the future."})
    if expires_at > now + longest:
        raise ValidationError(
            {"expires_at": f"A reviewer is granted for at most {settings.REVIEWER_GRANT_MAX_DAYS} days."}
        )
    kind = record._meta.model_name  # "incident" or "concern"
    grant = ReviewerGrant.objects.create(
        user=user,
        incident=record if kind == "incident" else None,
        concern=record if kind == "concern" else None,
        review=review[:200],
        reason=reason[:2000],
        granted_by=actor,
        agency_id=lead_agency_id,
        granted_at=now,
        expires_at=expires_at,
    )
    record_access(
        action=AccessAction.CREATE,
        object_type="reviewer_grant",
        object_ids=[grant.pk, record.pk],
        actor=actor,
        incident_id=record.pk if kind == "incident" else None,
        reason=reason[:500],
        detail={
            "reviewer": str(user.pk),
            kind: str(record.pk),
            "review": grant.review,
            "expires_at": expires_at.isoformat(),
            "disclosed_to": user.get_username(),
        },
    )
    return grant


@transaction.atomic
def revoke_reviewer(
    *, actor: User, grant: ReviewerGrant, reason: str, now: datetime | None = None
) -> ReviewerGrant:
    """End a reviewer's access before it expires: a manager of the agency that granted it."""
    now = now or timezone.now()
    grant = ReviewerGrant.objects.select_for_update().get(pk=grant.pk)
    if not policy.may_grant_reviewer(actor, grant.agency_id):
        raise PermissionDenied("A reviewer's access is revoked by a manager of the agency that granted it.")
    if grant.revoked_at is not None:
        raise Conflict("This reviewer's access has already been revoked.", code="already_revoked")
    if grant.expires_at <= now:
        raise Conflict("This reviewer's access has already expired.", code="already_expired")
    reason = (reason or "").strip()
    if len(reason) < policy.MIN_REASON_LENGTH:
        raise ValidationError(
            {"reason": f"Say why the access ends early (at least {policy.MIN_REASON_LENGTH} characters)."}
        )
    grant.revoked_at, grant.revoked_by = now, actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    record_access(
        action=AccessAction.REVOKE,
        object_type="reviewer_grant",
        object_ids=[grant.pk],
        actor=actor,
        incident_id=grant.incident_id,
        reason=reason[:500],
        detail={"reviewer": str(grant.user_id)},
    )
    return grant
