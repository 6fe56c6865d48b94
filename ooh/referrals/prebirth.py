"""The pre-birth protocol: for an unborn baby, each milestone's due date from the expected date, and
whether, when and by what it was met.

A milestone is due by the end of the local day `expected_date - (40 - week) weeks`, the week of
pregnancy coming from settings.PREBIRTH_MILESTONE_WEEKS (40 weeks at the expected date). What meets each:

- referral: the earliest referral of a concern the baby is a subject of (the local date it was made);
- pre_birth_assessment: a recorded MilestoneRecord;
- initial_conference: a recorded MilestoneRecord, or an `unborn_child_protection_plan` flag raised on
  the baby (the conference's decision: the flag's start date);
- birth_plan_agreed: the earliest plan of the baby with an agreed date (active or superseded);
- birth_plan_shared: the plan in force shared with, and acknowledged at its current version by, an
  out-of-hours social care team, the police and the midwives (the local date of the last of those).

The protocol covers every unborn baby that is the subject of an open concern, of a concern that was
referred (whatever became of it since: the referral opened the protocol), or of a birth plan that is
not closed. Reading it costs a fixed number of queries for one baby or for many (`protocols_for`).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import AgencyKind, User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict
from ooh.flags.models import Flag, FlagCategory, FlagStatus
from ooh.people.models import Person, PersonStatus
from ooh.plans.models import Acknowledgement, BirthPlan, PlanShare, PlanStatus

from .calendar import local_date
from .models import (
    RECORDED_MILESTONES,
    ConcernStatus,
    ConcernSubject,
    Milestone,
    MilestoneRecord,
    Referral,
)
from .parenting import parenting_capacity_advice

WEEKS_AT_TERM = 40
# The agencies a plan must reach by the last milestone, as the protocol names them.
PLAN_READERS = {
    AgencyKind.OOH_SOCIAL_CARE: "out-of-hours social care",
    AgencyKind.POLICE: "police",
    AgencyKind.MIDWIFERY: "midwifery",
}


def due_on(expected_date: date, milestone: str) -> date:
    """The last day the milestone may be met: expected date minus (40 - its week) weeks."""
    return expected_date - timedelta(weeks=WEEKS_AT_TERM - settings.PREBIRTH_MILESTONE_WEEKS[milestone])


def first_due_week() -> int:
    return int(min(settings.PREBIRTH_MILESTONE_WEEKS.values()))


@dataclass(frozen=True)
class MetBy:
    text: str
    ids: dict[str, str]


@dataclass(frozen=True)
class MilestoneState:
    milestone: str
    label: str
    due_on: date
    met_on: date | None
    met_by: MetBy | None
    overdue: bool

    @property
    def met(self) -> bool:
        return self.met_by is not None

    def as_dict(self) -> dict[str, Any]:
        """One milestone as the API shows it (API.md: code, label, due, met, met_at, met_by)."""
        return {
            "code": self.milestone,
            "label": self.label,
            "due": self.due_on.isoformat(),
            "met": self.met,
            "met_at": self.met_on.isoformat() if self.met_on else None,
            "met_by": {"text": self.met_by.text, "ids": self.met_by.ids} if self.met_by else None,
            "overdue": self.overdue,
        }


def covered_babies() -> QuerySet[Person]:
    """Every unborn baby the protocol covers: the subject of an open concern, of a concern that was
    referred, or of a birth plan that is not closed."""
    concerned = ConcernSubject.objects.filter(
        Q(concern__status=ConcernStatus.OPEN) | Q(concern__referrals__isnull=False)
    ).values("person_id")
    planned = BirthPlan.objects.exclude(status=PlanStatus.CLOSED).values("unborn_child_id")
    return Person.objects.filter(status=PersonStatus.UNBORN, expected_date__isnull=False).filter(
        Q(pk__in=concerned) | Q(pk__in=planned)
    )


def _d(day: date | datetime) -> str:
    return f"{day:%d %b %Y}"


class _Facts:
    """What meets each milestone, for many babies: six queries however many babies."""

    def __init__(self, ids: list[uuid.UUID], now: datetime):
        self.referral: dict[uuid.UUID, Referral] = {}
        for referral in (
            Referral.objects.filter(concern__subjects__person_id__in=ids)
            .annotate(baby_id=F("concern__subjects__person_id"))
            .select_related("to_agency", "concern")
            .order_by("made_at", "reference")
        ):
            self.referral.setdefault(referral.baby_id, referral)
        self.records = {
            (r.person_id, r.milestone): r
            for r in MilestoneRecord.objects.filter(person_id__in=ids).select_related("recorded_by")
        }
        self.ucpp: dict[uuid.UUID, Flag] = {}
        for flag in (
            Flag.objects.filter(
                subject_person_id__in=ids,
                category=FlagCategory.UNBORN_CHILD_PROTECTION_PLAN,
                status=FlagStatus.ACTIVE,
                valid_from__lte=now,
            )
            .select_related("source_agency")
            .order_by("valid_from")
        ):
            if flag.subject_person_id is not None:
                self.ucpp.setdefault(flag.subject_person_id, flag)
        self.agreed: dict[uuid.UUID, BirthPlan] = {}
        self.active: dict[uuid.UUID, BirthPlan] = {}
        for plan in BirthPlan.objects.filter(
            unborn_child_id__in=ids, status__in=[PlanStatus.ACTIVE, PlanStatus.SUPERSEDED]
        ).order_by("agreed_on", "created_at"):
            if plan.agreed_on is not None:
                self.agreed.setdefault(plan.unborn_child_id, plan)
            if plan.status == PlanStatus.ACTIVE:
                self.active[plan.unborn_child_id] = plan
        self.shares: dict[uuid.UUID, list[PlanShare]] = {}
        self.acks: dict[uuid.UUID, list[Acknowledgement]] = {}
        plan_ids = [plan.pk for plan in self.active.values()]
        if plan_ids:
            for share in PlanShare.objects.filter(plan_id__in=plan_ids).select_related("agency"):
                self.shares.setdefault(share.plan_id, []).append(share)
            for ack in Acknowledgement.objects.filter(plan_id__in=plan_ids):
                self.acks.setdefault(ack.plan_id, []).append(ack)


def _referral(baby: uuid.UUID, facts: _Facts) -> tuple[date, MetBy] | None:
    referral = facts.referral.get(baby)
    if referral is None:
        return None
    made = local_date(referral.made_at)
    return made, MetBy(
        f"Referral {referral.reference} to {referral.to_agency.name}, made {_d(made)} "
        f"(concern {referral.concern.reference}).",
        {"referral": str(referral.pk), "concern": str(referral.concern_id)},
    )


def _recorded(baby: uuid.UUID, milestone: str, facts: _Facts) -> tuple[date, MetBy] | None:
    record = facts.records.get((baby, milestone))
    if record is None:
        return None
    by = str(record.recorded_by)
    note = f" {record.note}" if record.note else ""
    return record.met_on, MetBy(
        f"Recorded by {by} on {_d(local_date(record.recorded_at))}: met {_d(record.met_on)}.{note}",
        {"milestone_record": str(record.pk)},
    )


def _conference(baby: uuid.UUID, facts: _Facts) -> tuple[date, MetBy] | None:
    recorded = _recorded(baby, Milestone.INITIAL_CONFERENCE, facts)
    if recorded is not None:
        return recorded
    flag = facts.ucpp.get(baby)
    if flag is None:
        return None
    since = local_date(flag.valid_from)
    return since, MetBy(
        f"Unborn child protection plan flag raised by {flag.source_agency.name} from {_d(since)} "
        "(the conference's decision).",
        {"flag": str(flag.pk)},
    )


def _agreed(baby: uuid.UUID, facts: _Facts) -> tuple[date, MetBy] | None:
    plan = facts.agreed.get(baby)
    if plan is None or plan.agreed_on is None:
        return None
    return plan.agreed_on, MetBy(
        f"Birth plan agreed on {_d(plan.agreed_on)}"
        + ("." if plan.status == PlanStatus.ACTIVE else f" ({plan.get_status_display().lower()})."),
        {"birth_plan": str(plan.pk)},
    )


def plan_reached(
    plan: BirthPlan, shares: Iterable[PlanShare], acks: Iterable[Acknowledgement]
) -> tuple[dict[str, datetime], list[str]]:
    """({agency kind: when the first agency of that kind had the plan shared and acknowledged at its
    current version}, [the protocol's readers still missing, in words])."""
    read = {a.agency_id: a.at for a in acks if a.version == plan.version}
    reached: dict[str, datetime] = {}
    for share in shares:
        kind = share.agency.kind
        if kind in PLAN_READERS and share.agency_id in read:
            when = max(share.shared_at, read[share.agency_id])
            reached[kind] = min(when, reached.get(kind, when))
    return reached, [words for kind, words in PLAN_READERS.items() if kind not in reached]


def _shared(baby: uuid.UUID, facts: _Facts) -> tuple[date, MetBy] | None:
    plan = facts.active.get(baby)
    if plan is None:
        return None
    shares = facts.shares.get(plan.pk, [])
    reached, missing = plan_reached(plan, shares, facts.acks.get(plan.pk, []))
    if missing:
        return None
    last = local_date(max(reached.values()))
    names = sorted({s.agency.name for s in shares if s.agency.kind in reached})
    return last, MetBy(
        f"Birth plan version {plan.version} shared with and acknowledged by {', '.join(names)}; "
        f"the last on {_d(last)}.",
        {"birth_plan": str(plan.pk)},
    )


def _met(milestone: str, baby: uuid.UUID, facts: _Facts) -> tuple[date, MetBy] | None:
    if milestone == Milestone.REFERRAL:
        return _referral(baby, facts)
    if milestone == Milestone.PRE_BIRTH_ASSESSMENT:
        return _recorded(baby, milestone, facts)
    if milestone == Milestone.INITIAL_CONFERENCE:
        return _conference(baby, facts)
    if milestone == Milestone.BIRTH_PLAN_AGREED:
        return _agreed(baby, facts)
    return _shared(baby, facts)


def _states(baby: Person, facts: _Facts, today: date) -> list[MilestoneState]:
    expected = baby.expected_date
    if expected is None:
        return []
    states = []
    for milestone in Milestone:
        due = due_on(expected, milestone)
        met = _met(milestone, baby.pk, facts)
        states.append(
            MilestoneState(
                milestone=milestone.value,
                label=milestone.label,
                due_on=due,
                met_on=met[0] if met else None,
                met_by=met[1] if met else None,
                overdue=met is None and today > due,
            )
        )
    return states


def protocols_for(
    babies: Iterable[Person], *, now: datetime | None = None
) -> dict[uuid.UUID, list[MilestoneState]]:
    """{baby id: its milestones in the protocol's order}, for many babies in six queries."""
    now = now or timezone.now()
    babies = [baby for baby in babies if baby.expected_date is not None]
    if not babies:
        return {}
    facts = _Facts([baby.pk for baby in babies], now)
    today = local_date(now)
    return {baby.pk: _states(baby, facts, today) for baby in babies}


def require_expected(person: Person) -> date:
    """A person who was never unborn has no protocol: 409 `not_unborn`."""
    if person.expected_date is None:
        raise Conflict(
            "This person was never recorded as an unborn baby (no expected date): there is no pre-birth "
            "protocol.",
            code="not_unborn",
        )
    return person.expected_date


def protocol_for(person: Person, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """What `GET .../milestones/` shows: each milestone in the protocol's order, each carrying the advice
    on parenting capacity for the baby's parents (the contract's response is the list itself; a fixed
    number of queries)."""
    now = now or timezone.now()
    require_expected(person)
    advice = parenting_capacity_advice(person, now=now)
    return [state.as_dict() | {"advice": advice} for state in protocols_for([person], now=now)[person.pk]]


@transaction.atomic
def record_milestone(
    *,
    actor: User,
    person: Person,
    milestone: str,
    met_on: date,
    note: str = "",
    now: datetime | None = None,
) -> MilestoneRecord:
    """Record that the pre-birth assessment was completed or the initial conference held (once each)."""
    now = now or timezone.now()
    person = Person.objects.select_for_update().get(pk=person.pk)  # one record at a time per baby
    if not policy.may_record_milestone(actor, person):
        raise PermissionDenied(
            "Only a caseworker of an agency with a case on the baby records its milestones."
        )
    require_expected(person)
    if milestone not in RECORDED_MILESTONES:
        raise ValidationError(
            {
                "milestone": f"{Milestone(milestone).label} is met by what the service records "
                "(a referral, the birth plan), not recorded by hand: record the pre-birth assessment "
                "or the initial conference."
            }
        )
    if met_on > local_date(now):
        raise ValidationError({"met_on": "The date it was met cannot be in the future."})
    if MilestoneRecord.objects.filter(person=person, milestone=milestone).exists():
        raise Conflict(
            f"{Milestone(milestone).label} is already recorded for this baby.", code="milestone_recorded"
        )
    record = MilestoneRecord.objects.create(
        person=person, milestone=milestone, met_on=met_on, note=note, recorded_by=actor, recorded_at=now
    )
    record_access(
        action=AccessAction.CREATE,
        object_type="milestone",
        object_ids=[record.pk],
        person_ids=[person.pk],
        actor=actor,
        detail={"milestone": milestone, "met_on": met_on.isoformat()},
    )
    return record
