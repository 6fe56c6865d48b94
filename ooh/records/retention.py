"""Retention: which records are past their period under the schedule (schedule.py), and disposing of
them, each in a transaction of its own, leaving a tombstone and an audit row.

`due_records(today)` lists what is due, in a fixed number of queries whatever the size of the database
(the closed incidents and concerns with their subjects, the safeguarding markers, the births, the
holds, the people with nothing else held). `apply_retention(today=...)` disposes of what is due and not
held; `dispose(due, ...)` disposes of one record and refuses a held one with Conflict (409), removing
nothing. The audit log is never disposed of (its tables refuse UPDATE and DELETE on PostgreSQL, and
AppendOnlyModel everywhere): the chain still verifies after a run, and the rows that named a disposed
record still name its id, which its tombstone explains.
"""

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from alerts.models import Escalation, Notification
from ooh.accounts.models import Agency
from ooh.audit.models import AccessAction, AccessedPerson, AppendOnlyError, AppendOnlyModel
from ooh.audit.records import record_access
from ooh.errors import Conflict
from ooh.flags.models import Flag, FlagCategory
from ooh.incidents.models import Event, Incident, IncidentStatus, IncidentSubject
from ooh.people.models import Person, PersonIdentifier, Relationship, Residence
from ooh.plans.models import BirthPlan, ChildProtectionStatus, LegalStatus
from ooh.referrals.models import (
    Concern,
    ConcernStatus,
    ConcernSubject,
    ConcernTransfer,
    Consultation,
    DashAssessment,
    MilestoneRecord,
    Referral,
    ReferralOutcome,
    ReferralResponse,
)

from . import schedule
from .holds import HeldTargets, held_targets
from .models import Disposal, RetentionRun, RunTrigger, Tombstone

INCIDENT, CONCERN, PERSON = "incident", "concern", "person"
ANONYMISED_NAME = "[removed]"
DISPOSER = "retention"  # the audit's username for a disposal: ooh itself, under the schedule

# The markers that put a record's subjects in a safeguarding class (schedule.py says why).
LOOKED_AFTER_FLAGS = {FlagCategory.LOOKED_AFTER_CHILD}
CHILD_PROTECTION_FLAGS = {
    FlagCategory.CHILD_PROTECTION_PLAN,
    FlagCategory.UNBORN_CHILD_PROTECTION_PLAN,
    FlagCategory.REMOVAL_AT_BIRTH_PLAN,
    FlagCategory.PRE_PROCEEDINGS,
}
CHILD_PROTECTION_PLANS = {
    ChildProtectionStatus.CHILD_PROTECTION_PLAN,
    ChildProtectionStatus.UNBORN_CHILD_PROTECTION_PLAN,
}
CHILD_PROTECTION_LEGAL = {LegalStatus.PRE_PROCEEDINGS, LegalStatus.CARE_PROCEEDINGS_ISSUED}
LOOKED_AFTER_LEGAL = {LegalStatus.INTERIM_CARE_ORDER_GRANTED}
CHILD_PROTECTION_OUTCOMES = {ReferralOutcome.STRATEGY_DISCUSSION_SECTION_47}
CHILDREN_IN_NEED_OUTCOMES = {ReferralOutcome.CHILD_IN_NEED_ASSESSMENT, ReferralOutcome.PRE_BIRTH_ASSESSMENT}


@dataclass(frozen=True)
class Due:
    """One record past its period: which, under which rule, from which date, and whether it is held."""

    record_type: str  # incident, concern or person
    record_id: uuid.UUID
    reference: str  # OOH-2026-000123, CON-2026-000012; blank for a person
    rule: schedule.Rule
    agency_id: uuid.UUID | None  # the owning agency, whose period applies
    agency_code: str
    ran_from: datetime.date
    due_on: datetime.date
    person_ids: tuple[uuid.UUID, ...]  # the subjects (the person, for a person)
    held: bool

    @property
    def record_class(self) -> str:
        return self.rule.record_class

    @property
    def disposal(self) -> str:
        return self.rule.disposal

    def describe(self) -> str:
        what = f"{self.record_type} {self.reference or self.record_id}"
        kept = "  HELD: kept by a legal hold" if self.held else ""
        return (
            f"{what}  class {self.record_class}  rule {self.rule}  from {self.ran_from}  "
            f"due {self.due_on}  {self.disposal}{kept}"
        )


