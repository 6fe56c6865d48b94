"""Escalation rules: each a small function over database state, returning what is due now.

A rule takes `now` (injected, so tests never sleep) and optionally one subject key, and returns Due
items. The same function decides raising (something is due) and resolving (it no longer is).
"""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from django.db.models import Q

from ooh.accounts.models import AgencyKind, Membership, Role
from ooh.flags.models import NEEDS_REVIEW_BY, Flag, FlagGroup, FlagStatus
from ooh.incidents.models import (
    Appointment,
    AppointmentRole,
    Attendance,
    AttendanceStatus,
    Incident,
    IncidentStatus,
)
from ooh.incidents.rules import COMING
from ooh.people.links import current_address_ids, linked_ids
from ooh.people.models import Person, PersonStatus
from ooh.plans.models import BirthPlan, PlanStatus
from ooh.plans.queries import active_plans_for

from . import casework_rules, prebirth_rules
from .due import Due, Rule, managers_of, minutes, row_id_in_key, set_by_filter, stamp, unraised

__all__ = [
    "RULES",
    "Due",
    "Rule",
    "all_due",
    "due_now",
    "managers_of",
    "stamp",
    "still_due",
    "still_due_among",
]

# Agencies whose acknowledgement of the current birth plan version the night depends on.
PLAN_READERS = (AgencyKind.POLICE, AgencyKind.AMBULANCE, AgencyKind.OOH_SOCIAL_CARE, AgencyKind.MIDWIFERY)


def attendance_not_answered(
    now: datetime,
    subject_key: str | None = None,
    *,
    fresh: bool = False,
    keys_only: bool = False,
    among: Collection[str] | None = None,
) -> list[Due]:
    """An agency asked to attend has not moved past `requested` by respond_by -> its duty managers."""

    only = row_id_in_key(subject_key, "attendance")
    if only is False:
        return []
    rows = Attendance.objects.filter(
        status=AttendanceStatus.REQUESTED,
        respond_by__lte=now - minutes("attendance_not_answered"),
        incident__status=IncidentStatus.OPEN,
    ).select_related("agency", "incident")
    if only:
        rows = rows.filter(pk=only)
    keyed = {f"attendance:{row.pk}:{stamp(set_by_filter(row.respond_by))}": row for row in rows}
    if fresh:
        keyed = unraised("attendance_not_answered", keyed)
    return [
        Due(
            "attendance_not_answered",
            key,
            set_by_filter(row.respond_by) + minutes("attendance_not_answered"),
            f"{row.agency.name} has not answered the request to attend {row.incident.reference}.",
            users=set() if keys_only else managers_of([row.agency_id]),
            agencies={row.agency_id},
            incident_id=row.incident_id,
        )
        for key, row in keyed.items()
    ]


def eta_overdue(
    now: datetime,
    subject_key: str | None = None,
    *,
    fresh: bool = False,
    keys_only: bool = False,
    among: Collection[str] | None = None,
) -> list[Due]:
    """Attending or en route, the ETA long past and not on scene -> the control room and the agency's managers."""

    only = row_id_in_key(subject_key, "eta")
    if only is False:
        return []
    rows = Attendance.objects.filter(
        status__in=COMING, eta__lte=now - minutes("eta_overdue"), incident__status=IncidentStatus.OPEN
    ).select_related("agency", "incident")
    if only:
        rows = rows.filter(pk=only)
    keyed = {f"eta:{row.pk}:{stamp(set_by_filter(row.eta))}": row for row in rows}
    if fresh:
        keyed = unraised("eta_overdue", keyed)
    due = []
    for key, row in keyed.items():
        if keys_only:
            due.append(Due("eta_overdue", key, set_by_filter(row.eta) + minutes("eta_overdue"), ""))
            continue
        control_room = set(
            Membership.objects.filter(
                agency_id=row.incident.opening_agency_id,
                role__in=[Role.CALL_HANDLER, Role.CONTROL_ROOM_SUPERVISOR],
                user__is_active=True,
            ).values_list("user_id", flat=True)
        )
        due.append(
            Due(
                "eta_overdue",
                key,
                set_by_filter(row.eta) + minutes("eta_overdue"),
                f"{row.agency.name} said it would arrive at {row.eta:%H:%M} at {row.incident.reference} "
                f"and is not on scene.",
                users=control_room | managers_of([row.agency_id]),
                agencies={row.agency_id, row.incident.opening_agency_id},
                incident_id=row.incident_id,
            )
        )
    return due


def _nobody_deciding(incident: Incident) -> str:
    named = incident.decision_maker
    if named is None:
        return (
            f"Nobody is named decision maker on {incident.reference}, opened at {incident.opened_at:%H:%M}."
        )
    return (
        f"{named.user.display_name or named.user.username} was named decision maker on {incident.reference} "
        f"at {named.at:%H:%M} and has not accepted."
    )


