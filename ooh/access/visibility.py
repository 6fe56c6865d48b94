"""Who may see: need to know as querysets. A record outside it is answered as if it did not exist."""

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from ooh.accounts.models import MANAGER_ROLES, Role, User

from .roles import (
    CASE_ROLES,
    INCIDENT_RECORDS_GRACE,
    INCIDENT_VISIBLE_REASONS,
    AnyUser,
    _model,
    _objects,
    agency_id_of,
    does_casework,
    is_control_room,
    is_manager,
    role_of,
)

# --- Incidents ------------------------------------------------------------------------------------


def incident_visibility(user: AnyUser) -> Q:
    """Incidents the user's agency opened, was asked to, attends, was appointed on or holds the birth
    plan for; every incident for police and ambulance control rooms."""
    if not does_casework(user):
        return Q(pk__in=[])
    if is_control_room(user):
        return Q()
    return Q(pk__in=_involvements().filter(agency_id=agency_id_of(user)).values("incident_id"))


def visible_incidents(user: AnyUser) -> QuerySet[Any]:
    return _objects("incidents.Incident").filter(incident_visibility(user))


def _involvements() -> QuerySet[Any]:
    """The (incident, agency) rows that let an agency's members see an incident."""
    return _objects("incidents.IncidentAgency").filter(reason__in=INCIDENT_VISIBLE_REASONS)


