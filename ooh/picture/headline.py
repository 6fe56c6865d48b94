"""The headline: at most seven plain-English lines that open the linked picture and the incident
snapshot, written for the reader's service and role, in the order a person on a doorstep needs them:
danger to staff, the legal position and who holds the power to act, the plan's instructions for tonight,
who is coming and when, who decides.

It reads the picture as the API returns it (rows of ooh/shapes.py, labelled by ooh/picture/labels.py),
so the one-statement PostgreSQL picture and the ORM picture get the same lines.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ooh.accounts.models import AgencyKind
from ooh.flags.models import FlagCategory, FlagGroup, Severity
from ooh.incidents.models import AttendanceStatus
from ooh.people.models import PersonStatus
from ooh.plans.models import PlanStatus
from ooh.referrals.calendar import local_zone

from .audience import SOCIAL_CARE, Audience, how_to_go_in
from .labels import flag_what, user_name
from .legal import LOCAL_AUTHORITY, legal_position

MAX_LINES = 7
TEXT_LIMIT = 160  # characters of a plan's free text quoted in a line; the plan itself follows in full
CHILD_PROTECTION = frozenset({FlagCategory.CHILD_PROTECTION_PLAN, FlagCategory.UNBORN_CHILD_PROTECTION_PLAN})
WAITING = frozenset({AttendanceStatus.REQUESTED, AttendanceStatus.ACKNOWLEDGED})
COMING = frozenset({AttendanceStatus.ATTENDING, AttendanceStatus.EN_ROUTE})


@dataclass(frozen=True)
class Line:
    code: str
    text: str
    level: str  # danger | warning | info
    source: str  # flag | plan | attendance | rule
    ids: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "text": self.text,
            "level": self.level,
            "source": self.source,
            "ids": list(self.ids),
        }


@dataclass
class IncidentView:
    """What the snapshot adds to the picture: who is coming and who decides."""

    kind: str
    attendance: list[dict[str, Any]]  # attendance rows, each with its agency row
    decision_maker: dict[str, Any] | None  # the appointment row
    lead_professional: dict[str, Any] | None
    agencies: list[dict[str, Any]] = field(default_factory=list)  # agency rows on the incident

    def ooh_not_attending(self) -> list[dict[str, Any]]:
        """The attendance rows of out-of-hours social care saying it cannot attend."""
        return [
            r
            for r in self.attendance
            if r["agency"]["kind"] == AgencyKind.OOH_SOCIAL_CARE
            and r["status"] == AttendanceStatus.CANNOT_ATTEND
        ]


@dataclass
class Night:
    flags: list[dict[str, Any]]  # labelled, officer safety first, then severity, then newest
    plans: list[dict[str, Any]]  # plan summary rows
    people: Mapping[str, Mapping[str, Any]]  # person rows by id
    now: datetime
    incident: IncidentView | None = None

    def plans_in_order(self) -> list[dict[str, Any]]:
        """Agreed plans before drafts, each group as the picture lists them."""
        return sorted(self.plans, key=lambda p: p["status"] != PlanStatus.ACTIVE)


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """'Risk of flight' -> 'risk of flight' (not 'EDT' -> 'eDT')."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def _clock(value: str | None) -> str:
    if not value:
        return "?"
    return f"{datetime.fromisoformat(value).astimezone(local_zone()):%H:%M}"


def _level_of(flags: list[dict[str, Any]]) -> str:
    return "danger" if any(f["severity"] in (Severity.HIGH, Severity.CRITICAL) for f in flags) else "warning"


# --- Danger to staff ----------------------------------------------------------------------------------


def danger(night: Night, audience: Audience) -> list[Line]:
    """Officer-safety markers, one line per person or address (a second line holds the rest)."""
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for flag in night.flags:
        if flag["group"] == FlagGroup.OFFICER_SAFETY:
            by_subject.setdefault(flag["subject_label"], []).append(flag)
    groups = list(by_subject.items())
    if not groups:
        return []

    def words(label: str, flags: list[dict[str, Any]]) -> str:
        return f"{label}: {'; '.join(flag_what(f) for f in flags)}."

    first_label, first_flags = groups[0]
    lines = [
        Line(
            "danger_to_staff",
            f"{words(first_label, first_flags)} {how_to_go_in(audience)}",
            "danger",
            "flag",
            tuple(f["id"] for f in first_flags),
        )
    ]
    if len(groups) > 1:
        rest = [f for _label, flags in groups[1:] for f in flags]
        lines.append(
            Line(
                "danger_to_staff",
                " ".join(words(label, flags) for label, flags in groups[1:]),
                _level_of(rest),
                "flag",
                tuple(f["id"] for f in rest),
            )
        )
    return lines


# --- Legal position and powers ------------------------------------------------------------------------


