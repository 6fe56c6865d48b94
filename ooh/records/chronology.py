"""The chronology of an incident or a concern, as a case review rebuilds it: everything that happened,
merged in time order, each in plain words, with the people and staff in it and the gaps found.

Beside the record's own history (chronology_incident.py, chronology_concern.py) every chronology tells:
the birth plans of its subjects (each version, each sharing, each reading; many before the night), the
escalations about it (raised, climbed, acknowledged, ended) and the notices they and its changes sent
(sent, delivered to a phone, read), and every access to its subjects' records from the audit (who, their
role and agency, why). Audit rows that only echo a change told from its own table (an event, a plan
version, a referral) are left out, and so are sign-ins and sign-outs.

Reading it costs a fixed number of queries (about twenty), however long the history: each source is
one query, or one with its prefetches, keyed by the ids the record gives.
"""

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from alerts.models import Escalation, Notification, PushStatus
from ooh.accounts.models import Agency, Role
from ooh.audit.models import AccessAction, AccessedPerson, AccessLog
from ooh.incidents.models import Incident, IncidentSubject
from ooh.plans.models import BirthPlan, PlanStatus
from ooh.referrals.models import Concern, ConcernSubject

from . import chronology_concern, chronology_incident
from .gaps import Found, unacknowledged
from .naming import (
    Family,
    Naming,
    clause,
    family_reference,
    load_family,
    load_staff,
    other_staff_names,
    sentence,
)
from .shapes import Chronology, Gap, Involved, Item

RULE_WORDS = {
    "attendance_not_answered": "request to attend not answered",
    "eta_overdue": "not arrived by the time given",
    "no_decision_maker": "no decision maker",
    "birth_plan_not_ready": "birth plan not ready",
    "flag_review_overdue": "flag review overdue",
    "concern_not_referred": "concern not referred",
    "referral_unallocated": "referral not allocated",
    "agency_response_overdue": "no response to a referral",
    "prebirth_milestone_missed": "pre-birth milestone missed",
}
NOT_ACCESSES = (AccessAction.LOGIN, AccessAction.LOGIN_FAILED, AccessAction.LOGOUT)
CHANGES = (AccessAction.CREATE, AccessAction.UPDATE)
# action -> (verb, kind)
ACCESS_WORDS: dict[str, tuple[str, str]] = {
    AccessAction.READ: ("viewed", "record.viewed"),
    AccessAction.SEARCH: ("searched and found", "record.searched"),
    AccessAction.EXPORT: ("exported", "record.exported"),
    AccessAction.CREATE: ("created", "record.created"),
    AccessAction.UPDATE: ("changed", "record.changed"),
    AccessAction.REVOKE: ("revoked", "record.revoked"),
    AccessAction.BREAK_GLASS: ("broke glass to see", "record.break_glass"),
    AccessAction.REFUSED: ("was refused", "record.refused"),
}
# What was accessed, with whose records ({people}) when the row names any.
OBJECT_WORDS = {
    "incident": ("the incident", "the incident about {people}"),
    "incident_events": ("the incident's events", "the incident's events about {people}"),
    "network": ("a linked picture", "the linked picture of {people}"),
    "person": ("a person's records", "the records of {people}"),
    "birth_plan": ("a birth plan", "the birth plan for {people}"),
    "flag": ("a flag", "a flag on {people}"),
    "flag_history": ("a flag's history", "the history of a flag on {people}"),
    "incident_chronology": ("the incident's chronology", "the incident's chronology about {people}"),
    "concern_chronology": ("the concern's chronology", "the concern's chronology about {people}"),
    "subject_access": ("everything held (subject access)", "everything held about {people} (subject access)"),
    "concern": ("a concern", "a concern about {people}"),
    "referral": ("a referral", "a referral about {people}"),
    "milestone": ("a pre-birth milestone", "the pre-birth milestones of {people}"),
    "dash_assessment": ("a DASH assessment", "a DASH assessment with {people}"),
    "relationship": ("a link between people", "a link between {people}"),
    "address": ("an address", "an address of {people}"),
    "break_glass": ("records, breaking glass", "the records of {people}, breaking glass"),
}
# On one moment: the record's own change first, then what the service did about it, then the reads.
SOURCE_RANK = {"escalation": 1, "notification": 2, "gap": 3, "audit": 4}