def _episodes(incidents: list[Incident], now: datetime) -> dict[Incident, tuple[str, datetime]]:
    """{incident: (subject key, due at)} for the incidents whose time without a decision maker is up
    (one query). Until someone first accepts, the chase is `incident:<id>`, due N minutes after opening.
    Once an accepted decision maker is replaced (and the new one has not accepted, or declined), a new
    chase starts, `incident:<id>:<when replaced>`, due N minutes after the handover: the first chain was
    resolved by the acceptance, and a lapse later in the night is chased again."""
    wait = minutes("no_decision_maker")
    named: dict[Any, list[tuple[datetime, datetime | None]]] = {}
    for incident_id, at, accepted_at in Appointment.objects.filter(
        incident__in=incidents, role=AppointmentRole.DECISION_MAKER
    ).values_list("incident_id", "at", "accepted_at"):
        named.setdefault(incident_id, []).append((at, accepted_at))
    episodes = {}
    for incident in incidents:
        appointments = sorted(named.get(incident.pk, []))
        accepted = [at for at, accepted_at in appointments if accepted_at is not None]
        if not accepted:
            key, due_at = f"incident:{incident.pk}", incident.opened_at + wait
        else:
            handover = min((at for at, _ in appointments if at > max(accepted)), default=None)
            if handover is None:  # the accepted one is still current: nothing lapsed
                continue
            key, due_at = f"incident:{incident.pk}:{stamp(handover)}", handover + wait
        if due_at <= now:
            episodes[incident] = (key, due_at)
    return episodes


def no_decision_maker(
    now: datetime,
    subject_key: str | None = None,
    *,
    fresh: bool = False,
    keys_only: bool = False,
    among: Collection[str] | None = None,
) -> list[Due]:
    """An open incident with safeguarding or officer-safety flags in its picture and nobody deciding
    after N minutes -> the control room supervisor and the lead professional of any birth plan in force.
    Nobody decides until the decision maker named has accepted (a decline empties the role again)."""

    only = row_id_in_key(subject_key, "incident")
    if only is False:
        return []
    incidents = Incident.objects.filter(
        Q(decision_maker__isnull=True) | Q(decision_maker__accepted_at__isnull=True),
        status=IncidentStatus.OPEN,
        opened_at__lte=now - minutes("no_decision_maker"),
    ).select_related("decision_maker__user")
    if only:
        incidents = incidents.filter(pk=only)
    if among is not None:  # the sweeper re-checking its open chains: only their incidents
        incidents = incidents.filter(pk__in=[key.split(":")[1] for key in among])
    episodes = _episodes(list(incidents), now)
    keyed = {key: incident for incident, (key, _due) in episodes.items()}
    if fresh:  # the linked picture of each is read only for incidents not yet raised
        keyed = unraised("no_decision_maker", keyed)
    due = []
    for key, incident in keyed.items():
        # The incident's picture (its subjects and everyone linked to them, and where they live) has a
        # safeguarding or officer-safety flag in force.
        people = linked_ids(incident.subjects.values_list("person_id", flat=True), depth=1)
        if (
            not Flag.objects.in_force(now)
            .about(people, current_address_ids(people))
            .filter(group__in=[FlagGroup.SAFEGUARDING, FlagGroup.OFFICER_SAFETY])
            .exists()
        ):
            continue
        # The control room supervisors of every agency on the incident (the opener, the agencies with a stake).
        involved = list(incident.agencies.values_list("agency_id", flat=True))
        supervisors = set(
            Membership.objects.filter(
                agency_id__in=involved, role=Role.CONTROL_ROOM_SUPERVISOR, user__is_active=True
            ).values_list("user_id", flat=True)
        )
        leads = set(
            active_plans_for(people)
            .exclude(lead_professional=None)
            .values_list("lead_professional_id", flat=True)
        )
        due.append(
            Due(
                "no_decision_maker",
                key,
                episodes[incident][1],
                _nobody_deciding(incident),
                users=supervisors | leads,
                agencies=set(involved),
                incident_id=incident.pk,
            )
        )
    return due


