"""The incident snapshot: everything a phone or control-room screen needs in one read."""

import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone

from alerts.models import Escalation, EscalationStatus
from ooh.incidents.models import (
    Attendance,
    Decision,
    FlagAcknowledgement,
    Incident,
    IncidentAgency,
    IncidentKind,
    IncidentSubject,
    InvolvementReason,
    Presence,
    PresenceStatus,
)
from ooh.people.models import Person
from ooh.referrals.dash import marac_recommendations
from ooh.shapes import (
    AGENCY_CONTACT,
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

from .audience import OTHER, Audience
from .described import describe_payload, night_of, relations_among
from .guidance import GuidanceContext, guidance_for
from .headline import IncidentView, headline
from .labels import address_line
from .linked import Network, subjects_network
from .payload import addresses_payload, members_payload

# What build() reads of the incident's own row and its relations: fetched with it, in the same query.
RELATED = (
    "address",
    "opening_agency",
    "lead_professional__user",
    "lead_professional__appointed_by",
    "decision_maker__user",
    "decision_maker__appointed_by",
)


def load(incident_id: uuid.UUID | str) -> Incident:
    return Incident.objects.select_related(*RELATED).get(pk=incident_id)


def _guidance(
    incident: Incident,
    network: Network,
    subjects: list[Person],
    now: datetime,
    *,
    picture: dict[str, Any],
    view: IncidentView,
    audience: Audience,
) -> list[dict[str, object]]:
    people: dict[uuid.UUID | str, Person] = {
        p.pk: p for p in [*subjects, *(m.person for m in network.members)]
    }
    decision_maker = view.decision_maker
    context = GuidanceContext(
        flags=network.flags,
        birth_plans=picture["birth_plans"],
        edges=network.edges,
        people=people,
        incident_open=incident.status == "open",
        # Appointed is not enough: nobody decides until the appointee has accepted.
        has_decision_maker=decision_maker is not None and decision_maker.get("accepted", True),
        # One query: the DASH assessments that recommended MARAC in the last 12 months.
        marac_recommendations=marac_recommendations([p.pk for p in people.values()], now),
        flag_rows={f["id"]: f for f in picture["flags"]},
        audience=audience,
        incident=view,
        now=now,
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


def on_scene(incident: Incident) -> list[dict[str, Any]]:
    """The people on scene now, as each said (or their agency's on_scene said for them), first arrived
    first (one query)."""
    rows = (
        Presence.objects.filter(incident=incident, status=PresenceStatus.ON_SCENE)
        .select_related("user", "agency")
        .order_by("since", "id")
    )
    return [
        {"user": user_row(r.user), "agency": agency_row(r.agency), "since": iso_datetime(r.since)}
        for r in rows
    ]


def agencies_on(incident: Incident) -> list[dict[str, Any]]:
    """Every agency on the incident with its out-of-hours number and why it is on it (one query)."""
    rows = IncidentAgency.objects.filter(incident=incident).select_related("agency").order_by("agency__code")
    return [
        AGENCY_CONTACT.row(r.agency)
        | {"involvement": r.reason, "involvement_label": str(InvolvementReason(r.reason).label)}
        for r in rows
    ]


def build(
    incident: Incident, *, now: datetime | None = None, audience: Audience | None = None
) -> tuple[dict[str, Any], Network]:
    """(snapshot, network): the network is returned too so the caller can audit who was disclosed.
    The snapshot opens with the headline for `audience` (the reader)."""
    now = now or timezone.now()
    audience = audience or Audience(OTHER, False)
    subjects = [s.person for s in IncidentSubject.objects.filter(incident=incident).select_related("person")]
    network = subjects_network(subjects, depth=1, now=now)
    ids = network.identifiers
    attendance = [
        attendance_row(row)
        for row in Attendance.objects.filter(incident=incident)
        .select_related("agency")
        .order_by("agency__code")
    ]
    decisions = Decision.objects.filter(incident=incident).select_related("decided_by")
    reads = FlagAcknowledgement.objects.filter(incident=incident).select_related("user", "agency")
    subject_rows = [person_row(p, ids.get(p.pk, ())) for p in subjects]
    relations = relations_among(subject_rows, network.edges)
    for row in subject_rows:
        row["relation"] = relations.get(row["id"], "")
    picture = {
        "subjects": subject_rows,
        "members": members_payload(network),
        "addresses": addresses_payload(network),
        "flags": [flag_row(f, now) for f in network.flags],
        "birth_plans": network.birth_plans,
    }
    describe_payload(picture, relations)
    agencies = agencies_on(incident)
    lead = appointment_row(incident.lead_professional) if incident.lead_professional else None
    decision_maker = appointment_row(incident.decision_maker) if incident.decision_maker else None
    view = IncidentView(incident.kind, attendance, decision_maker, lead, agencies)
    snapshot = {
        "headline": headline(night_of(picture, now, view), audience),
        "id": str(incident.pk),
        "reference": incident.reference,
        "kind": incident.kind,
        "kind_label": str(IncidentKind(incident.kind).label),
        "status": incident.status,
        "summary": incident.summary,
        "address": address_row(incident.address) if incident.address else None,
        "address_line": address_line(address_row(incident.address)) if incident.address else "",
        "location_text": incident.location_text,
        "opened_at": iso_datetime(incident.opened_at),
        "opening_agency": agency_row(incident.opening_agency),
        "closed_at": iso_datetime(incident.closed_at),
        "outcome": incident.outcome,
        "subjects": subject_rows,
        "network": {
            "generated_at": iso_datetime(now),
            "highest_severity": network.highest_severity,
            "members": picture["members"],
            "addresses": picture["addresses"],
            "flags": picture["flags"],
        },
        "birth_plans": picture["birth_plans"],
        "agencies": agencies,
        "attendance": attendance,
        "lead_professional": lead,
        "decision_maker": decision_maker,
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
        "on_scene": on_scene(incident),
        "guidance": _guidance(
            incident, network, subjects, now, picture=picture, view=view, audience=audience
        ),
        "escalations": open_escalations(incident),
        "last_seq": incident.last_seq,
    }
    return snapshot, network