def _powers(audience: Audience, removal_power: str) -> str:
    if removal_power == LOCAL_AUTHORITY:
        if audience.service == SOCIAL_CARE:
            return " Your service holds that power: take a copy of the order."
        return (
            " Police protection is needed only if the local authority cannot act." if audience.police else ""
        )
    if audience.police:
        return (
            " Those powers sit with the officers you send."
            if audience.control_room
            else " Those powers sit with you."
        )
    return " Only a police officer can use them."


def legal(night: Night, audience: Audience) -> list[Line]:
    """The legal position from the plan (with what it means tonight), else a child protection flag
    without a plan; then any flight risk."""
    lines = []
    plan = next(
        (
            p
            for p in night.plans_in_order()
            if p["child_protection_status"] != "none" or p["legal_status"] != "none"
        ),
        None,
    )
    if plan is not None:
        position = legal_position(plan)
        words = position.status_words()
        meaning = (
            f"{words}. {_upper_first(position.meaning)}." if words else f"{_upper_first(position.meaning)}."
        )
        lines.append(
            Line(
                "legal_position",
                meaning + _powers(audience, position.removal_power),
                "warning",
                "plan",
                (plan["id"],),
            )
        )
    else:
        unplanned = [f for f in night.flags if f["category"] in CHILD_PROTECTION]
        if unplanned and not night.plans:
            flag = unplanned[0]
            lines.append(
                Line(
                    "child_protection_no_plan",
                    f"{flag['subject_label']}: {flag['category_label'].lower()}, but no birth plan here, so the "
                    "legal position is not recorded. Ask out-of-hours social care before acting.",
                    "warning",
                    "flag",
                    (flag["id"],),
                )
            )
    flight = [f for f in night.flags if f["category"] == FlagCategory.FLIGHT_RISK]
    if flight:
        lines.append(
            Line(
                "flight_risk",
                " ".join(
                    f"{f['subject_label']}: flight risk, {f['severity_label'].lower()}. "
                    + _sentence(f["handling_instructions"] or f["summary"])
                    for f in flight
                ),
                _level_of(flight),
                "flag",
                tuple(f["id"] for f in flight),
            )
        )
    return lines


# --- The plan's instructions for tonight ----------------------------------------------------------------


def _agency_name(agency: Mapping[str, Any], audience: Audience) -> str:
    return f"{agency['name']} (your agency)" if agency["id"] == audience.agency_id else str(agency["name"])


def _not_read(plan: Mapping[str, Any], audience: Audience, on_incident: set[str] | None) -> str:
    """'Version 3 not read by: your agency, Police control (last read version 2).' - the agencies shared
    with (on the incident, when there is one) that are behind the current version."""
    behind = []
    for share in plan["shared_with"]:
        agency = share["agency"]
        if share["read_version"] == plan["version"] or (
            on_incident is not None and agency["id"] not in on_incident
        ):
            continue
        name = _agency_name(agency, audience)
        last = f" (last read version {share['read_version']})" if share["read_version"] is not None else ""
        behind.append(name + last)
    return f"Version {plan['version']} not read by: {', '.join(behind)}" if behind else ""


def _born(night: Night, plan: Mapping[str, Any]) -> date | None:
    child = night.people.get(plan["unborn_child"])
    if child is None or child["status"] != PersonStatus.LIVING or not child["date_of_birth"]:
        return None
    return date.fromisoformat(child["date_of_birth"])


def plan_tonight(night: Night, audience: Audience) -> list[Line]:
    """The first plan's instructions for tonight (what it says at birth, once the baby is born); then
    what must not be said, who is excluded and who has not read it."""
    plans = night.plans_in_order()
    if not plans:
        return []
    plan = plans[0]
    born = _born(night, plan)
    if born is not None:
        first = Line(
            "plan_at_birth",
            f"Born {born:%d %b %Y}: the birth plan says: {_sentence(_clip(plan['plan_at_birth']))}",
            "danger",
            "plan",
            (plan["id"],),
        )
    else:
        state = (
            f"Birth plan, agreed, version {plan['version']}"
            if plan["status"] == PlanStatus.ACTIVE
            else f"Birth plan: DRAFT, NOT AGREED, version {plan['version']}"
        )
        first = Line(
            "plan_tonight",
            f"{state}. If born at home or early: {_sentence(_clip(plan['home_birth_contingency']))} "
            f"Out of hours: {_sentence(_clip(plan['out_of_hours_instructions']))}"
            + (f" {len(plans) - 1} more plan(s) below." if len(plans) > 1 else ""),
            "warning",
            "plan",
            (plan["id"],),
        )
    parts = []
    if plan["parents_aware_of_plan"] is False:
        reason = plan["parents_not_aware_reason"].strip().rstrip(".")
        parts.append(
            "Do not tell the parents about the plan" + (f" ({_lower_first(reason)})" if reason else "")
        )
    excluded = [e.get("name", "") for e in plan["people_excluded"] if e.get("name")]
    if excluded:
        parts.append(f"Excluded from the ward: {', '.join(excluded)}")
    on_incident = {a["id"] for a in night.incident.agencies} if night.incident else None
    unread = _not_read(plan, audience, on_incident)
    if unread:
        parts.append(unread)
    lines = [first]
    if parts:
        lines.append(
            Line(
                "plan_cautions",
                " ".join(_sentence(p) for p in parts),
                "danger" if plan["parents_aware_of_plan"] is False else "warning",
                "plan",
                (plan["id"],),
            )
        )
    return lines


