"""Subject access: everything ooh holds about one person, for their request under the UK GDPR (article
15) and the Data Protection Act 2018, as JSON and as a PDF; and every access to their records from the
audit, as CP-IS shows a child's record who has looked at it.

Other people's details are never silently dropped nor silently disclosed: the father's name in the
mother's export, another subject of a shared incident, a note that names someone else. They are put in,
and every block that holds them is marked `"third_party": true`, with who (`third_party_people`, ids)
and why (`third_party_why`); the export lists all of them at the top (`third_party_people`) so the data
protection officer reviews and redacts before anything is released. A note is found to name someone
when it contains the full name, given name or alias of a person the export already holds (or their id);
a name ooh does not hold cannot be found, so free text is read by a person before release in any case.
Staff appear by name, as they acted in their professional role.

The shape (every value JSON: ISO 8601 datetimes with their offset, ids as strings):

    {
      "export": "subject_access", "version": 1,
      "generated_at": "...",
      "requested_by": {"id", "username", "name", "agency", "role"}   # or {"operator": true, "name"}
      "person": {every field of the person, "identifiers": [{"scheme", "scheme_label", "value"}]},
      "third_party_people": [{"id", "name", "why"}],          # everyone marked below, once
      "sections": {
        "addresses":   [residence: the address, current/since/until, flags held on the address],
        "links":       [relationship, ended ones too: kind, the statement in words, the other person],
        "flags":       [flag on the person: fields, effective status, "history": [every version]],
        "birth_plans": [plan where the person is the mother or the child: fields, key contacts,
                        "versions" (each as it was), "shares", "acknowledgements"],
        "incidents":   [incident the person is a subject of: fields, "subjects", "attendance",
                        "appointments", "decisions", "events" (the whole event log)],
        "concerns":    [concern the person is a subject of: fields, "subjects", "consultations",
                        "transfers", "referrals" (each with its "responses")],
        "dash_assessments":    [DASH risk checklists about the person],
        "prebirth_milestones": [pre-birth protocol milestones recorded for the person],
        "legal_holds":         [holds placed on the person's records],
        "accesses":    [every audit row that disclosed the person, oldest first: "id", "at", "who"
                        {name, username}, "agency", "role", "action", "record" (object type and ids),
                        "purpose" (the reason given, else the incident's reference), "reason",
                        "incident", "request_id"]
      },
      "counts": {section: number of entries}
    }

A block (one entry of a section, or a row nested in one) carries "title" (plain words), its fields, and
"third_party" (true or false), with "third_party_people" and "third_party_why" when true. A user named
in a field is {"id", "name", "username"}; an agency {"id", "name"}; a person {"id", "name"}.

Reading costs a fixed number of queries (about thirty) whatever the number of rows: each table is read
once for all the rows it holds for the person, and names (users, agencies, people) once at the end, so a
person read 200 times costs what a person read twice does.
"""

import datetime
import decimal
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q

from ooh.accounts.models import Agency, Role, User
from ooh.audit.models import AccessLog
from ooh.flags.models import Flag, FlagVersion
from ooh.incidents.models import (
    Appointment,
    Attendance,
    Decision,
    Event,
    Incident,
    IncidentSubject,
)
from ooh.people.models import Person, PersonIdentifier, Relationship, Residence
from ooh.plans.models import Acknowledgement, BirthPlan, BirthPlanVersion, KeyContact, PlanShare
from ooh.referrals.models import (
    Concern,
    ConcernSubject,
    ConcernTransfer,
    Consultation,
    DashAssessment,
    MilestoneRecord,
    Referral,
    ReferralResponse,
)

from .models import HoldScope, LegalHold

JSON = dict[str, Any]

EXPORT_VERSION = 1
THIRD_PARTY_LABEL = "THIRD-PARTY DATA — review before release"

# Fields that are ooh's own bookkeeping, not information about anyone: left out of every block.
_BOOKKEEPING = frozenset({"search_text", "last_seq"})