def visible_incident_pairs(
    incident_ids: Collection[uuid.UUID], agency_ids: Collection[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """incident_visibility for many sockets at once (api/resync.py): each (incident id, agency id) among
    those given where the agency is on the incident. Control rooms see every incident: the caller adds
    that, with is_control_room_membership."""
    if not incident_ids or not agency_ids:
        return set()
    return set(
        _involvements()
        .filter(incident_id__in=incident_ids, agency_id__in=agency_ids)
        .values_list("incident_id", "agency_id")
    )


def _live_incident_ids(agency_id: uuid.UUID | None, now: datetime) -> QuerySet[Any, dict[str, Any]]:
    """Incidents the agency is on that are open, or closed less than a day ago."""
    return (
        _objects("incidents.Incident")
        .filter(
            Q(status="open") | Q(closed_at__gte=now - INCIDENT_RECORDS_GRACE),
            pk__in=_involvements().filter(agency_id=agency_id).values("incident_id"),
        )
        .values("pk")
    )


# --- People, addresses, flags, plans ------------------------------------------------------------


def _agency_plans(agency_id: uuid.UUID | None) -> QuerySet[Any]:
    """Birth plans the agency writes, leads or is a key contact on."""
    return _objects("plans.BirthPlan").filter(
        Q(authoring_agency_id=agency_id)
        | Q(lead_professional__membership__agency_id=agency_id)
        | Q(key_contacts__agency_id=agency_id)
    )


def _case_people(agency_id: uuid.UUID | None) -> Q:
    """The agency's cases: people it recorded, raised a flag on, or writes, leads or is a key contact
    on a birth plan for."""
    plans = _agency_plans(agency_id)
    flagged = _objects("flags.Flag").filter(source_agency_id=agency_id, subject_person__isnull=False)
    return (
        Q(recorded_by_agency_id=agency_id)
        | Q(pk__in=plans.values("mother_id"))
        | Q(pk__in=plans.values("unborn_child_id"))
        | Q(pk__in=flagged.values("subject_person_id"))
        | Q(pk__in=_agency_concern_subjects(agency_id))
    )


def _agency_concern_subjects(agency_id: uuid.UUID | None) -> QuerySet[Any, dict[str, Any]]:
    """The subjects of open concerns the agency raised, owns, or was referred (unless it decided no
    further action), and of any concern while a referral to the agency awaits its outcome. A closed
    concern is no case of the agencies that raised or owned it."""
    referred = _objects("referrals.Referral").filter(to_agency_id=agency_id)
    concerns = _objects("referrals.Concern").filter(
        Q(status="open", raised_by_agency_id=agency_id)
        | Q(status="open", owner__membership__agency_id=agency_id)
        | Q(status="open", pk__in=referred.exclude(outcome="no_further_action").values("concern_id"))
        | Q(pk__in=referred.exclude(status="completed").values("concern_id"))
    )
    return (
        _objects("referrals.ConcernSubject").filter(concern_id__in=concerns.values("pk")).values("person_id")
    )


def _shared_plan_people(agency_id: uuid.UUID | None) -> Q:
    """Mother and baby of every plan shared with the agency: it was shared so that they read it."""
    shared = _objects("plans.BirthPlan").filter(shares__agency_id=agency_id)
    return Q(pk__in=shared.values("mother_id")) | Q(pk__in=shared.values("unborn_child_id"))


def people_of_incidents(incident_ids: Iterable[uuid.UUID] | QuerySet[Any, dict[str, Any]]) -> Q:
    """The subjects of these incidents and everyone directly linked to them: the night's picture."""
    subject_ids = (
        _objects("incidents.IncidentSubject").filter(incident_id__in=incident_ids).values("person_id")
    )
    links: QuerySet[Any] = _model("people.Relationship").objects.current()
    return (
        Q(pk__in=subject_ids)
        | Q(pk__in=links.filter(from_person_id__in=subject_ids).values("to_person_id"))
        | Q(pk__in=links.filter(to_person_id__in=subject_ids).values("from_person_id"))
    )


def _incident_people(agency_id: uuid.UUID | None, now: datetime) -> Q:
    """The picture of the agency's live incidents."""
    return people_of_incidents(_live_incident_ids(agency_id, now))


def _break_glass_people(user: User, now: datetime) -> Q:
    grants = _objects("access.BreakGlass").filter(user_id=user.pk, expires_at__gt=now)
    return Q(pk__in=grants.values("person_id"))


def break_glass_reason(
    user: User | AnonymousUser, person_id: uuid.UUID | str, now: datetime | None = None
) -> str | None:
    """The reason the user gave for their open break-glass on this person, if they have one."""
    return (
        _objects("access.BreakGlass")
        .filter(user_id=user.pk, person_id=person_id, expires_at__gt=now or timezone.now())
        .order_by("-opened_at")
        .values_list("reason", flat=True)
        .first()
    )


def need_to_know_people(user: AnyUser, now: datetime | None = None) -> Q:
    """People the user needs to know about without a stated purpose: cases, shared plans, live
    incidents and open break-glass."""
    if not does_casework(user):
        return Q(pk__in=[])
    now = now or timezone.now()
    agency_id = agency_id_of(user)
    q = _shared_plan_people(agency_id) | _incident_people(agency_id, now) | _break_glass_people(user, now)
    if role_of(user) in CASE_ROLES:
        q |= _case_people(agency_id)
    return q


def visible_people(user: AnyUser, now: datetime | None = None) -> QuerySet[Any]:
    """Every person the user may see: need to know, and everyone for emergency control rooms."""
    people = _objects("people.Person")
    if is_control_room(user):
        return people.all()
    return people.filter(need_to_know_people(user, now))


def needs_purpose(user: AnyUser, person_id: uuid.UUID | str, now: datetime | None = None) -> bool:
    """Opening this person's picture is outside the user's own cases and incidents."""
    return not _objects("people.Person").filter(need_to_know_people(user, now), pk=person_id).exists()


def has_agency_case_on(user: AnyUser, person_ids: Iterable[uuid.UUID]) -> bool:
    """The user's agency has a case on at least one of these people, whatever the user's role."""
    return (
        _objects("people.Person").filter(_case_people(agency_id_of(user)), pk__in=list(person_ids)).exists()
    )


def has_case_on(user: AnyUser, person_ids: Iterable[uuid.UUID]) -> bool:
    """The user holds cases and their agency has one on at least one of these people."""
    return role_of(user) in CASE_ROLES and has_agency_case_on(user, person_ids)


def need_to_know_addresses(user: AnyUser, now: datetime | None = None) -> Q:
    """Addresses its agency recorded or flagged, its live incidents' addresses, and where the people
    the user needs to know about live or lived."""
    if not does_casework(user):
        return Q(pk__in=[])
    now = now or timezone.now()
    agency_id = agency_id_of(user)
    people = _objects("people.Person").filter(need_to_know_people(user, now)).values("pk")
    residents = _objects("people.Residence").filter(person_id__in=people)
    incidents = _objects("incidents.Incident").filter(pk__in=_live_incident_ids(agency_id, now))
    q = Q(pk__in=residents.values("address_id")) | Q(pk__in=incidents.values("address_id"))
    if role_of(user) in CASE_ROLES:
        flagged = _objects("flags.Flag").filter(source_agency_id=agency_id, subject_address__isnull=False)
        q |= Q(recorded_by_agency_id=agency_id) | Q(pk__in=flagged.values("subject_address_id"))
    return q


def visible_addresses(user: AnyUser, now: datetime | None = None) -> QuerySet[Any]:
    """Every address for emergency control rooms; else need to know."""
    addresses = _objects("people.Address")
    if is_control_room(user):
        return addresses.all()
    return addresses.filter(need_to_know_addresses(user, now))


def address_needs_purpose(user: AnyUser, address_id: uuid.UUID | str, now: datetime | None = None) -> bool:
    """Opening this address's picture is outside the user's own cases and incidents."""
    return not _objects("people.Address").filter(need_to_know_addresses(user, now), pk=address_id).exists()


def visible_flags(user: AnyUser, now: datetime | None = None) -> QuerySet[Any]:
    """Flags on the people and addresses the user may see."""
    flags = _objects("flags.Flag")
    if is_control_room(user):
        return flags.all()
    if not does_casework(user):
        return flags.none()
    return flags.filter(
        Q(subject_person__in=visible_people(user, now)) | Q(subject_address__in=visible_addresses(user, now))
    )


def visible_plans(user: AnyUser, now: datetime | None = None) -> QuerySet[Any]:
    """Birth plans of a mother or baby the user may see."""
    plans = _objects("plans.BirthPlan")
    if is_control_room(user):
        return plans.all()
    people = visible_people(user, now).values("pk")
    return plans.filter(Q(mother_id__in=people) | Q(unborn_child_id__in=people))


def visible_relationships(user: AnyUser, now: datetime | None = None) -> QuerySet[Any]:
    """Links with a person the user may see at either end (ended links stay readable as history)."""
    relationships = _objects("people.Relationship")
    if is_control_room(user):
        return relationships.all()
    people = visible_people(user, now).values("pk")
    return relationships.filter(Q(from_person_id__in=people) | Q(to_person_id__in=people))


# --- Concerns and referrals ----------------------------------------------------------------------


def concern_visibility(user: AnyUser) -> Q:
    """Concerns the user raised, owns, was consulted on, is offered, made or holds a referral of; and
    for managers, every concern their agency raised, owns or was referred."""
    if not does_casework(user):
        return Q(pk__in=[])
    mine = (
        Q(raised_by_id=user.pk)
        | Q(owner_id=user.pk)
        | Q(pk__in=_objects("referrals.Consultation").filter(with_user_id=user.pk).values("concern_id"))
        | Q(
            pk__in=_objects("referrals.ConcernTransfer")
            .filter(to_user_id=user.pk, status="pending")
            .values("concern_id")
        )
        | Q(
            pk__in=_objects("referrals.Referral")
            .filter(Q(allocated_to_id=user.pk) | Q(made_by_id=user.pk))
            .values("concern_id")
        )
    )
    if not is_manager(user):
        return mine
    agency_id = agency_id_of(user)
    return (
        mine
        | Q(raised_by_agency_id=agency_id)
        | Q(owner__membership__agency_id=agency_id)
        | Q(pk__in=_objects("referrals.Referral").filter(to_agency_id=agency_id).values("concern_id"))
    )


def visible_concerns(user: AnyUser) -> QuerySet[Any]:
    return _objects("referrals.Concern").filter(concern_visibility(user))


def visible_referrals(user: AnyUser) -> QuerySet[Any]:
    """Referrals of the concerns the user may see."""
    return _objects("referrals.Referral").filter(concern_id__in=visible_concerns(user).values("pk"))


def visible_dash_assessments(user: AnyUser, now: datetime | None = None) -> QuerySet[Any]:
    """DASH assessments of the people the user may see."""
    assessments = _objects("referrals.DashAssessment")
    if not does_casework(user):
        return assessments.none()
    return assessments.filter(person_id__in=visible_people(user, now).values("pk"))


def visible_break_glass(user: AnyUser) -> QuerySet[Any]:
    grants = _objects("access.BreakGlass")
    if is_manager(user):
        return grants.filter(agency_id=agency_id_of(user))
    if does_casework(user):
        return grants.filter(user_id=user.pk)
    return grants.none()


def may_read_audit(user: AnyUser) -> bool:
    return role_of(user) in MANAGER_ROLES | {Role.ADMIN}


def visible_audit(user: AnyUser) -> QuerySet[Any]:
    """What the agency's users did, and every access by anyone to records the agency owns (flags it
    raised, plans it writes or leads, its cases)."""
    logs = _objects("audit.AccessLog")
    if not may_read_audit(user):
        return logs.none()
    agency_id = agency_id_of(user)
    owned = _objects("people.Person").filter(_case_people(agency_id)).values("pk")
    touched = _objects("audit.AccessedPerson").filter(person_id__in=owned).values("log_id")
    return logs.filter(Q(agency_id=agency_id) | Q(pk__in=touched))
