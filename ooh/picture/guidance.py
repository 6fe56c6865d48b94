"""Guidance rules: what the linked picture and the incident say a responder should do first.

Each rule is a small function of a GuidanceContext returning zero or more Guidance items; the
snapshot shows them in order of level (danger, then warning, then info).
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ooh.flags.models import Flag, FlagGroup
from ooh.people.links import Edge
from ooh.people.models import Person, PersonStatus
from ooh.referrals.calendar import local_date
from ooh.referrals.dash import MaracRecommendation
from ooh.referrals.parenting import advice_line

LEVEL_ORDER = {"danger": 0, "warning": 1, "info": 2}
PARENT_KINDS = frozenset({"mother_of", "father_of", "parent_of"})


@dataclass(frozen=True)
class Guidance:
    code: str
    level: str
    message: str
    source: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "level": self.level, "message": self.message, "source": self.source}


@dataclass
class GuidanceContext:
    flags: list[Flag]  # in force, officer safety first
    birth_plans: list[dict[str, Any]]  # plan summaries in force
    edges: list[Edge[uuid.UUID]]  # among the people shown
    people: Mapping[uuid.UUID | str, Person]  # by person id
    incident_open: bool = True
    has_decision_maker: bool = True
    # The latest DASH assessment of each person shown that recommended MARAC in the last 12 months.
    marac_recommendations: list[MaracRecommendation] = field(default_factory=list)

    def parents(self) -> set[uuid.UUID | str]:
        return {from_id for from_id, _to, kind in self.edges if kind in PARENT_KINDS} | {
            plan["mother"] for plan in self.birth_plans
        }


def _name(ctx: GuidanceContext, person_id: uuid.UUID | None) -> str:
    if person_id is None:
        return "someone in the picture"
    person = ctx.people.get(person_id) or ctx.people.get(str(person_id))
    return person.full_name if person is not None else "someone in the picture"


def born_with_a_plan(ctx: GuidanceContext) -> list[Guidance]:
    """A child born with a birth plan in force: what the plan says at birth leads the picture."""
    items = []
    for plan in ctx.birth_plans:
        child_id = plan["unborn_child"]  # a string in the plan's summary; people are keyed by UUID
        child = ctx.people.get(child_id) or ctx.people.get(uuid.UUID(str(child_id)))
        if child is None or child.status != PersonStatus.LIVING or child.date_of_birth is None:
            continue
        where = f" at {child.place_of_birth}" if child.place_of_birth else ""
        items.append(
            Guidance(
                "plan_at_birth",
                "danger",
                f"Born {child.date_of_birth:%d %b %Y}{where}: the birth plan says: {plan['plan_at_birth']}",
                {"birth_plan": plan["id"]},
            )
        )
    return items


def officer_safety(ctx: GuidanceContext) -> list[Guidance]:
    """Officer-safety markers anywhere in the picture: attend in pairs and know what is there."""
    markers = [f for f in ctx.flags if f.group == FlagGroup.OFFICER_SAFETY]
    if not markers:
        return []
    what = "; ".join(f.summary for f in markers)
    return [
        Guidance(
            "officer_safety",
            "danger",
            f"Officer safety: attend with two officers. {what}.",
            {"flags": [str(f.pk) for f in markers]},
        )
    ]


def birth_plan_first(ctx: GuidanceContext) -> list[Guidance]:
    """A birth plan exists: its home-birth contingency and out-of-hours instructions come first."""
    return [
        Guidance(
            "birth_plan",
            "warning",
            f"Birth plan in force. If born at home or early: {plan['home_birth_contingency']} "
            f"Out of hours: {plan['out_of_hours_instructions']}",
            {"birth_plan": plan["id"]},
        )
        for plan in ctx.birth_plans
    ]


def parents_not_aware(ctx: GuidanceContext) -> list[Guidance]:
    """The parents do not know the plan: do not disclose it."""
    return [
        Guidance(
            "do_not_disclose_plan",
            "danger",
            "Do not disclose the birth plan to the parents."
            + (f" Reason: {plan['parents_not_aware_reason']}" if plan["parents_not_aware_reason"] else ""),
            {"birth_plan": plan["id"]},
        )
        for plan in ctx.birth_plans
        if plan["parents_aware_of_plan"] is False
    ]


def no_decision_maker(ctx: GuidanceContext) -> list[Guidance]:
    """Nobody is named as decision maker yet."""
    if not ctx.incident_open or ctx.has_decision_maker:
        return []
    return [Guidance("no_decision_maker", "warning", "Name a decision maker for this incident.")]


def parenting_capacity(ctx: GuidanceContext) -> list[Guidance]:
    """Learning disability or mental health flags on a parent: seek specialist advice on parenting capacity."""
    parents = {str(p) for p in ctx.parents()}
    relevant = [
        f
        for f in ctx.flags
        if f.category in ("learning_disability", "mental_health") and str(f.subject_person_id) in parents
    ]
    if not relevant:
        return []
    return [
        Guidance(
            "parenting_capacity",
            "warning",
            advice_line((_name(ctx, f.subject_person_id), f.category) for f in relevant),
            {"flags": [str(f.pk) for f in relevant]},
        )
    ]


def domestic_abuse(ctx: GuidanceContext) -> list[Guidance]:
    """Controlling behaviour or domestic abuse in the picture: consider a MARAC referral."""
    relevant = [f for f in ctx.flags if f.category in ("domestic_abuse", "controlling_behaviour")]
    # A referral on record already (a marac_case flag, or a DASH assessment that recommended one).
    marac_on_record = any(f.category == "marac_case" for f in ctx.flags) or ctx.marac_recommendations
    if not relevant or marac_on_record:
        return []
    return [
        Guidance(
            "consider_marac",
            "warning",
            "Domestic abuse or controlling behaviour is recorded: consider a MARAC referral.",
            {"flags": [str(f.pk) for f in relevant]},
        )
    ]


def marac_case(ctx: GuidanceContext) -> list[Guidance]:
    """A DASH assessment in the last 12 months recommended a MARAC referral: a high-risk victim, and a new
    incident is a repeat the MARAC must hear of."""
    return [
        Guidance(
            "marac_case",
            "warning",
            f"MARAC case: a DASH risk assessment of {_name(ctx, item.person_id)} on "
            f"{local_date(item.at):%d %b %Y} recommended a MARAC referral ({'; '.join(item.reasons)}). "
            "Treat it as high-risk domestic abuse; a new incident within 12 months goes back to the MARAC.",
            {"dash_assessment": str(item.assessment_id), "person": str(item.person_id)},
        )
        for item in ctx.marac_recommendations
    ]


RULES = [
    born_with_a_plan,  # first: a born child's plan says what happens now
    officer_safety,
    parents_not_aware,
    birth_plan_first,
    no_decision_maker,
    parenting_capacity,
    marac_case,
    domestic_abuse,
]


def guidance_for(ctx: GuidanceContext) -> list[Guidance]:
    items = [item for rule in RULES for item in rule(ctx)]
    return sorted(items, key=lambda g: LEVEL_ORDER[g.level])
