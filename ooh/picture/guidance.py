"""Guidance rules: what the linked picture and the incident say a responder should do first.

Each rule is a small function of a GuidanceContext returning zero or more Guidance items; the
snapshot shows them in order of level (danger, then warning, then info).
"""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ooh.flags.models import Flag, FlagCategory, FlagGroup, Severity
from ooh.people.links import Edge
from ooh.people.models import Person, PersonStatus
from ooh.plans.models import PlanStatus
from ooh.referrals.calendar import local_date
from ooh.referrals.dash import MaracRecommendation
from ooh.referrals.parenting import advice_line

from .audience import OTHER, Audience, how_to_go_in
from .headline import CHILD_PROTECTION, IncidentView
from .labels import CATEGORY_WORDS, user_name
from .legal import legal_position

LEVEL_ORDER = {"danger": 0, "warning": 1, "info": 2}
PARENT_KINDS = frozenset({"mother_of", "father_of", "parent_of"})
NEWBORN_DAYS = 28  # a child protection flag on a baby this young still calls for a birth plan


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
    # The flags as the picture shows them (labelled for a person: subject_label, category_label), by id.
    flag_rows: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    audience: Audience = field(default_factory=lambda: Audience(OTHER, False))
    incident: IncidentView | None = None  # who is coming and who decides, on an incident
    now: datetime | None = None

    def label(self, flag: Flag) -> str:
        row = self.flag_rows.get(str(flag.pk))
        return str(row["subject_label"]) if row else _name(self, flag.subject_person_id)

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


def _handling(flags: Iterable[Flag]) -> str:
    """The flags' handling instructions, each once, as sentences."""
    said = dict.fromkeys(
        f.handling_instructions.strip().rstrip(".") for f in flags if f.handling_instructions.strip()
    )
    return "".join(f" {text}." for text in said)


def officer_safety(ctx: GuidanceContext) -> list[Guidance]:
    """Officer-safety markers anywhere in the picture: whose, what, how to go in (for the reader's
    service), and their handling instructions."""
    markers = [f for f in ctx.flags if f.group == FlagGroup.OFFICER_SAFETY]
    if not markers:
        return []
    by_label: dict[str, list[Flag]] = {}
    for flag in markers:
        by_label.setdefault(ctx.label(flag), []).append(flag)
    what = " ".join(
        f"{label}: "
        + "; ".join(f"{CATEGORY_WORDS[f.category]} ({f.summary.strip().rstrip('.')})" for f in flags)
        + "."
        for label, flags in by_label.items()
    )
    return [
        Guidance(
            "officer_safety",
            "danger",
            f"Officer safety. {what} {how_to_go_in(ctx.audience)}{_handling(markers)}",
            {"flags": [str(f.pk) for f in markers]},
        )
    ]