# --- Who is coming, who decides --------------------------------------------------------------------------


def _attendance_words(row: Mapping[str, Any], audience: Audience, now: datetime) -> str | None:
    name, status = _agency_name(row["agency"], audience), row["status"]
    if status in COMING:
        late = row["eta"] and datetime.fromisoformat(row["eta"]) < now
        return f"{name}: coming, ETA {_clock(row['eta'])}" + (", now overdue" if late else "")
    if status == AttendanceStatus.ON_SCENE:
        return f"{name}: on scene"
    if status == AttendanceStatus.CANNOT_ATTEND:
        return f"{name}: cannot attend ({_lower_first(row['agreed_role'].strip().rstrip('.'))})"
    if status == AttendanceStatus.LEFT:
        return f"{name}: has left"
    return None  # waiting rows are listed apart; stood down is no longer part of the night


def coming(night: Night, audience: Audience) -> list[Line]:
    incident = night.incident
    if incident is None:
        return []
    rows = incident.attendance
    answered = [w for r in rows if (w := _attendance_words(r, audience, night.now))]
    waiting = [
        f"{_agency_name(r['agency'], audience)}, asked {_clock(r['requested_at'])}"
        + (", overdue" if r["respond_by"] and datetime.fromisoformat(r["respond_by"]) < night.now else "")
        for r in rows
        if r["status"] in WAITING
    ]
    if not answered and not waiting:
        return [Line("coming", "No agency has been asked to attend yet.", "warning", "attendance")]
    text = "; ".join(answered) + "." if answered else ""
    if waiting:
        text += f" Not answered: {', '.join(waiting)}."
    worrying = waiting or any(
        r["status"] == AttendanceStatus.CANNOT_ATTEND
        or (r["status"] in COMING and r["eta"] and datetime.fromisoformat(r["eta"]) < night.now)
        for r in rows
    )
    return [
        Line(
            "coming",
            text.strip(),
            "warning" if worrying else "info",
            "attendance",
            tuple(r["id"] for r in rows if r["status"] != AttendanceStatus.STOOD_DOWN),
        )
    ]


def decides(night: Night, audience: Audience) -> list[Line]:
    incident = night.incident
    if incident is None:
        return []
    agencies = {a["id"]: a["name"] for a in incident.agencies}
    lead = incident.lead_professional
    lead_words = f" Lead professional: {user_name(lead['user'])}." if lead else ""
    appointment = incident.decision_maker
    if appointment is None:
        ask = " Name one now." if audience.control_room else " Ask the control room who decides."
        ooh = incident.ooh_not_attending()
        police = (
            " Out-of-hours social care cannot attend: the decision on police protection rests with police."
            if ooh
            else ""
        )
        return [
            Line("no_decision_maker", f"No decision maker yet.{ask}{police}{lead_words}", "warning", "rule")
        ]
    you = appointment["user"]["id"] == audience.user_id
    who = f"{user_name(appointment['user'])} ({agencies.get(appointment['agency'], 'agency not on the incident')})"
    if appointment.get("accepted", True):
        text = "You are the decision maker." if you else f"Decision maker: {who}."
        level = "info"
    else:
        text = (
            "You are appointed decision maker: accept or decline now."
            if you
            else f"Decision maker: {who}, appointed, not yet accepted."
        )
        level = "warning"
    return [Line("decision_maker", text + lead_words, level, "attendance", (appointment["id"],))]


# Each section's lines in the order they are read; the first line of each is always shown, then the
# further lines in EXTRA order while there is room.
SECTIONS: list[tuple[str, Callable[[Night, Audience], list[Line]]]] = [
    ("danger", danger),
    ("legal", legal),
    ("plan", plan_tonight),
    ("coming", coming),
    ("decides", decides),
]
EXTRA = ["danger", "plan", "legal"]


def headline(night: Night, audience: Audience) -> list[dict[str, Any]]:
    found = {name: section(night, audience) for name, section in SECTIONS}
    chosen = {name: lines[:1] for name, lines in found.items()}
    room = MAX_LINES - sum(len(lines) for lines in chosen.values())
    for name in EXTRA:
        extra = found[name][1:]
        take = extra[: max(room, 0)]
        chosen[name] += take
        room -= len(take)
    return [line.as_dict() for name, _section in SECTIONS for line in chosen[name]]