def person_ids_of(chronology_record: Incident | Concern) -> list[uuid.UUID]:
    """The people the record is about (its subjects), in the order they were added: one query."""
    if isinstance(chronology_record, Incident):
        rows = IncidentSubject.objects.filter(incident=chronology_record).order_by("added_at", "pk")
    else:
        rows = ConcernSubject.objects.filter(concern=chronology_record).order_by("pk")  # type: ignore[assignment]
    return list(rows.values_list("person_id", flat=True))


@dataclass(frozen=True)
class Around:
    """What every chronology reads beside its record's own rows."""

    escalations: list[Escalation]
    notifications: list[Notification]  # their deliveries prefetched
    plans: list[BirthPlan]  # versions, shares and readings prefetched
    audit: list[AccessLog]  # the people each names prefetched


def load_around(subjects: list[uuid.UUID], escalations: QuerySet[Escalation], notices: Q, audit: Q) -> Around:
    """Nine queries at most: escalations; notices and deliveries; plans and three prefetches; the
    audit rows about the subjects (or the record) and the people they name."""
    chains = list(escalations.order_by("rule", "subject_key", "level"))
    notifications = Notification.objects.filter(Q(escalation_id__in=[e.pk for e in chains]) | notices)
    plans = BirthPlan.objects.filter(Q(mother_id__in=subjects) | Q(unborn_child_id__in=subjects))
    named = AccessedPerson.objects.filter(person_id__in=subjects).values("log_id")
    return Around(
        escalations=chains,
        notifications=list(notifications.prefetch_related("deliveries").order_by("created_at", "pk")),
        plans=list(
            plans.prefetch_related("versions", "shares", "acknowledgements").order_by("created_at", "pk")
        ),
        audit=list(
            AccessLog.objects.filter(audit | Q(pk__in=named))
            .exclude(action__in=NOT_ACCESSES)
            .prefetch_related("people")
            .order_by("chain_seq")
        ),
    )


def _around_moments(around: Around) -> list[tuple[datetime.datetime, uuid.UUID | None]]:
    found: list[tuple[datetime.datetime, uuid.UUID | None]] = []
    for plan in around.plans:
        found += [(v.created_at, v.author_id) for v in plan.versions.all()]
        found += [(s.shared_at, s.shared_by_id) for s in plan.shares.all()]
        found += [(a.at, a.user_id) for a in plan.acknowledgements.all()]
    found += [(e.acknowledged_at, e.acknowledged_by_id) for e in around.escalations if e.acknowledged_at]
    found += [(n.created_at, n.user_id) for n in around.notifications]
    found += [(row.at, row.user_id) for row in around.audit]
    return found


def _around_agencies(around: Around) -> set[str]:
    ids = {str(row.agency_id) for row in around.audit if row.agency_id}
    for plan in around.plans:
        ids |= {str(s.agency_id) for s in plan.shares.all()} | {
            str(a.agency_id) for a in plan.acknowledgements.all()
        }
    return ids


def _words(rule: str) -> str:
    return RULE_WORDS.get(rule, rule.replace("_", " "))