@dataclass
class RetentionReport:
    today: datetime.date
    due: list[Due]
    run: RetentionRun | None = None  # None for a dry run, which writes nothing
    tombstones: list[Tombstone] = field(default_factory=list)
    held_since_listing: int = 0  # due records a hold placed during the run kept

    @property
    def held(self) -> list[Due]:
        return [d for d in self.due if d.held]


# --- What is due --------------------------------------------------------------------------------------


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(ZoneInfo(settings.LOCAL_TIME_ZONE)).date()


@dataclass
class _Markers:
    """Per person: the safeguarding classes their records put them in, and their birth (or due) date."""

    classes: dict[uuid.UUID, set[str]] = field(default_factory=lambda: defaultdict(set))
    births: dict[uuid.UUID, datetime.date] = field(default_factory=dict)

    def mark(self, person_ids: Iterable[uuid.UUID | None], record_class: str) -> None:
        for person_id in person_ids:
            if person_id is not None:
                self.classes[person_id].add(record_class)


def _markers(people: list[uuid.UUID] | None = None) -> _Markers:
    """Three queries over the marker tables (flags, birth plans, referral outcomes): only marked rows,
    and only of `people` when given (one record's disposal reads its own subjects', not everyone's)."""
    markers = _Markers()
    flags = Flag.objects.filter(
        subject_person__isnull=False, category__in=LOOKED_AFTER_FLAGS | CHILD_PROTECTION_FLAGS
    )
    plans = BirthPlan.objects.filter(
        Q(child_protection_status__in=CHILD_PROTECTION_PLANS | {ChildProtectionStatus.CHILD_IN_NEED})
        | Q(legal_status__in=CHILD_PROTECTION_LEGAL | LOOKED_AFTER_LEGAL)
    )
    outcomes = ConcernSubject.objects.filter(
        concern__referrals__outcome__in=CHILD_PROTECTION_OUTCOMES | CHILDREN_IN_NEED_OUTCOMES
    )
    if people is not None:
        flags = flags.filter(subject_person_id__in=people)
        plans = plans.filter(Q(mother_id__in=people) | Q(unborn_child_id__in=people))
        outcomes = outcomes.filter(person_id__in=people)
    for person_id, category in flags.values_list("subject_person_id", "category"):
        cls = schedule.LOOKED_AFTER if category in LOOKED_AFTER_FLAGS else schedule.CHILD_PROTECTION
        markers.mark([person_id], cls)
    for mother_id, child_id, status, legal in plans.values_list(
        "mother_id", "unborn_child_id", "child_protection_status", "legal_status"
    ):
        if legal in LOOKED_AFTER_LEGAL:  # the child is in care; the plan is a child protection record
            markers.mark([child_id], schedule.LOOKED_AFTER)
        if legal in CHILD_PROTECTION_LEGAL | LOOKED_AFTER_LEGAL or status in CHILD_PROTECTION_PLANS:
            markers.mark([mother_id, child_id], schedule.CHILD_PROTECTION)
        elif status == ChildProtectionStatus.CHILD_IN_NEED:
            markers.mark([mother_id, child_id], schedule.CHILDREN_IN_NEED)
    for person_id, outcome in outcomes.values_list("person_id", "concern__referrals__outcome"):
        cls = schedule.CHILD_PROTECTION if outcome in CHILD_PROTECTION_OUTCOMES else schedule.CHILDREN_IN_NEED
        markers.mark([person_id], cls)
    return markers


def _births(people: models.QuerySet[Person], markers: _Markers) -> None:
    """One query: the dates of birth (or expected dates) of the subjects of closed records."""
    for person_id, born, expected in people.values_list("pk", "date_of_birth", "expected_date").distinct():
        birth = born or expected
        if birth is not None:
            markers.births[person_id] = birth


