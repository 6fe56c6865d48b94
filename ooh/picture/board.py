"""The control room's board: each listed incident with what a supervisor triages it by - where, how long
open, the worst flag in its picture and whose it is, who is coming and who has not answered, who decides,
and what has slipped.

A page costs a fixed number of queries whatever its size (`rows`): the picture of every listed incident
(its subjects, everyone linked to them at depth 1, where they live, the incident's address) is read in one
walk for all of them. The two keys a board is filtered and ordered by, the highest severity in force in
each picture and the count of open escalations, are SQL annotations (`listing`), so the database filters,
orders and pages by them on SQLite and PostgreSQL alike.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest

from alerts.models import Escalation, EscalationStatus
from ooh.flags.models import SEVERITY_RANK, Flag, flag_sort_key
from ooh.incidents.models import Attendance, AttendanceStatus, Incident, IncidentSubject
from ooh.people.links import Edge, Reached, edges_touching, walk
from ooh.people.models import Address, Person, Residence
from ooh.shapes import address_row, agency_row, iso_datetime, person_row, user_row

from .labels import address_line, category_label, person_label, severity_label
from .linked import describe, path_to, relation_label

# The annotations `listing` adds: what the board's filters and orderings read.
SEVERITY_KEY = "top_severity_rank"  # 0 when nothing is in force, else SEVERITY_RANK of the highest
ESCALATIONS_KEY = "open_escalation_count"

NOT_ANSWERED = frozenset({AttendanceStatus.REQUESTED, AttendanceStatus.ACKNOWLEDGED})
COMING = frozenset({AttendanceStatus.ATTENDING, AttendanceStatus.EN_ROUTE})

_RANK = Case(
    *(When(severity=severity, then=Value(rank)) for severity, rank in SEVERITY_RANK.items()),
    default=Value(0),
    output_field=IntegerField(),
)


def _top_rank(flags: QuerySet[Flag]) -> Coalesce:
    """The highest rank among these flags, 0 for none (a correlated scalar subquery)."""
    ranked = flags.annotate(rank=_RANK).order_by("-rank").values("rank")[:1]
    return Coalesce(Subquery(ranked, output_field=IntegerField()), Value(0))


def highest_severity_rank(now: datetime) -> Greatest:
    """SEVERITY_RANK of the highest flag in force in the picture of the incident `OuterRef("pk")` (0 for
    none): on its subjects, on everyone linked to them by a current relationship (either direction), on
    the current addresses of all of those, and on the incident's own address.

    One subquery per way a flag reaches the picture, each driven from the incident's subjects by the
    indexes (subjects by incident, relationships by either end, current residences, flags in force by
    person or address) rather than from every flag in force: a board's incidents cost their families."""
    incident = OuterRef("pk")
    in_force = Flag.objects.in_force(now)
    subject = "incident_subjects__incident_id"
    # A person in the picture, as the path from the flag's person or address residents to a subject.
    people: dict[str, dict[str, Any]] = {
        "subject": {subject: incident},
        "linked from": {
            "relationships_out__ended_at__isnull": True,
            f"relationships_out__to_person__{subject}": incident,
        },
        "linked to": {
            "relationships_in__ended_at__isnull": True,
            f"relationships_in__from_person__{subject}": incident,
        },
    }
    sources = [in_force.filter(subject_address_id=OuterRef("address_id"))]
    for path in people.values():
        sources.append(in_force.filter(**{f"subject_person__{k}": v for k, v in path.items()}))
        lives_there = {f"subject_address__residences__person__{k}": v for k, v in path.items()}
        sources.append(in_force.filter(subject_address__residences__current=True, **lives_there))
    return Greatest(*(_top_rank(flags) for flags in sources), output_field=IntegerField())