def escalation_items(escalations: Sequence[Escalation], n: Naming) -> list[Item]:
    """Each level raised (the first) or climbed (the others); each chain's acknowledgement and end once."""
    items, told = [], set()
    for e in escalations:
        ids = {"escalation": str(e.pk)}
        if e.level == 1:
            words = f"Escalation raised ({_words(e.rule)}): {clause(n.text(e.message))}"
        else:
            words = f"Escalation climbed to level {e.level} ({_words(e.rule)}): nobody had acknowledged it"
        kind = "escalation.raised" if e.level == 1 else "escalation.climbed"
        items.append(Item(e.raised_at, kind, None, None, sentence(words), "escalation", ids))
        if e.acknowledged_at and ("ack", e.rule, e.subject_key) not in told:
            told.add(("ack", e.rule, e.subject_key))
            note = f": {clause(n.text(e.acknowledgement_note))}" if e.acknowledgement_note else ""
            who = n.user(e.acknowledged_by_id)
            words = f"{n.who(e.acknowledged_by_id)} acknowledged the escalation ({_words(e.rule)}){note}"
            agency = n.agency_of(e.acknowledged_by_id)
            items.append(
                Item(
                    e.acknowledged_at,
                    "escalation.acknowledged",
                    who,
                    agency,
                    sentence(words),
                    "escalation",
                    ids,
                )
            )
        if e.resolved_at and ("end", e.rule, e.subject_key) not in told:
            told.add(("end", e.rule, e.subject_key))
            words = f"The escalation ({_words(e.rule)}) ended: {clause(n.text(e.resolution)) or 'resolved'}"
            items.append(
                Item(e.resolved_at, "escalation.resolved", None, None, sentence(words), "escalation", ids)
            )
    return items


def notification_items(notifications: Sequence[Notification], n: Naming) -> list[Item]:
    """Notices sent (one item per notice and moment, naming everyone it went to), delivered to a phone,
    and read."""
    sent: dict[tuple[str, str, datetime.datetime], list[Notification]] = {}
    items = []
    for notice in notifications:
        sent.setdefault(
            (str(notice.escalation_id or notice.kind), notice.title, notice.created_at), []
        ).append(notice)
        title, ids = clause(n.text(notice.title)), {"notification": str(notice.pk)}
        who = n.user(notice.user_id)
        for push in notice.deliveries.all():
            if push.status == PushStatus.SENT:
                words = f"Notice delivered to the phone of {who}: {title}"
                items.append(
                    Item(
                        push.updated_at,
                        "notification.delivered",
                        None,
                        None,
                        sentence(words),
                        "notification",
                        ids,
                    )
                )
        if notice.read_at is not None:
            agency = n.agency_of(notice.user_id)
            items.append(
                Item(
                    notice.read_at,
                    "notification.read",
                    who,
                    agency,
                    sentence(f"{who} read the notice: {title}"),
                    "notification",
                    ids,
                )
            )
    for (_key, title, at), notices in sent.items():
        words = f"Notice sent to {n.users(x.user_id for x in notices)}: {clause(n.text(title))}"
        ids = {"notification": ",".join(str(x.pk) for x in notices)}
        items.append(Item(at, "notification.sent", None, None, sentence(words), "notification", ids))
    return items


def plan_items(plans: Sequence[BirthPlan], n: Naming) -> list[Item]:
    """Each version of each plan (drafted, agreed and in force, revised, closed), each sharing with
    agencies, each agency's reading of a version."""
    items = []
    for plan in plans:
        what, ids = f"the birth plan for {n.person(plan.unborn_child_id)}", {"plan": str(plan.pk)}
        previous = None
        for v in sorted(plan.versions.all(), key=lambda v: v.version):
            status = v.snapshot.get("status")
            if v.version == 1:
                verb = "drafted"
            elif status == PlanStatus.ACTIVE and previous != PlanStatus.ACTIVE:
                verb = "agreed and put in force"
            elif status == PlanStatus.CLOSED and previous != PlanStatus.CLOSED:
                verb = "closed"
            else:
                verb = "revised"
            previous, who = status, n.user(v.author_id)
            words = f"{n.who(v.author_id)} {verb} {what} (version {v.version})"
            items.append(
                Item(
                    v.created_at,
                    "plan.version",
                    who,
                    n.agency_of(v.author_id),
                    sentence(words),
                    "plan",
                    ids | {"version": str(v.version)},
                )
            )
        shares: dict[tuple[uuid.UUID, datetime.datetime], list[str]] = {}
        for share in plan.shares.all():
            shares.setdefault((share.shared_by_id, share.shared_at), []).append(n.agency(share.agency_id))
        for (by, at), agencies in shares.items():
            words = f"{n.user(by)} shared {what} with {_and(sorted(agencies))}"
            items.append(Item(at, "plan.shared", n.user(by), n.agency_of(by), sentence(words), "plan", ids))
        for read in plan.acknowledgements.all():
            who = n.user(read.user_id)
            words = (
                f"{n.who(read.user_id)} read version {read.version} of {what} for {n.agency(read.agency_id)}"
            )
            items.append(
                Item(
                    read.at,
                    "plan.acknowledged",
                    who,
                    n.agency(read.agency_id),
                    sentence(words),
                    "plan",
                    ids | {"version": str(read.version)},
                )
            )
    return items


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass(frozen=True)
class Record:
    """The record a chronology is of, as the audit items speak of it."""

    incident_id: uuid.UUID | None
    told: set[tuple[str, str]]  # (object type, id) of the rows told from their own tables
    incidents: dict[str, str]  # other incidents named in the audit: id -> reference


