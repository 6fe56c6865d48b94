"""The incident snapshot: everything a phone or control-room screen needs in one read."""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from alerts.guidance import GuidanceContext, guidance_for
from ooh.people.network import subjects_network
from ooh.people.payload import address_dict, flag_dict, person_dict
from ooh.plans.models import BirthPlan, KeyContact, PlanShare

from .actions import appointment_dict
from .models import Attendance, Decision, FlagAcknowledgement, Incident, IncidentSubject

# Other apps add sections (escalations) to the snapshot: f(incident, snapshot_dict).
snapshot_extensions = []


def stakeholder_agencies(network) -> set:
    """Agencies holding a birth plan for someone in the picture (writing it, keeping it, shared with it,
    a key contact on it): the plan was written for this night. Raising a flag makes no stake: a flag
    is disclosed through the picture, not by making its agency a party to every later incident."""
    agencies = set()
    plan_ids = [plan["id"] for plan in network.birth_plans]
    if plan_ids:
        agencies |= set(PlanShare.objects.filter(plan_id__in=plan_ids).values_list("agency_id", flat=True))
        agencies |= set(
            BirthPlan.objects.filter(pk__in=plan_ids).values_list("authoring_agency_id", flat=True)
        )
        agencies |= set(KeyContact.objects.filter(plan_id__in=plan_ids).values_list("agency_id", flat=True))
    return agencies


def _agency(agency):
    return {"id": str(agency.pk), "code": agency.code, "name": agency.name, "kind": agency.kind}


def _user(user):
    return {"id": str(user.pk), "username": user.username, "display_name": user.display_name}


def load(incident_id) -> Incident:
    return Incident.objects.select_related(
        "address",
        "opening_agency",
        "lead_professional__user",
        "lead_professional__appointed_by",
        "decision_maker__user",
        "decision_maker__appointed_by",
    ).get(pk=incident_id)


def build(incident: Incident, *, now=None) -> tuple[dict, object]:
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
    people = {p.pk: p for p in subjects} | {m.person.pk: m.person for m in network.members}
    guidance = guidance_for(
        GuidanceContext(
            flags=network.flags,
            birth_plans=network.birth_plans,
            edges=network.edges,
            people=people,
            incident_open=incident.status == "open",
            has_decision_maker=incident.decision_maker_id is not None,
        )
    )
    snapshot = {
        "id": str(incident.pk),
        "reference": incident.reference,
        "kind": incident.kind,
        "status": incident.status,
        "summary": incident.summary,
        "address": address_dict(incident.address) if incident.address else None,
        "location_text": incident.location_text,
        "opened_at": incident.opened_at,
        "opening_agency": _agency(incident.opening_agency),
        "closed_at": incident.closed_at,
        "outcome": incident.outcome,
        "subjects": [person_dict(p, ids.get(p.pk, ())) for p in subjects],
        "network": {
            "generated_at": now,
            "highest_severity": network.highest_severity,
            "members": [
                {
                    "person": person_dict(m.person, ids.get(m.person.pk, ())),
                    "relation": m.relation,
                    "path": [str(p) for p in m.path],
                    "distance": m.distance,
                }
                for m in network.members
            ],
            "addresses": [
                {"address": address_dict(a), "residents": [str(r) for r in residents]}
                for a, residents in network.addresses
            ],
            "flags": [flag_dict(f, now) for f in network.flags],
        },
        "birth_plans": network.birth_plans,
        "attendance": [
            {
                "id": str(row.pk),
                "agency": _agency(row.agency),
                "status": row.status,
                "requested_at": row.requested_at,
                "respond_by": row.respond_by,
                "eta": row.eta,
                "agreed_role": row.agreed_role,
                "note": row.note,
                "updated_at": row.updated_at,
            }
            for row in attendance
        ],
        "lead_professional": appointment_dict(incident.lead_professional)
        if incident.lead_professional
        else None,
        "decision_maker": appointment_dict(incident.decision_maker) if incident.decision_maker else None,
        "decisions": [
            {
                "id": str(d.pk),
                "decision": d.decision,
                "rationale": d.rationale,
                "decided_by": _user(d.decided_by),
                "at": d.at,
            }
            for d in decisions
        ],
        "flag_acknowledgements": [
            {"flag": str(r.flag_id), "user": _user(r.user), "agency": _agency(r.agency), "at": r.at}
            for r in reads
        ],
        "guidance": [g.as_dict() for g in guidance],
        "escalations": [],
        "last_seq": incident.last_seq,
    }
    for extend in snapshot_extensions:
        extend(incident, snapshot)
    return json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder)), network


def etag(snapshot: dict) -> str:
    """Changes when anything shown changes, not when only the time of generation does."""
    content = {k: v for k, v in snapshot.items() if k != "network"}
    content["network"] = {k: v for k, v in snapshot["network"].items() if k != "generated_at"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
    return f'"{digest}"'
