"""An incident's own log in plain words: each Event (ooh/incidents/events.py) as one item, and the gaps
found in it (a request unanswered, an ETA missed, nobody deciding).

Escalation events are told from the escalations themselves, and birth_plan.updated from the plans
(ooh/records/chronology.py), so neither is told twice.
"""

import datetime
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from ooh.incidents.models import AppointmentRole, AttendanceStatus, Event, Incident, IncidentKind
from ooh.picture.labels import CATEGORY_WORDS, SEVERITY_LABELS

from .gaps import Found, Limit, clock, missed_etas, no_decision_maker, parse, unanswered_requests
from .naming import Naming, clause, sentence
from .shapes import Item

# Told from their own tables, not from the incident's log.
TOLD_ELSEWHERE = ("escalation.", "birth_plan.updated")
ROLE_WORDS = {
    AppointmentRole.DECISION_MAKER: "decision maker",
    AppointmentRole.LEAD_PROFESSIONAL: "lead professional",
}


def load_events(incident: Incident) -> list[Event]:
    """One query: the incident's log in seq order."""
    return list(Event.objects.filter(incident=incident).order_by("seq"))


def _user_ids_in(data: Any) -> Iterable[str]:
    if not isinstance(data, dict):
        return
    for key in ("user", "appointed_by"):
        if isinstance(data.get(key), dict) and data[key].get("id"):
            yield data[key]["id"]
    if data.get("updated_by"):
        yield data["updated_by"]


def user_moments(events: Iterable[Event]) -> list[tuple[datetime.datetime, uuid.UUID]]:
    """Everyone the log names, with when: the actors, appointees, people on scene."""
    found = []
    for event in events:
        if event.actor_id is not None:
            found.append((event.at, event.actor_id))
        found += [(event.at, uuid.UUID(u)) for u in _user_ids_in(event.data)]
    return found


def agency_ids(incident: Incident, events: Iterable[Event]) -> set[str]:
    ids = {str(incident.opening_agency_id)}
    for event in events:
        if isinstance(event.data, dict) and isinstance(event.data.get("agency"), str):
            ids.add(event.data["agency"])
    return ids


def _attendance(event: Event, n: Naming) -> str:
    data = event.data
    agency, status, note = n.agency(data.get("agency")), data.get("status"), clause(n.text(data.get("note")))
    eta = parse(data.get("eta"))
    when = f", arriving by {clock(eta, event.at)}" if eta else ""
    words = {
        AttendanceStatus.ATTENDING: f"{agency} is coming{when}",
        AttendanceStatus.EN_ROUTE: f"{agency} is on the way{when}",
        AttendanceStatus.ON_SCENE: f"{agency} is on scene",
        AttendanceStatus.ACKNOWLEDGED: f"{agency} has seen the request and not yet said whether it is coming",
        AttendanceStatus.LEFT: f"{agency} left the scene",
        AttendanceStatus.CANNOT_ATTEND: f"{agency} cannot attend: {note or 'no reason given'}; "
        f"instead: {clause(n.text(data.get('agreed_role')))}",
        AttendanceStatus.STOOD_DOWN: f"{n.agency_of(event.actor_id) or 'The control room'} stood {agency} "
        f"down: {note or 'no reason given'}",
    }.get(status, f"{agency}'s attendance is now: {status}")
    if note and status not in (AttendanceStatus.CANNOT_ATTEND, AttendanceStatus.STOOD_DOWN):
        words += f" ({note})"
    return words


def _requested(event: Event, n: Naming) -> str:
    respond_by = parse(event.data.get("respond_by"))
    by = f", answer by {clock(respond_by, event.at)}" if respond_by else ""
    asker = n.agency_of(event.actor_id) or "The control room"
    return f"{asker} asked {n.agency(event.data.get('agency'))} to attend{by}"


def _appointment(event: Event, n: Naming) -> str:
    data, answer = event.data, event.type.partition(".")[2]
    role = ROLE_WORDS[AppointmentRole(data.get("role"))]
    who = n.user(data.get("user", {}).get("id"))
    if answer == "appointed":
        return f"{n.who(data['user']['id'])} appointed {role} by {n.user(event.actor_id)}: {clause(n.text(data.get('reason')))}"
    if answer == "accepted":
        return f"{who} accepted being {role}" + (" by recording a decision" if data.get("implicit") else "")
    return f"{who} declined being {role}: {clause(n.text(data.get('reason')))}"


