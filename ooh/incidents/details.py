"""Changing an incident after it opened: its details (PATCH), a subject found at the scene, closing it.

Like every incident action: the row locked, the rule asked, the change and its event in one
transaction, published after commit. A new subject brings the agencies with a plan for their family.
"""

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import User
from ooh.errors import Conflict
from ooh.people.links import linked_ids
from ooh.people.models import Person
from ooh.plans.queries import agencies_with_a_stake
from ooh.shapes import person_row

from .actions import lock_open
from .events import append_event
from .models import Incident, IncidentAgency, IncidentStatus, IncidentSubject, InvolvementReason
from .outcome import tell_outcome

CHANGEABLE = ("summary", "kind", "address", "location_text")
REFUSED = "The incident is changed by the control room that opened it or the decision maker."


@transaction.atomic
def update_incident(
    *,
    actor: User,
    incident: Incident,
    now: datetime | None = None,
    **changes: Any,  # any of CHANGEABLE, as the serializer read them
) -> Incident:
    """Change any of summary, kind, address, location_text; an unchanged request changes nothing."""
    now = now or timezone.now()
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: f"Only {', '.join(CHANGEABLE)} can be changed."})
    if "summary" in changes and not (changes["summary"] or "").strip():
        raise ValidationError({"summary": "Say what is happening."})
    incident = lock_open(incident)
    if not policy.may_change_incident(actor, incident):
        raise PermissionDenied(REFUSED)
    changed = {field: value for field, value in changes.items() if getattr(incident, field) != value}
    if not changed:
        return incident
    for field, value in changed.items():
        setattr(incident, field, value)
    incident.save(update_fields=list(changed))
    append_event(
        incident=incident,
        type="incident.updated",
        actor=actor,
        at=now,
        data={
            field: (str(value.pk) if hasattr(value, "pk") else value) if value is not None else None
            for field, value in changed.items()
        },
    )
    return incident


@transaction.atomic
def add_subject(
    *, actor: User, incident: Incident, person: Person, now: datetime | None = None
) -> IncidentSubject:
    """A person found at the scene becomes a subject: the picture follows, and the agencies with a plan
    for their family join the incident and hear of it."""
    now = now or timezone.now()
    incident = lock_open(incident)
    if not policy.may_change_incident(actor, incident):
        raise PermissionDenied(REFUSED)
    if IncidentSubject.objects.filter(incident=incident, person=person).exists():
        raise Conflict("This person is already a subject of the incident.", code="already_a_subject")
    subject = IncidentSubject.objects.create(incident=incident, person=person, added_by=actor, added_at=now)
    joining: list[uuid.UUID] = []
    for agency_id in agencies_with_a_stake(linked_ids([person.pk], depth=1)):
        _row, created = IncidentAgency.objects.get_or_create(
            incident=incident,
            agency_id=agency_id,
            defaults={"reason": InvolvementReason.STAKEHOLDER, "since": now},
        )
        if created:
            joining.append(agency_id)
    append_event(
        incident=incident,
        type="subject.added",
        actor=actor,
        at=now,
        data={"person": person_row(person), "agencies_joining": [str(a) for a in joining]},
        feed_agencies=joining,
    )
    return subject


@transaction.atomic
def close_incident(*, actor: User, incident: Incident, outcome: str, now: datetime | None = None) -> Incident:
    """Close with an outcome; afterwards every change is refused with 409. The lead professional, the
    decision maker and every agency on it are told the outcome."""
    now = now or timezone.now()
    if not (outcome or "").strip():
        raise ValidationError({"outcome": "Record the outcome."})
    incident = lock_open(incident)
    if not policy.may_close_incident(actor, incident):
        raise PermissionDenied(
            "The incident is closed by the control room that opened it or the decision maker."
        )
    incident.status, incident.closed_at, incident.closed_by, incident.outcome = (
        IncidentStatus.CLOSED,
        now,
        actor,
        outcome.strip(),
    )
    incident.save(update_fields=["status", "closed_at", "closed_by", "outcome"])
    append_event(
        incident=incident, type="incident.closed", actor=actor, at=now, data={"outcome": incident.outcome}
    )
    tell_outcome(incident=incident, actor=actor, now=now)
    return incident
