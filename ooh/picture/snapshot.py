"""The incident snapshot: everything a phone or control-room screen needs in one read."""

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone

from alerts.models import Escalation, EscalationStatus
from ooh.incidents.models import Attendance, Decision, FlagAcknowledgement, Incident, IncidentSubject
from ooh.people.models import Person
from ooh.referrals.dash import marac_recommendations
from ooh.shapes import (
    address_row,
    agency_row,
    appointment_row,
    attendance_row,
    decision_row,
    escalation_row,
    flag_row,
    iso_datetime,
    person_row,
    user_row,
)

from .guidance import GuidanceContext, guidance_for
from .linked import Network, subjects_network
from .payload import addresses_payload, members_payload


def load(incident_id: uuid.UUID | str) -> Incident:
    return Incident.objects.select_related(
        "address",
        "opening_agency",
        "lead_professional__user",
        "lead_professional__appointed_by",
        "decision_maker__user",
        "decision_maker__appointed_by",
    ).get(pk=incident_id)


def _guidance(
    incident: Incident, network: Network, subjects: list[Person], now: datetime
) -> list[dict[str, object]]:
    people: dict[uuid.UUID | str, Person] = {
        p.pk: p for p in [*subjects, *(m.person for m in network.members)]
    }
    context = GuidanceContext(
        flags=network.flags,
        birth_plans=network.birth_plans,
        edges=network.edges,
        people=people,
        incident_open=incident.status == "open",
        has_decision_maker=incident.decision_maker_id is not None,
        # One query: the DASH assessments that recommended MARAC in the last 12 months.
        marac_recommendations=marac_recommendations([p.pk for p in people.values()], now),
    )
    return [g.as_dict() for g in guidance_for(context)]


def open_escalations(incident: Incident) -> list[dict[str, Any]]:
    """What has slipped and is not resolved yet, oldest first (one query and its prefetch)."""
    rows = (
        Escalation.objects.filter(incident=incident)
        .exclude(status=EscalationStatus.RESOLVED)
        .prefetch_related("addressed_users")
        .order_by("raised_at", "level")
    )
    return [escalation_row(e, sorted(str(u.pk) for u in e.addressed_users.all())) for e in rows]


def build(incident: Incident, *, now: datetime | None = None) -> tuple[dict[str, Any], Network]:
    """(snapshot, network): the network is returned too so the caller can audit who was disclosed."""
    now = now or timezone.now()
    subjects = [s.person for s in IncidentSubject.objects.filter(incident=incident).select_related("person")]
    network = subjects_network(subjects, depth=1, now=now)
    ids = network.identifiers
    attendance = (
        Attendance.objects.filter(incident=incident).select_related("agency").order_by("agency__code")
    )
    decisions = Decision.objects.filter(incident=incident).select_related("decided_by")
    reads = FlagAcknowledgement.objects.filter(incident=incident).select_related("user", "agency")
    snapshot = {
        "id": str(incident.pk),
        "reference": incident.reference,
        "kind": incident.kind,
        "status": incident.status,
        "summary": incident.summary,
        "address": address_row(incident.address) if incident.address else None,
        "location_text": incident.location_text,
        "opened_at": iso_datetime(incident.opened_at),
        "opening_agency": agency_row(incident.opening_agency),
        "closed_at": iso_datetime(incident.closed_at),
        "outcome": incident.outcome,
        "subjects": [person_row(p, ids.get(p.pk, ())) for p in subjects],
        "network": {
            "generated_at": iso_datetime(now),
            "highest_severity": network.highest_severity,
            "members": members_payload(network),
            "addresses": addresses_payload(network),
            "flags": [flag_row(f, now) for f in network.flags],
        },
        "birth_plans": network.birth_plans,
        "attendance": [attendance_row(row) for row in attendance],
        "lead_professional": appointment_row(incident.lead_professional)
        if incident.lead_professional
        else None,
        "decision_maker": appointment_row(incident.decision_maker) if incident.decision_maker else None,
        "decisions": [decision_row(d) for d in decisions],
        "flag_acknowledgements": [
            {
                "flag": str(r.flag_id),
                "user": user_row(r.user),
                "agency": agency_row(r.agency),
                "at": iso_datetime(r.at),
            }
            for r in reads
        ],
        "guidance": _guidance(incident, network, subjects, now),
        "escalations": open_escalations(incident),
        "last_seq": incident.last_seq,
    }
    return snapshot, network


def etag(snapshot: dict[str, Any]) -> str:
    """Changes when anything shown changes, not when only the time of generation does."""
    content = {k: v for k, v in snapshot.items() if k != "network"}
    content["network"] = {k: v for k, v in snapshot["network"].items() if k != "generated_at"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
    return f'"{digest}"'