def _opened(event: Event, n: Naming, incident: Incident) -> str:
    kind = str(IncidentKind(event.data.get("kind", incident.kind)).label).lower()
    about = n.people(event.data.get("subjects", []))
    agency = (
        n.agency(event.data.get("opening_agency"))
        if event.data.get("opening_agency")
        else n.agency_of(event.actor_id)
    )
    return (
        f"{agency} opened the incident ({kind}, about {about}): {clause(n.text(event.data.get('summary')))}"
    )


def _updated(event: Event, n: Naming) -> str:
    parts = []
    for name, value in event.data.items():
        if name == "summary":
            parts.append(f"the summary to: {clause(n.text(value))}")
        elif name == "kind":
            parts.append(f"the kind to {str(IncidentKind(value).label).lower()}")
        else:
            parts.append(f"the {name.replace('_', ' ')}")
    return f"{n.user(event.actor_id)} changed {'; '.join(parts) or 'the incident'}"


def _flag(event: Event, n: Naming) -> str:
    data, change = event.data, event.type.partition(".")[2]
    what = f"{CATEGORY_WORDS.get(data.get('category'), 'other')} flag"
    if change == "acknowledged":
        return f"{n.who(event.actor_id)} read the {what}"
    who = n.person(data["subject_person"]) if data.get("subject_person") else "an address in the picture"
    severity = SEVERITY_LABELS.get(data.get("severity"), "").lower()
    if change == "added":
        return f"A {what} ({severity}) was raised on {who}: {clause(n.text(data.get('summary')))}"
    return f"The {what} on {who} was revoked"


def _presence(event: Event, n: Naming) -> str:
    who = event.data.get("user", {}).get("id")
    where = "is on scene" if event.data.get("status") == "on_scene" else "left the scene"
    return f"{n.who(who)} {where}"


SUMMARIES: dict[str, Callable[[Event, Naming], str]] = {
    "attendance.requested": _requested,
    "attendance.updated": _attendance,
    "presence.updated": _presence,
    "decision.recorded": lambda e, n: (
        f"Decision: {clause(n.text(e.data.get('decision')))} because "
        f"{clause(n.text(e.data.get('rationale')))}"
    ),
    "incident.updated": _updated,
    "incident.closed": lambda e, n: (
        f"{n.user(e.actor_id)} closed the incident: {clause(n.text(e.data.get('outcome')))}"
    ),
    "subject.added": lambda e, n: (
        f"{n.user(e.actor_id)} added {n.person(e.data.get('person', {}).get('id'))} to the incident"
    ),
}


def summary(event: Event, n: Naming, incident: Incident) -> str:
    """The event in plain words."""
    if event.type == "incident.opened":
        return sentence(_opened(event, n, incident))
    if event.type.startswith(("decision_maker.", "lead_professional.")):
        return sentence(_appointment(event, n))
    if event.type.startswith("flag."):
        return sentence(_flag(event, n))
    words = SUMMARIES.get(event.type)
    if words is not None:
        return sentence(words(event, n))
    return sentence(f"{n.user(event.actor_id)}: {event.type.replace('.', ' ').replace('_', ' ')}")


def event_items(incident: Incident, events: Iterable[Event], n: Naming) -> list[Item]:
    return [
        Item(
            at=event.at,
            kind=event.type,
            actor=n.user(event.actor_id) if event.actor_id else None,
            agency=n.agency_of(event.actor_id) if event.actor_id else None,
            summary=summary(event, n, incident),
            source="event",
            ids={"incident": str(incident.pk), "event": str(event.seq)},
        )
        for event in events
        if not event.type.startswith(TOLD_ELSEWHERE)
    ]


def incident_gaps(incident: Incident, events: list[Event], n: Naming, now: datetime.datetime) -> list[Found]:
    """Requests unanswered, ETAs missed, nobody deciding: up to the closing, else to now."""
    limit = Limit(incident.closed_at, True) if incident.closed_at else Limit(now, False)
    events = [e for e in events if e.at <= limit.at]
    return [
        *unanswered_requests(events, n, limit),
        *missed_etas(events, n, limit),
        *no_decision_maker(incident.opened_at, events, limit),
    ]
