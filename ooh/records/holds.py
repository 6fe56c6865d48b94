"""Legal holds: an inquiry, a case review or a court can order records kept, and the data protection
officer places a hold; held records are never disposed of, whatever the schedule says, until released.

A person hold covers the person and every incident and concern they are a subject of; an agency hold
every record the agency owns (the incidents it opened, the concerns it raised, the people it
recorded); an incident hold the incident. Placing a hold locks its target's row, and disposal locks
the same rows before it looks for holds, so a hold placed while a run is disposing is never missed.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import Agency, User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict
from ooh.incidents.models import Incident
from ooh.people.models import Person

from .models import HoldScope, LegalHold

TARGETS: dict[str, type[models.Model]] = {
    HoldScope.PERSON: Person,
    HoldScope.AGENCY: Agency,
    HoldScope.INCIDENT: Incident,
}


def _checked_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < policy.MIN_REASON_LENGTH:
        raise ValidationError({"reason": f"Say why {what} (at least {policy.MIN_REASON_LENGTH} characters)."})
    return reason


def _target_id(raw: object) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError:
        raise ValidationError({"id": "Give the id of a person, an agency or an incident."}) from None


@transaction.atomic
def place_hold(
    *, actor: User, scope: str, target_id: object, reason: str, now: datetime | None = None
) -> LegalHold:
    """Keep a person's, an agency's or an incident's records from disposal until the hold is released."""
    now = now or timezone.now()
    if not policy.may_place_legal_hold(actor):
        raise PermissionDenied("Legal holds are placed by the data protection officer.")
    if scope not in HoldScope.values:
        raise ValidationError({"scope": "Choose person, agency or incident."})
    reason = _checked_reason(reason, "the records must be kept")
    target = _target_id(target_id)
    # Locked: a disposal of what it covers waits for this hold, then sees it.
    if not TARGETS[scope]._default_manager.select_for_update().filter(pk=target).exists():
        raise ValidationError({"id": f"No {scope} has this id."})
    hold = LegalHold.objects.create(
        scope=scope, target_id=target, reason=reason[:2000], placed_by=actor, placed_at=now
    )
    record_access(
        action=AccessAction.CREATE,
        object_type="legal_hold",
        object_ids=[hold.pk],
        person_ids=[target] if scope == HoldScope.PERSON else [],
        incident_id=target if scope == HoldScope.INCIDENT else None,
        actor=actor,
        reason=reason[:500],
        detail={"scope": scope, "target": str(target)},
    )
    return hold


@transaction.atomic
def release_hold(*, actor: User, hold: LegalHold, reason: str, now: datetime | None = None) -> LegalHold:
    """End a hold (the inquiry is over); the schedule applies again from the next run. Kept as history."""
    now = now or timezone.now()
    if not policy.may_place_legal_hold(actor):
        raise PermissionDenied("Legal holds are released by the data protection officer.")
    reason = _checked_reason(reason, "the hold ends")
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        raise Conflict("This legal hold has already been released.", code="hold_released")
    hold.released_at, hold.released_by, hold.release_reason = now, actor, reason[:2000]
    hold.save(update_fields=["released_at", "released_by", "release_reason"])
    record_access(
        action=AccessAction.REVOKE,
        object_type="legal_hold",
        object_ids=[hold.pk],
        person_ids=[hold.target_id] if hold.scope == HoldScope.PERSON else [],
        incident_id=hold.target_id if hold.scope == HoldScope.INCIDENT else None,
        actor=actor,
        reason=reason[:500],
        detail={"scope": hold.scope, "target": str(hold.target_id)},
    )
    return hold


@dataclass(frozen=True)
class HeldTargets:
    """The targets of every hold in force, read in one query."""

    people: frozenset[uuid.UUID]
    agencies: frozenset[uuid.UUID]
    incidents: frozenset[uuid.UUID]

    def covers(
        self,
        *,
        incident_id: uuid.UUID | None = None,
        agency_id: uuid.UUID | None = None,
        person_ids: Iterable[uuid.UUID] = (),
    ) -> bool:
        """Whether a record (its incident id if it is one, its owning agency, its subjects or the person
        it is) is under any hold."""
        return (
            (incident_id is not None and incident_id in self.incidents)
            or (agency_id is not None and agency_id in self.agencies)
            or not self.people.isdisjoint(person_ids)
        )


def held_targets() -> HeldTargets:
    """One query: the holds in force."""
    by_scope: dict[str, set[uuid.UUID]] = {scope: set() for scope in HoldScope.values}
    for scope, target in LegalHold.objects.filter(released_at__isnull=True).values_list("scope", "target_id"):
        by_scope[scope].add(target)
    return HeldTargets(
        people=frozenset(by_scope[HoldScope.PERSON]),
        agencies=frozenset(by_scope[HoldScope.AGENCY]),
        incidents=frozenset(by_scope[HoldScope.INCIDENT]),
    )