def birth_plan_not_ready(
    now: datetime,
    subject_key: str | None = None,
    *,
    fresh: bool = False,
    keys_only: bool = False,
    among: Collection[str] | None = None,
) -> list[Due]:
    """An unborn child with a child protection flag expected within N minutes (28 days) with no plan in
    force, or one that police, ambulance, out-of-hours social care or midwifery have not acknowledged at
    its current version -> the lead professional (or the flag's owner) and their manager."""

    only = row_id_in_key(subject_key, "unborn")
    if only is False:
        return []
    horizon = (now + minutes("birth_plan_not_ready")).date()
    flagged = Flag.objects.in_force(now).filter(
        category__in=["unborn_child_protection_plan", "child_protection_plan"],
        subject_person__status=PersonStatus.UNBORN,
    )
    children = Person.objects.filter(
        status=PersonStatus.UNBORN, expected_date__lte=horizon, pk__in=flagged.values("subject_person_id")
    )
    if only:
        children = children.filter(pk=only)
    due = []
    for child in children:
        plan = (
            BirthPlan.objects.filter(unborn_child=child, status=PlanStatus.ACTIVE)
            .prefetch_related("shares__agency", "acknowledgements__agency")
            .first()
        )
        owner_ids = set(flagged.filter(subject_person=child).values_list("owner_id", flat=True))
        if plan is None:
            gap, stamp, lead_ids = "has no birth plan in force", "none", owner_ids
        else:
            read = {a.agency.kind for a in plan.acknowledgements.all() if a.version == plan.version}
            missing = [k for k in PLAN_READERS if k not in read]
            if not missing:
                continue
            readers = ", ".join(str(AgencyKind(kind).label).lower() for kind in missing)
            gap = f"has a birth plan not yet acknowledged at version {plan.version} by {readers}"
            stamp = f"{plan.pk}:{plan.version}"
            lead_ids = {plan.lead_professional_id} if plan.lead_professional_id else owner_ids
        lead_agencies = set(
            Membership.objects.filter(user_id__in=lead_ids).values_list("agency_id", flat=True)
        )
        due.append(
            Due(
                "birth_plan_not_ready",
                f"unborn:{child.pk}:{stamp}",
                now,
                f"The unborn child of the {child.family_name} family, expected {child.expected_date:%d %b}, {gap}.",
                users=set(lead_ids) | managers_of(lead_agencies),
                agencies=lead_agencies,
            )
        )
    return list(unraised("birth_plan_not_ready", {d.subject_key: d for d in due}).values()) if fresh else due


def flag_review_overdue(
    now: datetime,
    subject_key: str | None = None,
    *,
    fresh: bool = False,
    keys_only: bool = False,
    among: Collection[str] | None = None,
) -> list[Due]:
    """An active high or critical flag past its review date -> its owner, then the owner's manager."""
    only = row_id_in_key(subject_key, "flag")
    if only is False:
        return []
    cutoff = (now - minutes("flag_review_overdue")).date()
    flags = (
        Flag.objects.in_force(now)
        .filter(severity__in=sorted(NEEDS_REVIEW_BY), review_by__lt=cutoff, status=FlagStatus.ACTIVE)
        .select_related("owner__membership")
    )
    if only:
        flags = flags.filter(pk=only)
    due = [
        Due(
            "flag_review_overdue",
            f"flag:{flag.pk}:{set_by_filter(flag.review_by).isoformat()}",
            now,
            f"The {flag.get_severity_display().lower()} {flag.get_category_display().lower()} flag "
            f"'{flag.summary}' was due for review on {flag.review_by:%d %b %Y}.",
            users={flag.owner_id},
            agencies={flag.owner.membership.agency_id} if hasattr(flag.owner, "membership") else set(),
        )
        for flag in flags
    ]
    return list(unraised("flag_review_overdue", {d.subject_key: d for d in due}).values()) if fresh else due


RULES: dict[str, Rule] = {
    **casework_rules.RULES,
    **prebirth_rules.RULES,
    "attendance_not_answered": attendance_not_answered,
    "eta_overdue": eta_overdue,
    "no_decision_maker": no_decision_maker,
    "birth_plan_not_ready": birth_plan_not_ready,
    "flag_review_overdue": flag_review_overdue,
}


def all_due(now: datetime) -> list[Due]:
    """Everything due now and not raised yet (the sweeper's question; `fresh` in every rule)."""
    return [due for rule in RULES.values() for due in rule(now, fresh=True)]


def due_now(rule: str, subject_key: str, now: datetime) -> Due | None:
    """This subject's Due if the rule still finds it due, else None."""
    return next((d for d in RULES[rule](now, subject_key=subject_key) if d.subject_key == subject_key), None)


def still_due(rule: str, subject_key: str, now: datetime) -> bool:
    return due_now(rule, subject_key, now) is not None


def still_due_among(rule: str, subject_keys: Collection[str], now: datetime) -> set[str]:
    """Which of these subject keys are still due: one pass of the rule for all of them (the sweeper's
    resolve step), addressees not looked up."""
    return {d.subject_key for d in RULES[rule](now, keys_only=True, among=set(subject_keys))} & set(
        subject_keys
    )
