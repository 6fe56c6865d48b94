"""The pre-birth protocol as a rule: `prebirth_milestone_missed`, one chain per unborn baby and milestone.

Each milestone of ooh/referrals/prebirth.py is due at the end of its due day (local time); one not met
by then is raised with the subject key `prebirth:<baby id>:<milestone>`, only while the baby is unborn.
Meeting it later (a referral made, the assessment recorded, the plan acknowledged) ends the condition,
and so does the birth: the sweeper resolves the chain ("condition ended"); nothing is raised after it.

A late booking (a baby first seen after some deadlines passed) raises every missed milestone at once,
most urgent first: the longest overdue, which is the protocol's order (referral, assessment,
conference, plan agreed, plan shared), and across babies the earliest due date first.

Level 1 tells the owners and raisers of the open concerns about the baby, the social workers their
referrals are allocated to, and the lead professional of the baby's plan; then, a working day a rung:
their managers; the first-line managers of the agencies the concerns were referred to (else of the
plan's agency, else of the owners' agencies); those agencies' next level. The raisers are told on
every level. Messages name references and dates, never the family.

The key carries no plan version: a plan revised after its shared milestone was met does not raise this
rule again (`birth_plan_not_ready` asks for the new version's acknowledgements in the last 28 days).
"""

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ooh.accounts.lines import first_line_managers
from ooh.people.models import Person
from ooh.plans.models import BirthPlan, PlanStatus
from ooh.referrals import prebirth
from ooh.referrals.calendar import end_of, local_date
from ooh.referrals.models import ConcernStatus, ConcernSubject, Milestone, Referral

from .due import Due, Rule, row_id_in_key, unraised
from .ladder import managers_of_users, next_level

RULE = "prebirth_milestone_missed"
ORDER = {milestone.value: index for index, milestone in enumerate(Milestone)}
# What was due, and what has not happened, in plain words.
MISSED = {
    Milestone.REFERRAL: ("The referral to children's social care", "was due by {due} and has not been made"),
    Milestone.PRE_BIRTH_ASSESSMENT: (
        "The pre-birth assessment",
        "was due by {due} and is not recorded as complete",
    ),
    Milestone.INITIAL_CONFERENCE: (
        "The initial child protection conference",
        "was due by {due} and is not recorded as held",
    ),
    Milestone.BIRTH_PLAN_AGREED: ("The birth plan", "was due to be agreed by {due} and is not agreed"),
    Milestone.BIRTH_PLAN_SHARED: (
        "The birth plan",
        "was due to be shared with and acknowledged by out-of-hours social care, police and midwifery "
        "by {due} and is not",
    ),
}


@dataclass
class _Around:
    """The people and agencies around one baby: whom its chains tell."""

    concerns: list[str] = field(default_factory=list)  # references
    raisers: set[uuid.UUID] = field(default_factory=set)
    holders: set[uuid.UUID] = field(default_factory=set)  # owners, allocated workers, lead professional
    agencies: set[uuid.UUID] = field(default_factory=set)  # feeds
    referred_to: set[uuid.UUID] = field(default_factory=set)
    plan_agency: uuid.UUID | None = None
    owner_agencies: set[uuid.UUID] = field(default_factory=set)

    def rung_agencies(self) -> set[uuid.UUID]:
        if self.referred_to:
            return self.referred_to
        return {self.plan_agency} if self.plan_agency else self.owner_agencies


def _concerns_around(ids: list[uuid.UUID], around: dict[uuid.UUID, _Around]) -> None:
    """The concerns about these babies (open ones; every one if none is open) and their referrals."""
    rows = list(
        ConcernSubject.objects.filter(person_id__in=ids)
        .order_by("concern__created_at")
        .values_list(
            "person_id",
            "concern_id",
            "concern__status",
            "concern__reference",
            "concern__owner_id",
            "concern__owner__membership__agency_id",
            "concern__raised_by_id",
            "concern__raised_by_agency_id",
        )
    )
    any_open = {baby for baby, _c, status, *_rest in rows if status == ConcernStatus.OPEN}
    by_concern: dict[uuid.UUID, list[_Around]] = {}
    for baby, concern, status, reference, owner, owner_agency, raiser, raiser_agency in rows:
        if baby in any_open and status != ConcernStatus.OPEN:
            continue
        entry = around[baby]
        entry.concerns.append(reference)
        entry.holders.add(owner)
        entry.raisers.add(raiser)
        entry.agencies.add(raiser_agency)
        if owner_agency is not None:
            entry.owner_agencies.add(owner_agency)
        by_concern.setdefault(concern, []).append(entry)
    for concern, allocated, to_agency in Referral.objects.filter(concern_id__in=list(by_concern)).values_list(
        "concern_id", "allocated_to_id", "to_agency_id"
    ):
        for entry in by_concern[concern]:
            entry.referred_to.add(to_agency)
            entry.agencies.add(to_agency)
            if allocated is not None:
                entry.holders.add(allocated)