def _purpose(row: AccessLog, record: Record, n: Naming) -> str:
    if row.reason:
        return f" for: {clause(n.text(row.reason))}"
    if row.incident_id is None:
        return ""
    if row.incident_id == record.incident_id:
        return " for this incident"
    if n.pseudonymise:
        return " for another incident"
    return f" for incident {record.incidents.get(str(row.incident_id), 'since removed')}"


def _accessed(row: AccessLog, n: Naming) -> str:
    """'the records of Kerry Vale': what the row says was accessed, and whose."""
    alone, whose = OBJECT_WORDS.get(row.object_type, (row.object_type.replace("_", " "), ""))
    people = [p.person_id for p in row.people.all()]
    if not people:
        return alone
    return (whose or f"{alone} about {{people}}").format(people=n.people(people))


def audit_items(rows: Iterable[AccessLog], record: Record, n: Naming) -> list[Item]:
    """Each access to the subjects' records (or the record): who, in which role and agency, what,
    whose, why."""
    items = []
    for row in rows:
        if row.action in CHANGES and {(row.object_type, str(i)) for i in row.object_ids} & record.told:
            continue  # a change told from its own table
        verb, kind = ACCESS_WORDS.get(row.action, (row.action, f"record.{row.action}"))
        agency = n.agency(row.agency_id) if row.agency_id else None
        if row.user_id is None:
            who = "Someone not signed in" if n.pseudonymise or not row.username else row.username
        elif n.pseudonymise:
            who = n.user(row.user_id)
        else:
            role = str(Role(row.role).label).lower() if row.role in Role.values else "no role"
            who = f"{n.user(row.user_id)} ({', '.join(p for p in (role, agency) if p)})"
        words = f"{who} {verb} {_accessed(row, n)}{_purpose(row, record, n)}"
        actor = n.user(row.user_id) if row.user_id else None
        items.append(Item(row.at, kind, actor, agency, sentence(words), "audit", {"audit": str(row.pk)}))
    return items


def _gap_item(found: Found) -> Item:
    return Item(found.due, found.kind, None, found.agency, sentence(found.gap.summary), "gap", {})


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def _in_order(items: Iterable[Item], now: datetime.datetime, pseudonymise: bool) -> list[Item]:
    """By time; on one moment by source, then as each source listed them (a stable sort). Nothing after
    `now`; every time in UTC; pseudonymised, without the rows' ids."""
    kept = sorted((i for i in items if i.at <= now), key=lambda i: (i.at, SOURCE_RANK.get(i.source, 0)))
    return [
        Item(_utc(i.at), i.kind, i.actor, i.agency, i.summary, i.source, {} if pseudonymise else i.ids)
        for i in kept
    ]


def _gaps(found: Iterable[Found]) -> list[Gap]:
    """By when each wait began, every time in UTC."""
    return [
        Gap(_utc(f.gap.start), _utc(f.gap.end) if f.gap.end else None, f.gap.minutes, f.gap.summary)
        for f in sorted(found, key=lambda f: (f.gap.start, f.due))
    ]