def _record_due(
    *,
    record_type: str,
    row: Mapping[str, Any],
    subjects: list[uuid.UUID],
    otherwise: str,
    markers: _Markers,
    holds: HeldTargets,
    today: datetime.date,
) -> Due | None:
    """An incident or a concern: its class from its subjects, the owning agency's rule, its dates."""
    classes = set().union(*(markers.classes.get(p, set()) for p in subjects))
    record_class = schedule.strongest(classes, otherwise)
    if record_class == schedule.LOOKED_AFTER:  # 75 years from the looked-after child's birth
        births = [
            markers.births[p] for p in subjects if p in markers.births and record_class in markers.classes[p]
        ]
    else:
        births = [markers.births[p] for p in subjects if p in markers.births]
    code = str(row["agency_code"])
    rule = schedule.rule_for(record_class, code)
    closed_at = row["closed_at"]
    closed_on = local_date(closed_at) if isinstance(closed_at, datetime.datetime) else None
    start = schedule.ran_from(rule, closed_on=closed_on, births=births)
    if start is None or schedule.due_on(rule, start) > today:
        return None
    record_id, agency_id = uuid.UUID(str(row["id"])), uuid.UUID(str(row["agency_id"]))
    return Due(
        record_type=record_type,
        record_id=record_id,
        reference=str(row["reference"]),
        rule=rule,
        agency_id=agency_id,
        agency_code=code,
        ran_from=start,
        due_on=schedule.due_on(rule, start),
        person_ids=tuple(subjects),
        held=holds.covers(
            incident_id=record_id if record_type == INCIDENT else None,
            agency_id=agency_id,
            person_ids=subjects,
        ),
    )


