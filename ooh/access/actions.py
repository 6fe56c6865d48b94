"""The write path for break-glass: open time-limited access outside the rules, and review it."""

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict

from . import policy
from .models import BreakGlass

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