def _naming(
    *,
    pseudonymise: bool,
    family: Family,
    moments: Iterable[tuple[datetime.datetime, uuid.UUID | None]],
    agency_ids: set[str],
    references: dict[str, str],
    family_ref: str,
    now: datetime.datetime,
) -> Naming:
    """Two queries: the staff named, and the agencies named. Staff in order of first appearance; at the
    same moment, in the order the moments were read (a stable sort: ids would order them at random)."""
    order = [user for _at, user in sorted((m for m in moments if m[1] is not None), key=lambda m: m[0])]
    return Naming(
        pseudonymise=pseudonymise,
        family=family,
        staff=load_staff(u for u in order if u is not None),
        staff_order=[u for u in order if u is not None],
        agencies=dict(Agency.objects.filter(pk__in=sorted(agency_ids)).values_list("pk", "name")),
        references=references,
        family_ref=family_ref,
        today=now.date(),
        other_staff=other_staff_names() if pseudonymise else (),
    )


def _people(n: Naming, what: str) -> list[Involved]:
    return [Involved(n.person(p), n.relation(p) or f"subject of the {what}") for p in n.family.subjects]


def _staff(n: Naming) -> list[Involved]:
    members = [(uid, n.staff[uid]) for uid in n.staff_order]
    return [
        Involved(
            n.user(uid), f"{member.role}, {member.agency}" if member.agency else member.role, member.agency
        )
        for uid, member in members
    ]


def _other_incidents(audit: Iterable[AccessLog], this: uuid.UUID | None) -> dict[str, str]:
    """The references of other incidents the audit rows were read for (one query, if any)."""
    ids = {row.incident_id for row in audit if row.incident_id and row.incident_id != this}
    if not ids:
        return {}
    return {str(pk): ref for pk, ref in Incident.objects.filter(pk__in=ids).values_list("pk", "reference")}


def _chains(escalations: Iterable[Escalation]) -> list[list[Escalation]]:
    chains: dict[tuple[str, str], list[Escalation]] = {}
    for e in escalations:
        chains.setdefault((e.rule, e.subject_key), []).append(e)
    return [sorted(chain, key=lambda e: e.level) for chain in chains.values()]


def _plans_told(around: Around) -> set[tuple[str, str]]:
    return {("birth_plan", str(plan.pk)) for plan in around.plans}


def _chronology(
    *, record: str, row_id: uuid.UUID, reference: str, title: str, opened_at: datetime.datetime,
    closed_at: datetime.datetime | None, now: datetime.datetime, n: Naming, items: list[Item], found: list[Found],
) -> Chronology:  # fmt: skip
    return Chronology(
        record=record,
        id="" if n.pseudonymise else str(row_id),
        reference=n.family_ref if n.pseudonymise else reference,
        title=title,
        opened_at=_utc(opened_at),
        closed_at=_utc(closed_at) if closed_at else None,
        generated_at=_utc(now),
        pseudonymised=n.pseudonymise,
        people=_people(n, record),
        staff=_staff(n),
        items=_in_order([*items, *(_gap_item(f) for f in found)], now, n.pseudonymise),
        gaps=_gaps(found),
        person_ids=tuple(str(p) for p in n.family.people),
    )