def _subjects(pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> dict[uuid.UUID, list[uuid.UUID]]:
    grouped: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for record_id, person_id in pairs:
        grouped[record_id].append(person_id)
    return grouped


@dataclass(frozen=True)
class _ClosedKind:
    """How to read one kind of closed record: its table, its owning agency, its subjects."""

    record_type: str
    model: type[models.Model]
    agency: str  # the field naming the owning agency
    subject_model: type[models.Model]
    subject_of: str  # the subject table's field naming the record
    otherwise: str  # its own class, when no subject puts it in a safeguarding one
    closed: str  # its status once closed (an open record is never due)


_INCIDENTS = _ClosedKind(
    INCIDENT,
    Incident,
    "opening_agency",
    IncidentSubject,
    "incident",
    schedule.INCIDENT_NO_SAFEGUARDING,
    IncidentStatus.CLOSED,
)
_CONCERNS = _ClosedKind(
    CONCERN,
    Concern,
    "raised_by_agency",
    ConcernSubject,
    "concern",
    schedule.CONCERN_NO_SAFEGUARDING,
    ConcernStatus.CLOSED,
)


def _closed_due(
    kind: _ClosedKind, today: datetime.date, markers: _Markers, holds: HeldTargets, only: uuid.UUID | None
) -> list[Due]:
    """Two queries: the closed records of a kind and their subjects."""
    records = kind.model._default_manager.filter(status=kind.closed)
    if only is not None:
        records = records.filter(pk=only)
    rows = records.order_by("closed_at", "id").values(
        "id",
        "reference",
        "closed_at",
        agency_id=models.F(f"{kind.agency}_id"),
        agency_code=models.F(f"{kind.agency}__code"),
    )
    subjects = _subjects(
        kind.subject_model._default_manager.filter(
            **{f"{kind.subject_of}__in": records.values("pk")}
        ).values_list(f"{kind.subject_of}_id", "person_id")
    )
    found = (
        _record_due(
            record_type=kind.record_type,
            row=row,
            subjects=subjects.get(row["id"], []),
            otherwise=kind.otherwise,
            markers=markers,
            holds=holds,
            today=today,
        )
        for row in rows
    )
    return [d for d in found if d is not None]


def _holds_something(person: OuterRef) -> Any:
    """An incident, concern, birth plan, flag, pre-birth milestone or DASH assessment is about them."""
    return (
        Exists(IncidentSubject.objects.filter(person=person))
        | Exists(ConcernSubject.objects.filter(person=person))
        | Exists(BirthPlan.objects.filter(Q(mother=person) | Q(unborn_child=person)))
        | Exists(Flag.objects.filter(subject_person=person))
        | Exists(MilestoneRecord.objects.filter(person=person))
        | Exists(DashAssessment.objects.filter(person=person))
    )


def people_with_nothing_else_held() -> models.QuerySet[Person]:
    """People nothing is held about (see _holds_something), not already anonymised, and not linked
    (now or once) to anyone something is still held about: anonymising removes a person's links, and a
    father's link to a baby whose child protection record is kept is part of that record."""
    person = OuterRef("pk")
    linked_to_held = Exists(
        Relationship.objects.filter(from_person=person).filter(_holds_something(OuterRef("to_person")))
    ) | Exists(
        Relationship.objects.filter(to_person=person).filter(_holds_something(OuterRef("from_person")))
    )
    return Person.objects.exclude(
        _holds_something(person)
        | Exists(Tombstone.objects.filter(record_type=PERSON, record_id=person))
        | linked_to_held
    )


def _people_due(today: datetime.date, holds: HeldTargets, only: uuid.UUID | None) -> list[Due]:
    """One query: people with nothing else held, with their last contact (the audit's last create or
    update naming them, or their own record's last change, whichever is later)."""
    recorded = (
        AccessedPerson.objects.filter(
            person_id=OuterRef("pk"), log__action__in=[AccessAction.CREATE, AccessAction.UPDATE]
        )
        .order_by()
        .values("person_id")
        .annotate(last=Max("log__at"))
        .values("last")
    )
    people = people_with_nothing_else_held()
    if only is not None:
        people = people.filter(pk=only)
    rows = people.annotate(last_recorded=Subquery(recorded)).values(
        "id", "updated_at", "last_recorded", "recorded_by_agency_id", "recorded_by_agency__code"
    )
    found = []
    for row in rows.order_by("updated_at", "id"):
        last = max(filter(None, (row["updated_at"], row["last_recorded"])))
        code = row["recorded_by_agency__code"] or ""
        rule = schedule.rule_for(schedule.PERSON, code)
        start = local_date(last)  # a person's period runs from the last contact, which every row has
        if schedule.due_on(rule, start) > today:
            continue
        found.append(
            Due(
                record_type=PERSON,
                record_id=row["id"],
                reference="",
                rule=rule,
                agency_id=row["recorded_by_agency_id"],
                agency_code=code,
                ran_from=start,
                due_on=schedule.due_on(rule, start),
                person_ids=(row["id"],),
                held=holds.covers(agency_id=row["recorded_by_agency_id"], person_ids=[row["id"]]),
            )
        )
    return found


def due_records(today: datetime.date) -> list[Due]:
    """Every record past its period on `today`, held or not, incidents and concerns before people.

    Ten queries whatever the number of records: the markers (3), the births (1), the holds (1), the
    incidents and their subjects (2), the concerns and their subjects (2), the people (1). A person
    whose last record goes tonight is due the night their own period ends, never the same run."""
    return _due(today)


def _people_of(kind: str, record_id: uuid.UUID) -> list[uuid.UUID]:
    """One query: whom one record is about (a person is about themselves)."""
    if kind == INCIDENT:
        return list(IncidentSubject.objects.filter(incident_id=record_id).values_list("person_id", flat=True))
    if kind == CONCERN:
        return list(ConcernSubject.objects.filter(concern_id=record_id).values_list("person_id", flat=True))
    return [record_id]


def _due(today: datetime.date, only: tuple[str, uuid.UUID] | None = None) -> list[Due]:
    kind, record_id = only if only is not None else ("", None)
    people = _people_of(kind, record_id) if record_id is not None else None
    markers = _markers(people)
    closed_subjects = Person.objects.filter(
        Q(incident_subjects__incident__status=IncidentStatus.CLOSED)
        | Q(concerns__concern__status=ConcernStatus.CLOSED)
    )
    if people is not None:
        closed_subjects = closed_subjects.filter(pk__in=people)
    _births(closed_subjects, markers)
    holds = held_targets()
    due: list[Due] = []
    if only is None or kind == INCIDENT:
        due += _closed_due(_INCIDENTS, today, markers, holds, record_id)
    if only is None or kind == CONCERN:
        due += _closed_due(_CONCERNS, today, markers, holds, record_id)
    if only is None or kind == PERSON:
        due += _people_due(today, holds, record_id)
    return due


# --- Disposal -----------------------------------------------------------------------------------------


def erase_append_only(rows: models.QuerySet[AppendOnlyModel]) -> int:
    """The one deliberate exception to append-only rows (an incident's events, a concern's consultations,
    a referral's responses, DASH assessments): removed only here, when retention disposes of the record
    they belong to. AppendOnlyQuerySet.delete still refuses for everyone else; the audit log's own rows
    are never passed here (and its tables refuse DELETE on PostgreSQL whoever asks)."""
    if rows.model._meta.app_label == "audit":
        raise AppendOnlyError("the audit log is never disposed of")
    deleted, _ = models.QuerySet.delete(rows)
    return deleted


def _lock_people_and_agency(person_ids: Iterable[uuid.UUID], agency_id: uuid.UUID | None) -> None:
    """Lock what a hold could be placed on (place_hold locks its target), in one order: no deadlock."""
    list(Person.objects.select_for_update().filter(pk__in=list(person_ids)).order_by("pk").values_list("pk"))
    if agency_id is not None:
        list(Agency.objects.select_for_update().filter(pk=agency_id).values_list("pk"))


def _remove_incident(incident_id: uuid.UUID) -> None:
    """The incident and everything of it: escalations (with their notifications), the outcome notices,
    DASH assessments made at it, its events; then the row, whose cascade takes its subjects, agencies,
    attendance, appointments, presence, decisions, flag read receipts and reviewer grants."""
    Escalation.objects.filter(incident_id=incident_id).delete()
    Notification.objects.filter(data__incident=str(incident_id)).delete()
    erase_append_only(DashAssessment.objects.filter(incident_id=incident_id))
    erase_append_only(Event.objects.filter(incident_id=incident_id))
    # The incident points at its current appointments (PROTECT): let go first, then the cascade takes them.
    Incident.objects.filter(pk=incident_id).update(lead_professional=None, decision_maker=None)
    Incident.objects.filter(pk=incident_id).delete()


def _casework_keys(prefix: str, ids: Iterable[uuid.UUID]) -> Q:
    query = Q(pk__in=[])
    for row_id in ids:
        query |= Q(subject_key=f"{prefix}:{row_id}") | Q(subject_key__startswith=f"{prefix}:{row_id}:")
    return query


def _remove_concern(concern_id: uuid.UUID) -> None:
    """The concern, its referrals with their responses, consultations and transfer offers, the casework
    escalations about them and the notices that named them; the cascade takes its subjects and grants."""
    referral_ids = list(Referral.objects.filter(concern_id=concern_id).values_list("pk", flat=True))
    Escalation.objects.filter(
        _casework_keys("concern", [concern_id]) | _casework_keys("referral", referral_ids)
    ).delete()
    Notification.objects.filter(data__concern=str(concern_id)).delete()
    erase_append_only(ReferralResponse.objects.filter(referral_id__in=referral_ids))
    erase_append_only(Consultation.objects.filter(concern_id=concern_id))
    ConcernTransfer.objects.filter(concern_id=concern_id).delete()
    Referral.objects.filter(pk__in=referral_ids).delete()
    Concern.objects.filter(pk=concern_id).delete()


def _anonymise_person(person_id: uuid.UUID) -> None:
    """Names, dates, place of birth, sex, identifiers, addresses lived at and links to others removed;
    the row and its id stay, so the audit's rows about them still point at something."""
    PersonIdentifier.objects.filter(person_id=person_id).delete()
    Residence.objects.filter(person_id=person_id).delete()
    Relationship.objects.filter(Q(from_person_id=person_id) | Q(to_person_id=person_id)).delete()
    Person.objects.filter(pk=person_id).update(
        given_name="",
        family_name=ANONYMISED_NAME,
        aliases=[],
        date_of_birth=None,
        expected_date=None,
        place_of_birth="",
        sex=None,
        search_text="",
        external_id=None,
        updated_at=timezone.now(),
    )


def _lock_record(due: Due) -> bool:
    """Lock the record's row; False when it is gone (another run took it)."""
    model: type[models.Model] = {INCIDENT: Incident, CONCERN: Concern, PERSON: Person}[due.record_type]
    return bool(list(model._default_manager.select_for_update().filter(pk=due.record_id).values_list("pk")))


def dispose(due: Due, *, run: RetentionRun, now: datetime.datetime | None = None) -> Tombstone | None:
    """Dispose of one record as its rule says, in one transaction: the tombstone and the audit row with it.

    Re-reads the record under lock (with its subjects and owning agency, on which holds are placed):
    a held record raises Conflict (409) and nothing is removed; a record no longer due (gone, or now in
    a longer-lived class) is left, and None returned."""
    now = now or timezone.now()
    with transaction.atomic():
        if not _lock_record(due):
            return None
        _lock_people_and_agency(due.person_ids, due.agency_id)
        current = next(iter(_due(run.today, only=(due.record_type, due.record_id))), None)
        if current is None:
            return None
        if current.held:
            raise Conflict(
                f"This {due.record_type} is under a legal hold: nothing was removed.", code="legal_hold"
            )
        {INCIDENT: _remove_incident, CONCERN: _remove_concern, PERSON: _anonymise_person}[
            current.record_type
        ](current.record_id)
        tombstone = Tombstone.objects.create(
            run=run,
            record_type=current.record_type,
            record_id=current.record_id,
            reference=current.reference,
            record_class=current.record_class,
            rule=str(current.rule)[:200],
            agency_code=current.agency_code,
            ran_from=current.ran_from,
            due_on=current.due_on,
            disposal=current.disposal,
            disposed_at=now,
        )
        _audit(current, tombstone)
    return tombstone


def _audit(due: Due, tombstone: Tombstone) -> None:
    """s.62's erasure: what, when (the row's time), by whom (ooh, under the schedule), and why (the rule)."""
    record_access(
        action=AccessAction.ERASE,
        object_type=due.record_type,
        object_ids=[due.record_id],
        person_ids=due.person_ids,
        incident_id=due.record_id if due.record_type == INCIDENT else None,
        username=DISPOSER,
        reason=f"Retention schedule: {due.rule}"[:500],
        detail={
            "disposal": due.disposal,
            "anonymised": due.disposal == Disposal.ANONYMISE,
            "record_class": due.record_class,
            "reference": due.reference,
            "ran_from": due.ran_from.isoformat(),
            "due_on": due.due_on.isoformat(),
            "run": str(tombstone.run_id),
            "tombstone": str(tombstone.pk),
        },
    )


def apply_retention(
    *,
    today: datetime.date,
    dry_run: bool = False,
    trigger: str = RunTrigger.COMMAND,
    now: datetime.datetime | None = None,
) -> RetentionReport:
    """List what is due on `today` and, unless a dry run (which writes nothing at all), dispose of each
    record that no hold keeps. The nightly task and the command both call this."""
    due = due_records(today)
    report = RetentionReport(today=today, due=due)
    if dry_run:
        return report
    now = now or timezone.now()
    run = RetentionRun.objects.create(today=today, trigger=trigger, started_at=now)
    for record in due:
        if record.held:
            continue
        try:
            tombstone = dispose(record, run=run, now=now)
        except Conflict:  # a hold placed since the list was made
            report.held_since_listing += 1
            continue
        if tombstone is not None:
            report.tombstones.append(tombstone)
    run.finished_at = timezone.now()
    run.disposed = len(report.tombstones)
    run.held = len(report.held) + report.held_since_listing
    run.save(update_fields=["finished_at", "disposed", "held"])
    report.run = run
    return report
