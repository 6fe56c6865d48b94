"""The picture in words: every flag labelled for a person ("Dean Vale, father of the unborn child: threats
to staff, critical"), every plan with its status and legal position in plain words and who has not read
its current version, and the headline for the reader. Runs on the payload as the API returns it, so
both renderings of the linked picture (one PostgreSQL statement, or the ORM) are described alike."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ooh.plans.models import PlanStatus

from .audience import Audience
from .headline import IncidentView, Night, headline
from .labels import address_line, full_name, home_label, label_flags
from .legal import legal_position
from .linked import role


def describe_plan(plan: dict[str, Any]) -> None:
    """Add status_label, legal_position and not_read_by (the agencies shared with that have not read the
    current version) to a plan summary row, in place."""
    plan["status_label"] = str(PlanStatus(plan["status"]).label)
    plan["legal_position"] = legal_position(plan).as_dict()
    plan["not_read_by"] = [
        {"agency": share["agency"], "read_version": share["read_version"]}
        for share in plan["shared_with"]
        if share["read_version"] != plan["version"]
    ]


def relations_among(
    subjects: Iterable[Mapping[str, Any]], edges: Iterable[tuple[Any, Any, str]]
) -> dict[str, str]:
    """How each subject relates to the other subjects: 'mother of Baby Vale' (from the links among them)."""
    rows = {str(s["id"]): s for s in subjects}
    found: dict[str, list[str]] = {}
    for from_id, to_id, kind in edges:
        a, b = str(from_id), str(to_id)
        if a not in rows or b not in rows or a == b:
            continue
        found.setdefault(a, []).append(f"{role(True, kind, rows[a]['status'])} of {full_name(rows[b])}")
        found.setdefault(b, []).append(f"{role(False, kind, rows[b]['status'])} of {full_name(rows[a])}")
    return {pid: "; ".join(dict.fromkeys(words)) for pid, words in found.items()}


def describe_payload(payload: dict[str, Any], subject_relations: Mapping[str, str] | None = None) -> None:
    """Label the flags and describe the plans of a picture payload (network_payload's shape), in place.
    `subject_relations` says how subjects relate to each other (an incident's several subjects)."""
    subject = payload.get("subject")
    subjects = payload.get("subjects") or ([subject] if payload.get("subject_type") == "person" else [])
    people: dict[str, Mapping[str, Any]] = {str(p["id"]): p for p in subjects}
    relations = dict(subject_relations or {})
    for member in payload["members"]:
        people[str(member["person"]["id"])] = member["person"]
        relations[str(member["person"]["id"])] = member["relation"]
    subject_ids = {str(p["id"]) for p in subjects}
    flagged = {f["subject_address"] for f in payload["flags"] if f["subject_address"] is not None}
    addresses = {  # labelled only where a flag needs it: most homes in a picture carry none
        str(a["address"]["id"]): home_label(
            a["address"], [str(r) for r in a["residents"]], people, relations, subject_ids
        )
        for a in payload["addresses"]
        if str(a["address"]["id"]) in flagged
    }
    if payload.get("subject_type") == "address" and subject is not None:
        addresses[str(subject["id"])] = address_line(subject)  # the picture is of this address
    label_flags(payload["flags"], people, relations, addresses)
    for plan in payload["birth_plans"]:
        describe_plan(plan)


def night_of(
    payload: Mapping[str, Any], now: datetime, incident: IncidentView | None = None, plans: Any = None
) -> Night:
    """The headline's view of a described payload (a picture, or an incident's network and plans)."""
    subject = payload.get("subject")
    subjects = payload.get("subjects") or ([subject] if payload.get("subject_type") == "person" else [])
    people = {str(p["id"]): p for p in subjects}
    people.update({str(m["person"]["id"]): m["person"] for m in payload["members"]})
    return Night(
        flags=payload["flags"],
        plans=list(plans if plans is not None else payload["birth_plans"]),
        people=people,
        now=now,
        incident=incident,
    )


def with_headline(payload: dict[str, Any], audience: Audience) -> dict[str, Any]:
    """The described picture, opening with its headline for this reader (as of its generated_at)."""
    now = datetime.fromisoformat(payload["generated_at"])
    return {"headline": headline(night_of(payload, now), audience), **payload}