def incident_chronology(
    incident: Incident, *, now: datetime.datetime, pseudonymise: bool = False
) -> Chronology:
    """Everything that happened about an incident, its family's birth plans (from before the night)
    and every access to its subjects' records, in time order, with the gaps found."""
    subjects = person_ids_of(incident)
    family = load_family(subjects, [incident.address_id] if incident.address_id else [])
    events = chronology_incident.load_events(incident)
    around = load_around(
        subjects,
        Escalation.objects.filter(incident=incident),
        Q(data__incident=str(incident.pk)),
        Q(incident_id=incident.pk),
    )
    dash = chronology_concern.load_dash(incident_id=incident.pk)
    others = _other_incidents(around.audit, incident.pk)
    n = _naming(
        pseudonymise=pseudonymise,
        family=family,
        moments=[(incident.opened_at, incident.opened_by_id), *chronology_incident.user_moments(events),
                 *_around_moments(around), *((d.at, d.assessor_id) for d in dash)],
        agency_ids=chronology_incident.agency_ids(incident, events) | _around_agencies(around)
        | {str(d.agency_id) for d in dash},
        references={incident.reference: "the incident", **{ref: "another incident" for ref in others.values()}},
        family_ref=family_reference("incident", incident.pk),
        now=now,
    )  # fmt: skip
    told = (
        {("incident", str(incident.pk))}
        | _plans_told(around)
        | {("dash_assessment", str(d.pk)) for d in dash}
    )
    items = [
        *chronology_incident.event_items(incident, events, n),
        *plan_items(around.plans, n),
        *escalation_items(around.escalations, n),
        *notification_items(around.notifications, n),
        *chronology_concern.dash_items(dash, n),
        *audit_items(around.audit, Record(incident.pk, told, others), n),
    ]
    found = [
        *chronology_incident.incident_gaps(incident, events, n, now),
        *unacknowledged(_chains(around.escalations), RULE_WORDS, now),
    ]
    what = f"Incident concerning {n.family_ref}" if pseudonymise else f"Incident {incident.reference}"
    return _chronology(
        record="incident", row_id=incident.pk, reference=incident.reference,
        title=f"{what}: {clause(n.text(incident.summary))}", opened_at=incident.opened_at,
        closed_at=incident.closed_at, now=now, n=n, items=items, found=found,
    )  # fmt: skip


def concern_chronology(concern: Concern, *, now: datetime.datetime, pseudonymise: bool = False) -> Chronology:
    """Everything that happened about a concern and its referrals, the pre-birth milestones and DASH
    assessments of its subjects, the escalations about it (its referrals' and its babies' pre-birth
    protocol's included), its subjects' birth plans and every access to their records."""
    subjects = person_ids_of(concern)
    family = load_family(subjects)
    rows = chronology_concern.load(concern, subjects, now)
    keys = [f"concern:{concern.pk}", *(f"referral:{r.pk}" for r in rows.referrals)]
    prebirth = Q()
    for subject in subjects:  # alerts/prebirth_rules.py: prebirth:<baby>:<milestone>
        prebirth |= Q(subject_key__startswith=f"prebirth:{subject}:")
    around = load_around(
        subjects,
        Escalation.objects.filter(Q(subject_key__in=keys) | prebirth),
        Q(data__concern=str(concern.pk)),
        Q(pk__in=[]),
    )
    others = _other_incidents(around.audit, None)
    references = {concern.reference: "the concern", **{ref: "another incident" for ref in others.values()}}
    references |= {r.reference: f"R{index}" for index, r in enumerate(rows.referrals, start=1)}
    n = _naming(
        pseudonymise=pseudonymise,
        family=family,
        moments=[*chronology_concern.user_moments(concern, rows), *_around_moments(around)],
        agency_ids=chronology_concern.agency_ids(concern, rows) | _around_agencies(around)
        | {str(d.agency_id) for d in rows.dash},
        references=references,
        family_ref=family_reference("concern", concern.pk),
        now=now,
    )  # fmt: skip
    told = {("concern", str(concern.pk))} | _plans_told(around)
    told |= {("referral", str(r.pk)) for r in rows.referrals} | {
        ("milestone", str(m.pk)) for m in rows.milestones
    }
    told |= {("dash_assessment", str(d.pk)) for d in rows.dash}
    items = [
        *chronology_concern.concern_items(concern, rows, n),
        *plan_items(around.plans, n),
        *escalation_items(around.escalations, n),
        *notification_items(around.notifications, n),
        *audit_items(around.audit, Record(None, told, others), n),
    ]
    found = [
        *chronology_concern.concern_gaps(concern, rows, n, now),
        *unacknowledged(_chains(around.escalations), RULE_WORDS, now),
    ]
    what = f"Concern about {n.family_ref}" if pseudonymise else f"Concern {concern.reference}"
    return _chronology(
        record="concern", row_id=concern.pk, reference=concern.reference,
        title=f"{what}: {clause(n.text(concern.summary))}", opened_at=concern.created_at,
        closed_at=concern.closed_at, now=now, n=n, items=items, found=found,
    )  # fmt: skip