def _plans_around(ids: list[uuid.UUID], around: dict[uuid.UUID, _Around]) -> None:
    """The lead professional and agency of each baby's plan: the plan in force, else the latest draft."""
    for baby, lead, agency in (
        BirthPlan.objects.filter(unborn_child_id__in=ids, status__in=[PlanStatus.ACTIVE, PlanStatus.DRAFT])
        .order_by("unborn_child_id", "status", "-created_at")  # 'active' < 'draft': the plan in force first
        .values_list("unborn_child_id", "lead_professional_id", "authoring_agency_id")
    ):
        entry = around[baby]
        if entry.plan_agency is not None:
            continue  # the baby's plan is already read
        entry.plan_agency = agency
        entry.agencies.add(agency)
        if lead is not None:
            entry.holders.add(lead)


def _around(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, _Around]:
    ids = list(ids)
    around = {baby: _Around() for baby in ids}
    _concerns_around(ids, around)
    _plans_around(ids, around)
    return around


def _message(state: prebirth.MilestoneState, expected: date, around: _Around) -> str:
    what, missed = MISSED[Milestone(state.milestone)]
    concerns = around.concerns
    ref = (
        f"concern {concerns[0]}"
        if len(concerns) == 1
        else f"concerns {', '.join(concerns)}"
        if concerns
        else "birth plan"
    )
    return (
        f"{what} for an unborn baby expected {expected:%d %b %Y} ({ref}) "
        f"{missed.format(due=f'{state.due_on:%d %b %Y}')}."
    )


def _ladder(around: _Around) -> list[set[uuid.UUID]]:
    agencies = around.rung_agencies()
    return [managers_of_users(around.holders), first_line_managers(agencies), next_level(agencies)]


def _babies(now: datetime, baby_id: str | None, among: Collection[str] | None) -> list[Person]:
    """The covered unborn babies whose first milestone may be due by now (a cheap bound on the
    expected date), narrowed to one baby or to the sweeper's open chains."""
    latest = local_date(now) + timedelta(weeks=prebirth.WEEKS_AT_TERM - prebirth.first_due_week())
    babies = prebirth.covered_babies().filter(expected_date__lte=latest)
    if baby_id:
        babies = babies.filter(pk=baby_id)
    if among is not None:
        babies = babies.filter(pk__in={key.split(":")[1] for key in among})
    return list(babies)


def prebirth_milestone_missed(
    now: datetime,
    subject_key: str | None = None,
    *,
    fresh: bool = False,
    keys_only: bool = False,
    among: Collection[str] | None = None,
) -> list[Due]:
    """A pre-birth milestone not met by the end of its due day, while the baby is unborn."""
    only = row_id_in_key(subject_key, "prebirth")
    if only is False:
        return []
    babies = _babies(now, only, among)
    protocols = prebirth.protocols_for(babies, now=now)
    keyed = {
        f"prebirth:{baby.pk}:{state.milestone}": (baby, state)
        for baby in babies
        for state in protocols[baby.pk]
        if not state.met and end_of(state.due_on) <= now
    }
    if fresh:
        keyed = unraised(RULE, keyed)
    ordered = sorted(keyed.items(), key=lambda item: (item[1][1].due_on, ORDER[item[1][1].milestone]))
    if keys_only:
        return [Due(RULE, key, end_of(state.due_on), "") for key, (_baby, state) in ordered]
    around = _around({baby.pk for baby, _state in keyed.values()})
    ladders = {baby: _ladder(entry) for baby, entry in around.items()}
    return [
        Due(
            RULE,
            key,
            end_of(state.due_on),
            _message(state, prebirth.require_expected(baby), around[baby.pk]),
            users=around[baby.pk].holders | around[baby.pk].raisers,
            agencies=set(around[baby.pk].agencies),
            ladder=[set(rung) for rung in ladders[baby.pk]],
        )
        for key, (baby, state) in ordered
    ]


RULES: dict[str, Rule] = {RULE: prebirth_milestone_missed}