def open_escalations_count() -> Coalesce:
    """How many escalations of the incident `OuterRef("pk")` are not resolved."""
    counted = (
        Escalation.objects.filter(incident_id=OuterRef("pk"))
        .exclude(status=EscalationStatus.RESOLVED)
        .order_by()
        .values("incident_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def listing(incidents: QuerySet[Incident], *, now: datetime) -> QuerySet[Incident]:
    """The incidents as the board reads them: its keys annotated, and the rows `rows` shows joined in."""
    return incidents.select_related(
        "address", "opening_agency", "decision_maker__user", "decision_maker__agency"
    ).annotate(**{SEVERITY_KEY: highest_severity_rank(now), ESCALATIONS_KEY: open_escalations_count()})


@dataclass
class Board:
    rows: list[dict[str, Any]]
    # The people the rows name (a flag's person, and the subject a linked person is named through): the
    # audit records them.
    person_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass
class _Pictures:
    """What the listed incidents' pictures hold, read once for all of them."""

    subjects: dict[uuid.UUID, list[uuid.UUID]]  # by incident, in the order they were added
    edges: list[Edge[uuid.UUID]]
    people: dict[uuid.UUID, Person]
    homes: dict[uuid.UUID, Address]  # each person's current address, by person id
    flags_on_person: dict[uuid.UUID, list[Flag]]
    flags_on_address: dict[uuid.UUID, list[Flag]]

    def reached(self, incident_id: uuid.UUID) -> Reached[uuid.UUID]:
        """The incident's subjects and everyone linked to them, walked over the edges already read."""

        def touching(ids: list[uuid.UUID]) -> list[Edge[uuid.UUID]]:
            frontier = set(ids)
            return [e for e in self.edges if e[0] in frontier or e[1] in frontier]

        return walk(self.subjects.get(incident_id, []), 1, touching)


def _read_pictures(incidents: list[Incident], now: datetime) -> _Pictures:
    """Five queries: subjects; their current relationships (one walk for all incidents); the people
    reached; their current addresses; the flags in force on any of those people and addresses."""
    subjects: defaultdict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    listed = IncidentSubject.objects.filter(incident__in=[i.pk for i in incidents]).order_by("added_at", "id")
    for incident_id, person_id in listed.values_list("incident_id", "person_id"):
        subjects[incident_id].append(person_id)
    subject_ids = {pid for ids in subjects.values() for pid in ids}
    edges = edges_touching(subject_ids)
    person_ids = subject_ids | {e[0] for e in edges} | {e[1] for e in edges}
    people = Person.objects.in_bulk(list(person_ids))
    homes = {
        r.person_id: r.address
        for r in Residence.objects.filter(person_id__in=list(person_ids), current=True).select_related(
            "address"
        )
    }
    address_ids = {a.pk for a in homes.values()} | {i.address_id for i in incidents if i.address_id}
    flags_on_person: defaultdict[uuid.UUID, list[Flag]] = defaultdict(list)
    flags_on_address: defaultdict[uuid.UUID, list[Flag]] = defaultdict(list)
    wanted = ("id", "subject_person", "subject_address", "category", "group", "severity", "created_at")
    for flag in Flag.objects.in_force(now).about(person_ids, address_ids).only(*wanted):
        if flag.subject_person_id is not None:
            flags_on_person[flag.subject_person_id].append(flag)
        elif flag.subject_address_id is not None:
            flags_on_address[flag.subject_address_id].append(flag)
    return _Pictures(dict(subjects), edges, people, homes, flags_on_person, flags_on_address)


def _highest_flag(incident: Incident, pictures: _Pictures) -> tuple[dict[str, Any] | None, list[uuid.UUID]]:
    """(the highest flag in force in the incident's picture as the board shows it, or None; the people
    its label names). Ties: officer safety first, then the newest (flag_sort_key)."""
    reached = pictures.reached(incident.pk)
    addresses: dict[uuid.UUID, Address] = {
        home.pk: home for pid in reached if (home := pictures.homes.get(pid)) is not None
    }
    if incident.address is not None:
        addresses[incident.address.pk] = incident.address
    candidates = [f for pid in reached for f in pictures.flags_on_person.get(pid, [])]
    candidates += [f for aid in addresses for f in pictures.flags_on_address.get(aid, [])]
    if not candidates:
        return None, []
    flag = min(candidates, key=lambda f: (-SEVERITY_RANK[f.severity], flag_sort_key(f)))
    named: list[uuid.UUID] = []
    if flag.subject_person_id is not None:
        label, named = _person_label(flag.subject_person_id, reached, pictures.people)
    else:  # on an address (a flag is on exactly one of the two)
        label = address_line(address_row(addresses[cast(uuid.UUID, flag.subject_address_id)]))
    return {
        "id": str(flag.pk),
        "category": flag.category,
        "category_label": category_label(flag.category),
        "severity": flag.severity,
        "severity_label": severity_label(flag.severity),
        "group": flag.group,
        "subject_label": label,
    }, named


def _person_label(
    person_id: uuid.UUID, reached: Reached[uuid.UUID], people: Mapping[uuid.UUID, Person]
) -> tuple[str, list[uuid.UUID]]:
    """'Dean Vale, father of the unborn child' for a linked person, the name alone for a subject; with
    the people the label names (the person, and the subject named as what they are linked to)."""
    if reached[person_id] is None:
        return person_label(person_row(people[person_id]), None), [person_id]
    path = path_to(person_id, reached)
    relation = relation_label(path, reached, lambda p: people[p].status, describe(people[path[0]]))
    return person_label(person_row(people[person_id]), relation), path


def _attendance(incident_ids: list[uuid.UUID], now: datetime) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """One query: each incident's agencies, by agency code, with whether each has let a time pass."""
    summary: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        Attendance.objects.filter(incident_id__in=incident_ids)
        .select_related("agency")
        .order_by("agency__code", "id")
    )
    for row in rows:
        overdue = (row.status == AttendanceStatus.REQUESTED and _past(row.respond_by, now)) or (
            row.status in COMING and _past(row.eta, now)
        )
        summary[row.incident_id].append(
            {
                "agency": agency_row(row.agency),
                "status": row.status,
                "status_label": str(AttendanceStatus(row.status).label),
                "eta": iso_datetime(row.eta),
                "respond_by": iso_datetime(row.respond_by),
                "overdue": overdue,
            }
        )
    return summary


def _past(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and deadline < now


def _decision_maker(incident: Incident) -> dict[str, Any] | None:
    appointment = incident.decision_maker
    if appointment is None:
        return None
    return {
        "user": user_row(appointment.user),
        "agency": agency_row(appointment.agency),
        "accepted": appointment.accepted_at is not None,
    }


def _age_minutes(opened_at: datetime, now: datetime) -> int:
    return max(0, int((now - opened_at).total_seconds() // 60))


def rows(incidents: Iterable[Incident], *, now: datetime) -> Board:
    """The board's rows for these incidents, read through `listing` (six queries, whatever their number:
    the pictures' five and the attendance)."""
    incidents = list(incidents)
    if not incidents:
        return Board(rows=[])
    pictures = _read_pictures(incidents, now)
    attendance = _attendance([i.pk for i in incidents], now)
    board = Board(rows=[])
    for incident in incidents:
        highest, named = _highest_flag(incident, pictures)
        board.person_ids.extend(named)
        agencies = attendance.get(incident.pk, [])
        address = incident.address
        decision_maker = _decision_maker(incident)
        board.rows.append(
            {
                "id": str(incident.pk),
                "reference": incident.reference,
                "kind": incident.kind,
                "status": incident.status,
                "summary": incident.summary,
                "address": address_row(address) if address is not None else None,
                "address_line": address_line(address_row(address))
                if address is not None
                else incident.location_text,
                "location_text": incident.location_text,
                "opened_at": iso_datetime(incident.opened_at),
                "age_minutes": _age_minutes(incident.opened_at, now),
                "opening_agency": agency_row(incident.opening_agency),
                "highest_flag": highest,
                "attendance_summary": agencies,
                "not_answered": [a["agency"]["code"] for a in agencies if a["status"] in NOT_ANSWERED],
                "decision_maker": decision_maker,
                "has_decision_maker": decision_maker is not None and decision_maker["accepted"],
                "open_escalations": getattr(incident, ESCALATIONS_KEY),
                "last_seq": incident.last_seq,
            }
        )
    return board