def birth_plan_first(ctx: GuidanceContext) -> list[Guidance]:
    """A birth plan exists: its home-birth contingency and out-of-hours instructions come first (a draft
    is shown as one, never dropped)."""
    return [
        Guidance(
            "birth_plan",
            "warning",
            ("Birth plan in force" if plan["status"] == PlanStatus.ACTIVE else "Draft birth plan, not agreed")
            + f". If born at home or early: {plan['home_birth_contingency']} "
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
    appointed = ctx.incident.decision_maker if ctx.incident else None
    if appointed is not None:
        who = user_name(appointed["user"])
        return [
            Guidance(
                "no_decision_maker",
                "warning",
                f"{who} is appointed decision maker but has not accepted: until they do, nobody decides.",
                {"appointment": appointed["id"]},
            )
        ]
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


def _who_decides(view: IncidentView) -> str:
    appointed = view.decision_maker
    if appointed is None:
        return "nobody is named decision maker yet"
    who = user_name(appointed["user"])
    return f"the decision maker is {who}" + ("" if appointed.get("accepted", True) else ", not yet accepted")


def ooh_cannot_attend(ctx: GuidanceContext) -> list[Guidance]:
    """The out-of-hours social care team cannot attend: the power to remove the baby tonight is police
    protection, with police; and who decides now."""
    if ctx.incident is None:
        return []
    return [
        Guidance(
            "ooh_cannot_attend",
            "danger",
            f"{row['agency']['name']} cannot attend ({row['agreed_role'].strip().rstrip('.')}). If the baby must "
            f"be removed tonight it is by police protection: that power sits with police. Now "
            f"{_who_decides(ctx.incident)}.",
            {"attendance": row["id"]},
        )
        for row in ctx.incident.ooh_not_attending()
    ]


def no_court_order(ctx: GuidanceContext) -> list[Guidance]:
    """A child with a child protection status and no court order: removal needs police protection."""
    items = []
    for plan in ctx.birth_plans:
        position = legal_position(plan)
        if position.court_order or not position.has_child_protection:
            continue
        items.append(
            Guidance(
                "no_court_order",
                "warning",
                f"No court order is in force ({position.status_words()}): {position.meaning}.",
                {"birth_plan": plan["id"]},
            )
        )
    return items


def flight_risk(ctx: GuidanceContext) -> list[Guidance]:
    """A flight risk in the picture: who, why, and how to handle it."""
    flags = [f for f in ctx.flags if f.category == FlagCategory.FLIGHT_RISK]
    return [
        Guidance(
            "flight_risk",
            "danger" if f.severity in (Severity.HIGH, Severity.CRITICAL) else "warning",
            f"Flight risk: {ctx.label(f)}: {f.summary.strip().rstrip('.')}.{_handling([f])}",
            {"flags": [str(f.pk)]},
        )
        for f in flags
    ]


def plan_is_draft(ctx: GuidanceContext) -> list[Guidance]:
    """A shared draft is shown, as a draft: it is not agreed."""
    items = []
    for plan in ctx.birth_plans:
        if plan["status"] != PlanStatus.DRAFT:
            continue
        lead = plan["lead_professional"]
        confirm = f" with the lead professional, {user_name(lead)}" if lead else ""
        items.append(
            Guidance(
                "plan_draft",
                "warning",
                f"The birth plan is a draft, not agreed (version {plan['version']}): follow it with care and "
                f"confirm it{confirm}.",
                {"birth_plan": plan["id"]},
            )
        )
    return items


def plan_agreed_since_read(ctx: GuidanceContext) -> list[Guidance]:
    """A plan agreed after every acknowledgement of it: whoever read it read a draft."""
    items = []
    for plan in ctx.birth_plans:
        agreed = plan.get("activated_at")
        reads = [s["read_at"] for s in plan["shared_with"] if s["read_at"]]
        if plan["status"] != PlanStatus.ACTIVE or not agreed or not plan["shared_with"]:
            continue
        if reads and max(datetime.fromisoformat(r) for r in reads) >= datetime.fromisoformat(agreed):
            continue
        when = (
            date.fromisoformat(plan["agreed_on"])
            if plan.get("agreed_on")
            else local_date(datetime.fromisoformat(agreed))
        )
        items.append(
            Guidance(
                "plan_agreed_since_read",
                "warning",
                f"The birth plan was agreed on {when:%d %b %Y}, after it was last read: the agencies it was "
                "shared with may be working from a draft.",
                {"birth_plan": plan["id"]},
            )
        )
    return items


def _newborn(person: Person | None, today: date) -> bool:
    if person is None:
        return False
    if person.status == PersonStatus.UNBORN:
        return True
    return person.date_of_birth is not None and (today - person.date_of_birth).days <= NEWBORN_DAYS


def child_protection_without_plan(ctx: GuidanceContext) -> list[Guidance]:
    """A child protection flag on an unborn or newborn child with no birth plan shown for them."""
    planned = {str(p["unborn_child"]) for p in ctx.birth_plans}
    today = local_date(ctx.now) if ctx.now else date.today()
    items = []
    for flag in ctx.flags:
        child = flag.subject_person_id
        if flag.category not in CHILD_PROTECTION or child is None or str(child) in planned:
            continue
        if not _newborn(ctx.people.get(child) or ctx.people.get(str(child)), today):
            continue
        items.append(
            Guidance(
                "child_protection_no_plan",
                "warning",
                f"{ctx.label(flag)}: {CATEGORY_WORDS[flag.category]}, but no birth plan is shared for this child. Ask "
                "out-of-hours social care what the plan is before acting.",
                {"flags": [str(flag.pk)]},
            )
        )
    return items


def _agency_words(agency: Mapping[str, Any], audience: Audience) -> str:
    return "your agency" if str(agency["id"]) == audience.agency_id else str(agency["name"])


def agency_has_not_read_plan(ctx: GuidanceContext) -> list[Guidance]:
    """An agency on the incident (or, in a picture, one the plan was shared with) has not read the
    current version, or was never given the plan."""
    items = []
    on_incident = {str(a["id"]): a for a in ctx.incident.agencies} if ctx.incident else None
    for plan in ctx.birth_plans:
        shared = {str(s["agency"]["id"]): s for s in plan["shared_with"]}
        behind = [
            s["agency"]
            for agency_id, s in shared.items()
            if s["read_version"] != plan["version"] and (on_incident is None or agency_id in on_incident)
        ]
        unshared = [
            a
            for agency_id, a in (on_incident or {}).items()
            if agency_id not in shared and agency_id != str(plan["authoring_agency"])
        ]
        words = []
        if behind:
            words.append(
                f"{', '.join(_agency_words(a, ctx.audience) for a in behind)} "
                f"{'has' if len(behind) == 1 else 'have'} not read version {plan['version']} of the birth plan"
            )
        if unshared:
            words.append(
                f"it was never shared with {', '.join(_agency_words(a, ctx.audience) for a in unshared)}"
            )
        if words:
            text = "; ".join(words)
            items.append(
                Guidance(
                    "plan_not_read",
                    "warning",
                    f"{text[0].upper()}{text[1:]}: read it before acting.",
                    {"birth_plan": plan["id"], "agencies": [str(a["id"]) for a in [*behind, *unshared]]},
                )
            )
    return items


def tell_lead_professional(ctx: GuidanceContext) -> list[Guidance]:
    """A baby born: the lead professional must know tonight. Recording the birth tells them."""
    items = []
    for plan in ctx.birth_plans:
        lead = plan["lead_professional"]
        child = ctx.people.get(plan["unborn_child"]) or ctx.people.get(uuid.UUID(str(plan["unborn_child"])))
        if lead is None or child is None:
            continue
        name = user_name(lead)
        if child.status == PersonStatus.LIVING and child.date_of_birth is not None:
            items.append(
                Guidance(
                    "baby_born",
                    "info",
                    f"The birth was recorded ({child.date_of_birth:%d %b %Y}): the lead professional, {name}, "
                    "and the agencies the plan was shared with have been told.",
                    {"birth_plan": plan["id"], "person": str(child.pk)},
                )
            )
        elif (
            child.status == PersonStatus.UNBORN and ctx.incident is not None and ctx.incident.kind == "birth"
        ):
            items.append(
                Guidance(
                    "baby_born",
                    "warning",
                    f"If the baby has been born, record the birth on the baby's record: that tells the lead "
                    f"professional, {name}, and every agency the plan was shared with.",
                    {"birth_plan": plan["id"], "person": str(child.pk)},
                )
            )
    return items


def handling_instructions(ctx: GuidanceContext) -> list[Guidance]:
    """Every other flag's handling instructions travel with it (officer-safety ones are said above)."""
    return [
        Guidance(
            "handling_instructions",
            "warning",
            f"{ctx.label(f)} ({CATEGORY_WORDS[f.category]}): {f.handling_instructions.strip().rstrip('.')}.",
            {"flags": [str(f.pk)]},
        )
        for f in ctx.flags
        if f.group != FlagGroup.OFFICER_SAFETY
        and f.category != FlagCategory.FLIGHT_RISK
        and f.handling_instructions.strip()
    ]


RULES = [
    born_with_a_plan,  # first: a born child's plan says what happens now
    officer_safety,
    ooh_cannot_attend,
    parents_not_aware,
    flight_risk,
    no_court_order,
    birth_plan_first,
    plan_is_draft,
    plan_agreed_since_read,
    child_protection_without_plan,
    agency_has_not_read_plan,
    tell_lead_professional,
    no_decision_maker,
    parenting_capacity,
    marac_case,
    domestic_abuse,
    handling_instructions,
]


def guidance_for(ctx: GuidanceContext) -> list[Guidance]:
    items = [item for rule in RULES for item in rule(ctx)]
    return sorted(items, key=lambda g: LEVEL_ORDER[g.level])