def _plain(value: Any) -> Any:
    """A stored value as JSON: datetimes and dates in ISO 8601, ids and decimals as strings."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def words(code: str) -> str:
    """ "mother_of" -> "mother of"."""
    return code.replace("_", " ")


# --- Names: every user, agency and person a block names, read once ----------------------------------


@dataclass
class Names:
    """The users, agencies and people the export names, by id, each table read once."""

    users: dict[Any, User] = field(default_factory=dict)
    agencies: dict[Any, Agency] = field(default_factory=dict)
    people: dict[Any, Person] = field(default_factory=dict)

    @classmethod
    def of(
        cls, rows: Iterable[models.Model], *, user_ids: Iterable[Any] = (), people: Iterable[Person] = ()
    ) -> "Names":
        """Names for every foreign key to a user, an agency or a person in `rows` (three queries)."""
        wanted: dict[type[models.Model], set[Any]] = {User: set(user_ids), Agency: set(), Person: set()}
        known_people = {p.pk: p for p in people}
        for row in rows:
            for f in row._meta.concrete_fields:
                target = f.related_model if f.is_relation else None
                if target in wanted and (value := getattr(row, f.attname)) is not None:
                    wanted[target].add(value)  # type: ignore[index]
        wanted[Person] -= set(known_people)
        names = cls()
        if wanted[User]:
            names.users = {
                u.pk: u for u in User.objects.filter(pk__in=wanted[User]).select_related("membership__agency")
            }
        if wanted[Agency]:
            names.agencies = {a.pk: a for a in Agency.objects.filter(pk__in=wanted[Agency])}
        names.people = dict(known_people)
        if wanted[Person]:
            names.people |= {p.pk: p for p in Person.objects.filter(pk__in=wanted[Person])}
        return names

    def user(self, user_id: Any) -> JSON | None:
        if user_id is None:
            return None
        user = self.users.get(user_id)
        if user is None:
            return {"id": str(user_id), "name": "(a user no longer held)", "username": ""}
        return {"id": str(user.pk), "name": str(user), "username": user.username}

    def agency(self, agency_id: Any) -> JSON | None:
        if agency_id is None:
            return None
        agency = self.agencies.get(agency_id)
        return {"id": str(agency_id), "name": agency.name if agency else "(an agency no longer held)"}

    def person(self, person_id: Any) -> JSON | None:
        if person_id is None:
            return None
        person = self.people.get(person_id)
        return {"id": str(person_id), "name": _name(person) if person else "(a person no longer held)"}

    def row(self, obj: models.Model, *, skip: Iterable[str] = ()) -> JSON:
        """Every field of the row: foreign keys to users, agencies and people named, others as ids."""
        skipped = _BOOKKEEPING | set(skip)
        out: JSON = {}
        for f in obj._meta.concrete_fields:
            if f.name in skipped:
                continue
            value = getattr(obj, f.attname)
            if f.is_relation:
                target = f.related_model
                if target is User:
                    out[f.name] = self.user(value)
                elif target is Agency:
                    out[f.name] = self.agency(value)
                elif target is Person:
                    out[f.name] = self.person(value)
                else:
                    out[f.name] = _plain(value)
            else:
                out[f.name] = _plain(value)
        return out


def _name(person: Person) -> str:
    """How the export names a person; a baby not yet named by the family name, so a reader knows who."""
    if person.given_name:
        return person.full_name
    if person.status == "unborn":
        return f"Unborn child {person.family_name}".strip()
    return f"{person.family_name} (no given name recorded)" if person.family_name else "(no name recorded)"


# --- Third parties ----------------------------------------------------------------------------------


@dataclass
class ThirdParties:
    """The people other than the subject that the export holds, how to find them in free text, and why
    each is in the export."""

    subject_id: uuid.UUID
    people: dict[Any, Person] = field(default_factory=dict)
    why: dict[str, list[str]] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = None
    _by_token: dict[str, str] = field(default_factory=dict)

    def know(self, people: Iterable[Person]) -> None:
        """People the export holds besides the subject, so a note naming them is found."""
        for person in people:
            if person.pk != self.subject_id:
                self.people[person.pk] = person
        tokens: dict[str, str] = {}
        for person in self.people.values():
            pid = str(person.pk)
            tokens[pid.lower()] = pid
            names = [person.full_name if " " in person.full_name else "", person.given_name, *person.aliases]
            for name in names:
                if isinstance(name, str) and len(name.strip()) >= 3:
                    tokens[name.strip().lower()] = pid
        self._by_token = tokens
        if tokens:
            alternatives = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def named_in(self, value: Any) -> tuple[set[str], bool]:
        """Ids of the third parties a value names (by name or id), searched through nested values; and
        whether it holds a part already marked third-party (which is not searched again)."""
        found: set[str] = set()
        holds_marked = False
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str) and self._pattern is not None:
                found |= {self._by_token[m.group(0).lower()] for m in self._pattern.finditer(item)}
            elif isinstance(item, Mapping):
                if item is not value and "third_party" in item:
                    holds_marked = holds_marked or bool(item["third_party"])
                    continue
                stack.extend(v for k, v in item.items() if not str(k).startswith("third_party"))
            elif isinstance(item, list | tuple):
                stack.extend(item)
        return found, holds_marked

    def mark(self, block: JSON, *, people: Mapping[str, str] = {}, reasons: Sequence[str] = ()) -> JSON:
        """Mark the block: the third parties given (id -> why), those its values name, and reasons that
        are not a person ooh holds (names of people excluded from a ward, answers about an abuser)."""
        found = dict(people)
        named, holds_marked = self.named_in(block)
        for pid in named - set(found):
            found[pid] = f"named in {block.get('title', 'a record')}"
        found.pop(str(self.subject_id), None)
        for pid, why in found.items():
            self.why.setdefault(pid, [])
            if why not in self.why[pid]:
                self.why[pid].append(why)
        reasons = [*reasons, *(["parts of it below are third-party data"] if holds_marked else [])]
        block["third_party"] = bool(found or reasons)
        if block["third_party"]:
            block["third_party_people"] = sorted(found)
            block["third_party_why"] = [
                *(f"{self._name(pid)}: {why}" for pid, why in found.items()),
                *reasons,
            ]
        return block

    def _name(self, pid: str) -> str:
        person = self.people.get(uuid.UUID(pid))
        return _name(person) if person else pid

    def listed(self) -> list[JSON]:
        return [
            {"id": pid, "name": self._name(pid), "why": "; ".join(whys)}
            for pid, whys in sorted(self.why.items(), key=lambda pair: self._name(pair[0]))
        ]


# --- What is held: read once per table --------------------------------------------------------------


@dataclass
class Held:
    """Every row held about the person, read once per table (the sections are written from these)."""

    identifiers: list[PersonIdentifier]
    residences: list[Residence]
    address_flags: list[Flag]
    links: list[Relationship]
    flags: list[Flag]
    flag_versions: list[FlagVersion]
    plans: list[BirthPlan]
    key_contacts: list[KeyContact]
    plan_versions: list[BirthPlanVersion]
    shares: list[PlanShare]
    acknowledgements: list[Acknowledgement]
    incidents: list[Incident]
    incident_subjects: list[IncidentSubject]
    attendance: list[Attendance]
    appointments: list[Appointment]
    decisions: list[Decision]
    events: list[Event]
    concerns: list[Concern]
    concern_subjects: list[ConcernSubject]
    consultations: list[Consultation]
    transfers: list[ConcernTransfer]
    referrals: list[Referral]
    responses: list[ReferralResponse]
    dash: list[DashAssessment]
    milestones: list[MilestoneRecord]
    holds: list[LegalHold]
    accesses: list[AccessLog]
    access_incident_references: dict[Any, str]

    def rows(self) -> Iterable[models.Model]:
        for value in vars(self).values():
            if isinstance(value, list):
                yield from value


def _read(person: Person) -> Held:
    """One query per table (fewer when a table has nothing to read for the person)."""
    residences = list(
        Residence.objects.filter(person=person).select_related("address").order_by("-current", "-since")
    )
    address_ids = [r.address_id for r in residences]
    flags = list(Flag.objects.filter(subject_person=person).order_by("created_at"))
    address_flags = list(Flag.objects.filter(subject_address_id__in=address_ids).order_by("created_at"))
    plans = list(BirthPlan.objects.filter(Q(mother=person) | Q(unborn_child=person)).order_by("created_at"))
    plan_ids = [p.pk for p in plans]
    incidents = list(Incident.objects.filter(subjects__person=person).distinct().order_by("opened_at"))
    incident_ids = [i.pk for i in incidents]
    concerns = list(Concern.objects.filter(subjects__person=person).distinct().order_by("created_at"))
    concern_ids = [c.pk for c in concerns]
    referrals = list(Referral.objects.filter(concern_id__in=concern_ids).order_by("made_at"))
    accesses = list(AccessLog.objects.filter(people__person_id=person.pk).order_by("at", "chain_seq"))
    held_references = {i.pk: i.reference for i in incidents}
    other_incidents = {a.incident_id for a in accesses if a.incident_id} - set(held_references)
    return Held(
        identifiers=list(PersonIdentifier.objects.filter(person=person).order_by("scheme", "value")),
        residences=residences,
        address_flags=address_flags,
        links=list(
            Relationship.objects.filter(Q(from_person=person) | Q(to_person=person)).order_by("created_at")
        ),
        flags=flags,
        flag_versions=list(
            FlagVersion.objects.filter(flag_id__in=[f.pk for f in flags + address_flags]).order_by(
                "flag", "version"
            )
        ),
        plans=plans,
        key_contacts=list(KeyContact.objects.filter(plan_id__in=plan_ids).order_by("id")),
        plan_versions=list(BirthPlanVersion.objects.filter(plan_id__in=plan_ids).order_by("plan", "version")),
        shares=list(PlanShare.objects.filter(plan_id__in=plan_ids).order_by("shared_at")),
        acknowledgements=list(Acknowledgement.objects.filter(plan_id__in=plan_ids).order_by("at")),
        incidents=incidents,
        incident_subjects=list(
            IncidentSubject.objects.filter(incident_id__in=incident_ids).order_by("added_at", "id")
        ),
        attendance=list(
            Attendance.objects.filter(incident_id__in=incident_ids).order_by("requested_at", "updated_at")
        ),
        appointments=list(Appointment.objects.filter(incident_id__in=incident_ids).order_by("at")),
        decisions=list(Decision.objects.filter(incident_id__in=incident_ids).order_by("at")),
        events=list(Event.objects.filter(incident_id__in=incident_ids).order_by("incident", "seq")),
        concerns=concerns,
        concern_subjects=list(ConcernSubject.objects.filter(concern_id__in=concern_ids).order_by("id")),
        consultations=list(Consultation.objects.filter(concern_id__in=concern_ids).order_by("at")),
        transfers=list(ConcernTransfer.objects.filter(concern_id__in=concern_ids).order_by("requested_at")),
        referrals=referrals,
        responses=list(
            ReferralResponse.objects.filter(referral_id__in=[r.pk for r in referrals]).order_by("at")
        ),
        dash=list(DashAssessment.objects.filter(person=person).order_by("at")),
        milestones=list(MilestoneRecord.objects.filter(person=person).order_by("met_on")),
        holds=list(
            LegalHold.objects.filter(scope=HoldScope.PERSON, target_id=person.pk).order_by("placed_at")
        ),
        accesses=accesses,
        access_incident_references=held_references
        | dict(Incident.objects.filter(pk__in=other_incidents).values_list("pk", "reference")),
    )


def _by(rows: Iterable[Any], key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


# --- Sections ---------------------------------------------------------------------------------------


@dataclass
class _Writer:
    person: Person
    held: Held
    names: Names
    third: ThirdParties
    now: datetime.datetime

    def block(self, title: str, obj: models.Model, *, skip: Iterable[str] = ()) -> JSON:
        return {"title": title, **self.names.row(obj, skip=skip)}

    def person_block(self) -> JSON:
        out = self.names.row(self.person)
        out["name"] = _name(self.person)
        out["identifiers"] = [
            {"scheme": i.scheme, "scheme_label": i.get_scheme_display(), "value": i.value}
            for i in self.held.identifiers
        ]
        return out

    def flag(self, flag: Flag, versions: Sequence[FlagVersion]) -> JSON:
        block = self.block(f"Flag: {flag.get_category_display()} ({flag.get_severity_display()})", flag)
        block["effective_status"] = flag.effective_status(self.now)
        block["history"] = [
            self.third.mark(
                {
                    "title": f"Version {v.version} ({v.change})",
                    "version": v.version,
                    "change": v.change,
                    "changed_at": _plain(v.changed_at),
                    "changed_by": self.names.user(v.changed_by_id),
                    "snapshot": _plain(v.snapshot),
                }
            )
            for v in versions
        ]
        return block

    def addresses(self) -> list[JSON]:
        flags_by_address = _by(self.held.address_flags, "subject_address_id")
        versions = _by(self.held.flag_versions, "flag_id")
        out = []
        for residence in self.held.residences:
            address = residence.address
            block = {
                "title": f"{'Address' if residence.current else 'Past address'}: {address}",
                **self.names.row(address),
                "current": residence.current,
                "since": _plain(residence.since),
                "until": _plain(residence.until),
                "recorded_at": _plain(residence.created_at),
                "flags_on_the_address": [
                    self.third.mark(
                        self.flag(f, versions.get(f.pk, [])),
                        reasons=["a flag on the address: it may be about others who live there"],
                    )
                    for f in flags_by_address.get(address.pk, [])
                ],
            }
            out.append(self.third.mark(block))
        return out

    def links(self) -> list[JSON]:
        out = []
        for link in self.held.links:
            outgoing = link.from_person_id == self.person.pk
            other_id = link.to_person_id if outgoing else link.from_person_id
            other = self.names.people.get(other_id)
            from_name = _name(self.person) if outgoing else (_name(other) if other else "someone")
            to_name = (_name(other) if other else "someone") if outgoing else _name(self.person)
            statement = f"{from_name} is {words(link.kind)} {to_name}"
            block = self.block(f"Link: {statement}{' (ended)' if link.ended_at else ''}", link)
            block["statement"] = statement
            block["ended"] = link.ended_at is not None
            block["other_person"] = _person_details(other) if other else {"id": str(other_id)}
            why = f"linked ({statement})"
            out.append(self.third.mark(block, people={str(other_id): why}))
        return out

    def flags(self) -> list[JSON]:
        versions = _by(self.held.flag_versions, "flag_id")
        return [self.third.mark(self.flag(f, versions.get(f.pk, []))) for f in self.held.flags]

    def birth_plans(self) -> list[JSON]:
        contacts = _by(self.held.key_contacts, "plan_id")
        versions = _by(self.held.plan_versions, "plan_id")
        shares = _by(self.held.shares, "plan_id")
        acks = _by(self.held.acknowledgements, "plan_id")
        out = []
        for plan in self.held.plans:
            as_mother = plan.mother_id == self.person.pk
            other_id = plan.unborn_child_id if as_mother else plan.mother_id
            block = self.block(
                f"Birth plan, version {plan.version} ({plan.get_status_display()}), expected {plan.expected_date:%d %B %Y}",
                plan,
            )
            block["key_contacts"] = [
                self.block(f"Key contact: {c.name}", c, skip=["plan"]) for c in contacts.get(plan.pk, [])
            ]
            block["versions"] = [
                self.third.mark(
                    {
                        "title": f"Version {v.version} as written",
                        "version": v.version,
                        "created_at": _plain(v.created_at),
                        "author": self.names.user(v.author_id),
                        "snapshot": _plain(v.snapshot),
                    }
                )
                for v in versions.get(plan.pk, [])
            ]
            block["shares"] = [self.block("Shared", s, skip=["plan"]) for s in shares.get(plan.pk, [])]
            block["acknowledgements"] = [
                self.block(f"Read version {a.version}", a, skip=["plan"]) for a in acks.get(plan.pk, [])
            ]
            why = "the unborn child of the birth plan" if as_mother else "the mother of the birth plan"
            reasons = ["names people excluded from the ward"] if plan.people_excluded else []
            out.append(self.third.mark(block, people={str(other_id): why}, reasons=reasons))
        return out

    def incidents(self) -> list[JSON]:
        subjects = _by(self.held.incident_subjects, "incident_id")
        attendance = _by(self.held.attendance, "incident_id")
        appointments = _by(self.held.appointments, "incident_id")
        decisions = _by(self.held.decisions, "incident_id")
        events = _by(self.held.events, "incident_id")
        out = []
        for incident in self.held.incidents:
            others = {
                str(s.person_id): f"also a subject of incident {incident.reference}"
                for s in subjects.get(incident.pk, [])
                if s.person_id != self.person.pk
            }
            block = self.block(f"Incident {incident.reference}: {incident.get_kind_display()}", incident)
            block["subjects"] = [
                {
                    "person": self.names.person(s.person_id),
                    "added_at": _plain(s.added_at),
                    "added_by": self.names.user(s.added_by_id),
                    "third_party": s.person_id != self.person.pk,
                }
                for s in subjects.get(incident.pk, [])
            ]
            block["attendance"] = [
                self.third.mark(self.block(f"Attendance: {a.get_status_display()}", a, skip=["incident"]))
                for a in attendance.get(incident.pk, [])
            ]
            block["appointments"] = [
                self.third.mark(self.block(f"Appointed {a.get_role_display().lower()}", a, skip=["incident"]))
                for a in appointments.get(incident.pk, [])
            ]
            block["decisions"] = [
                self.third.mark(self.block("Decision", d, skip=["incident"]))
                for d in decisions.get(incident.pk, [])
            ]
            block["events"] = [
                self.third.mark(
                    {
                        "title": f"#{e.seq} {words(e.type)}",
                        "seq": e.seq,
                        "type": e.type,
                        "at": _plain(e.at),
                        "actor": self.names.user(e.actor_id),
                        "data": _plain(e.data),
                    }
                )
                for e in events.get(incident.pk, [])
            ]
            out.append(self.third.mark(block, people=others))
        return out

    def concerns(self) -> list[JSON]:
        subjects = _by(self.held.concern_subjects, "concern_id")
        consultations = _by(self.held.consultations, "concern_id")
        transfers = _by(self.held.transfers, "concern_id")
        referrals = _by(self.held.referrals, "concern_id")
        responses = _by(self.held.responses, "referral_id")
        out = []
        for concern in self.held.concerns:
            others = {
                str(s.person_id): f"also a subject of concern {concern.reference}"
                for s in subjects.get(concern.pk, [])
                if s.person_id != self.person.pk
            }
            block = self.block(f"Concern {concern.reference}", concern)
            block["subjects"] = [
                {"person": self.names.person(s.person_id), "third_party": s.person_id != self.person.pk}
                for s in subjects.get(concern.pk, [])
            ]
            block["consultations"] = [
                self.third.mark(self.block("Consultation", c, skip=["concern"]))
                for c in consultations.get(concern.pk, [])
            ]
            block["transfers"] = [
                self.third.mark(self.block(f"Transfer ({t.status})", t, skip=["concern"]))
                for t in transfers.get(concern.pk, [])
            ]
            block["referrals"] = []
            for referral in referrals.get(concern.pk, []):
                entry = self.block(f"Referral {referral.reference}", referral, skip=["concern"])
                entry["responses"] = [
                    self.third.mark(self.block("Response", r, skip=["referral"]))
                    for r in responses.get(referral.pk, [])
                ]
                block["referrals"].append(self.third.mark(entry))
            out.append(self.third.mark(block, people=others))
        return out

    def dash_assessments(self) -> list[JSON]:
        return [
            self.third.mark(
                self.block(f"DASH risk checklist: {d.risk_level} risk, score {d.score}", d),
                reasons=["a DASH checklist's answers describe the person causing harm"],
            )
            for d in self.held.dash
        ]

    def milestones(self) -> list[JSON]:
        return [
            self.third.mark(self.block(f"Pre-birth milestone: {m.get_milestone_display()}", m))
            for m in self.held.milestones
        ]

    def legal_holds(self) -> list[JSON]:
        return [
            self.block(f"Legal hold ({'in force' if h.in_force else 'released'})", h) for h in self.held.holds
        ]

    def accesses(self) -> list[JSON]:
        references = self.held.access_incident_references
        out = []
        for log in self.held.accesses:
            user = self.names.users.get(log.user_id) if log.user_id else None
            incident = references.get(log.incident_id) if log.incident_id else None
            purpose = log.reason or (f"incident {incident}" if incident else "")
            who = str(user) if user else (log.username or "ooh itself")
            entry = self.third.mark(
                {
                    "title": f"{words(log.action).capitalize()} by {who}",
                    "id": str(log.pk),
                    "at": _plain(log.at),
                    "who": {
                        "id": str(log.user_id) if log.user_id else None,
                        "name": who,
                        "username": log.username,
                    },
                    "agency": self.names.agency(log.agency_id),
                    "role": _role_label(log.role),
                    "action": log.action,
                    "record": {"type": log.object_type, "ids": _plain(log.object_ids)},
                    "purpose": purpose,
                    "reason": log.reason,
                    "incident": {"id": str(log.incident_id), "reference": incident}
                    if log.incident_id
                    else None,
                    "request_id": log.request_id,
                }
            )
            out.append(entry)  # a stated purpose can name someone else: marked like any block
        return out


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _person_details(person: Person) -> JSON:
    """What the export says of another person: who they are, not everything held about them."""
    return {
        "id": str(person.pk),
        "name": _name(person),
        "date_of_birth": _plain(person.date_of_birth),
        "expected_date": _plain(person.expected_date),
        "status": person.status,
    }


def _requester(user: User | None) -> JSON:
    if user is None:
        return {"operator": True, "name": "the operator, on the server (manage.py subject_access)"}
    membership = getattr(user, "membership", None)
    return {
        "id": str(user.pk),
        "username": user.username,
        "name": str(user),
        "agency": membership.agency.name if membership else None,
        "role": _role_label(membership.role) if membership else None,
    }


def subject_access_export(person: Person, *, now: datetime.datetime, requested_by: User | None) -> JSON:
    """Everything held about `person`, other people's details marked for review (shape: module docstring).
    It writes nothing: the caller audits the export as a disclosure (write_subject_access, the API)."""
    held = _read(person)
    names = Names.of(held.rows(), user_ids=[a.user_id for a in held.accesses if a.user_id], people=[person])
    third = ThirdParties(subject_id=person.pk)
    third.know(p for pid, p in names.people.items() if pid != person.pk)
    writer = _Writer(person=person, held=held, names=names, third=third, now=now)
    sections = {
        "addresses": writer.addresses(),
        "links": writer.links(),
        "flags": writer.flags(),
        "birth_plans": writer.birth_plans(),
        "incidents": writer.incidents(),
        "concerns": writer.concerns(),
        "dash_assessments": writer.dash_assessments(),
        "prebirth_milestones": writer.milestones(),
        "legal_holds": writer.legal_holds(),
        "accesses": writer.accesses(),
    }
    return {
        "export": "subject_access",
        "version": EXPORT_VERSION,
        "generated_at": now.isoformat(),
        "requested_by": _requester(requested_by),
        "person": writer.person_block(),
        "third_party_people": third.listed(),
        "sections": sections,
        "counts": {name: len(rows) for name, rows in sections.items()},
    }
