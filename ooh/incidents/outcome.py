"""Telling the people of a closed incident its outcome: the lead professional and the decision maker
appointed on it, and every agency that was on it (its feed, and its first-line managers' inboxes).

A feed-only notice (`incident.outcome`): the incident's own log keeps `incident.closed` as its last word.
"""

import uuid
from datetime import datetime

from ooh.access import policy
from ooh.accounts.lines import first_line_managers
from ooh.accounts.models import User
from ooh.shapes import iso_datetime

from .models import Appointment, Incident, IncidentAgency
from .notices import tell


def appointed_users(incident: Incident) -> list[uuid.UUID]:
    """The lead professional and the decision maker appointed on it now (one query; none if nobody is)."""
    appointments = [a for a in (incident.lead_professional_id, incident.decision_maker_id) if a is not None]
    if not appointments:
        return []
    return list(Appointment.objects.filter(pk__in=appointments).values_list("user_id", flat=True))


def agencies_on(incident: Incident) -> list[uuid.UUID]:
    """Every agency that was on the incident: opened it, was asked, declared itself, had a member
    appointed, or holds a stake in its family (one query)."""
    return sorted(
        set(
            IncidentAgency.objects.filter(
                incident=incident, reason__in=policy.INCIDENT_VISIBLE_REASONS
            ).values_list("agency_id", flat=True)
        ),
        key=str,
    )


def tell_outcome(*, incident: Incident, actor: User, now: datetime) -> list[uuid.UUID]:
    """In the closing transaction: the inbox entries now, the feeds after commit. Returns who was told."""
    agencies = agencies_on(incident)
    return tell(
        event="incident.outcome",
        users=[*appointed_users(incident), *sorted(first_line_managers(agencies), key=str)],
        agencies=agencies,
        title=f"Incident {incident.reference} closed",
        body=incident.outcome,
        data={
            "incident": str(incident.pk),
            "reference": incident.reference,
            "outcome": incident.outcome,
            "closed_at": iso_datetime(incident.closed_at),
        },
        at=now,
        actor=actor,
    )
