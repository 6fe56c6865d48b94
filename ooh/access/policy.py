"""The one access policy: who may see a family's records (querysets) and who may change them (rules).

Every view, consumer, task and admin page asks here. Seeing is need to know: a record outside it is
answered as if it did not exist (404). Changing is a rule over a visible record (403 when it fails).
Why each rule exists, in plain words, is the README's "Security model"; `WRITE_RULES` below is the
same table in code.
"""

from datetime import timedelta

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from ooh.accounts.models import CONTROL_ROOM_ROLES, MANAGER_ROLES, AgencyKind, Role

# Control rooms (CONTROL_ROOM_ROLES) of the emergency services see everyone, with a purpose: they take
# the 999 call.
CONTROL_ROOM_AGENCY_KINDS = frozenset({AgencyKind.POLICE, AgencyKind.AMBULANCE})
# Roles that hold cases: their agency's records are theirs to see (an out-of-hours team's cases are the
# people it recorded and the plans it is a key contact on).
CASE_ROLES = frozenset(
    {Role.SOCIAL_WORKER, Role.OOH_SOCIAL_WORKER, Role.MIDWIFE, Role.PRACTITIONER, Role.MANAGER}
)
# Roles that do casework of any kind; `admin` administers its agency and sees no family's records.
CASEWORK_ROLES = frozenset(
    {
        Role.CALL_HANDLER,
        Role.CONTROL_ROOM_SUPERVISOR,
        Role.RESPONDER,
        Role.SOCIAL_WORKER,
        Role.OOH_SOCIAL_WORKER,
        Role.MIDWIFE,
        Role.PRACTITIONER,
        Role.MANAGER,
    }
)
# Birth plans are drafted by the professionals who write them, and kept by their agency.
PLAN_AUTHOR_ROLES = frozenset({Role.SOCIAL_WORKER, Role.MIDWIFE})
PLAN_KEEPER_ROLES = PLAN_AUTHOR_ROLES | {Role.MANAGER}
# Managers (MANAGER_ROLES) see their agency's audit and review break-glass.
# Involvement that lets an agency's members see an incident (a flag raised long ago does not).
INCIDENT_VISIBLE_REASONS = ("opened", "requested", "declared", "appointed", "stakeholder")
# How long after an incident closes its responders may still read its family's records.
INCIDENT_RECORDS_GRACE = timedelta(hours=24)
MIN_REASON_LENGTH = 10

# Who may write what: (record, change, who, the rule in this module). The README's "Security model"
# shows this very table (a test keeps the two equal); each rule is the function named beside it.
WRITE_RULES = [
    (
        "person, address, link",
        "record a new one",
        "the roles that hold cases, and police and ambulance control rooms (who find people at an incident)",
        "may_record",
    ),
    (
        "person",
        "change (e.g. status `deceased`)",
        "a role holding cases, or the control room, of an agency with a case on the person",
        "may_edit_person",
    ),
    (
        "address",
        "change",
        "a role holding cases, or the control room, of the agency that recorded it",
        "may_edit_address",
    ),
    (
        "link",
        "end it (`DELETE` with `X-Access-Reason`)",
        "a role holding cases, or the control room, of an agency with a case on either person; the link is kept as history (who, when, why) and leaves the picture",
        "may_end_link",
    ),
    (
        "flag",
        "raise",
        "any casework role who can see the subject; the owner is a member of the raising agency",
        "may_raise_flag",
    ),
    (
        "flag",
        "edit, revoke",
        "its owner, or a manager of the agency that owns it",
        "may_change_flag",
    ),
    (
        "birth plan",
        "draft",
        "a social worker or midwife whose agency has a case on the mother or baby; the lead professional is a member of that agency; a child with a plan in force kept by another agency cannot be given a new one",
        "may_draft_plan",
    ),
    (
        "birth plan",
        "change, activate (superseding the old one), share, close",
        "social workers, midwives and managers of the lead professional's agency",
        "may_keep_plan",
    ),
    (
        "birth plan",
        "acknowledge",
        "members of an agency it is shared with",
        "may_acknowledge_plan",
    ),
    (
        "incident",
        "open",
        "any casework role, for people it can see",
        "may_open_incident",
    ),
    (
        "incident",
        "request attendance, stand an agency down",
        "police and ambulance control rooms",
        "may_direct_incident",
    ),
    (
        "incident",
        "declare its own agency's attendance",
        "any casework role, on an incident it can see",
        "may_attend",
    ),
    (
        "incident",
        "appoint the lead professional or decision maker",
        "police and ambulance control rooms or the current decision maker; the appointee is a member of an agency on the incident",
        "may_appoint",
    ),
    (
        "incident",
        "record a decision",
        "the current decision maker",
        "is_decision_maker",
    ),
    (
        "incident",
        "acknowledge a flag (a read receipt)",
        "anyone who can see the incident, for a flag in its picture",
        "may_acknowledge_flag",
    ),
    (
        "incident",
        "change its details, add a subject found at the scene, close",
        "the control room of the agency that opened it, or the decision maker",
        "may_change_incident",
    ),
    (
        "escalation",
        "acknowledge",
        "those it is addressed to",
        "may_acknowledge_escalation",
    ),
    (
        "break-glass",
        "open / review",
        "any casework role / a manager of the user's agency",
        "may_break_glass",
    ),
]


def _model(label):
    return apps.get_model(label)


def membership_of(user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "membership", None)


def role_of(user) -> str | None:
    membership = membership_of(user)
    return membership.role if membership else None


def agency_id_of(user):
    membership = membership_of(user)
    return membership.agency_id if membership else None


def does_casework(user) -> bool:
    return role_of(user) in CASEWORK_ROLES


def is_control_room(user) -> bool:
    """A call handler or control room supervisor of a police or ambulance service."""
    membership = membership_of(user)
    return membership is not None and is_control_room_membership(membership.role, membership.agency.kind)


def is_control_room_membership(role, agency_kind) -> bool:
    """The same, from a membership's role and its agency's kind (many users at once: api/resync.py)."""
    return role in CONTROL_ROOM_ROLES and agency_kind in CONTROL_ROOM_AGENCY_KINDS


def is_manager(user) -> bool:
    return role_of(user) in MANAGER_ROLES


# --- Incidents ------------------------------------------------------------------------------------


def incident_visibility(user) -> Q:
    """Incidents the user's agency opened, was asked to, attends, was appointed on or holds the birth
    plan for; every incident for police and ambulance control rooms."""
    if not does_casework(user):
        return Q(pk__in=[])
    if is_control_room(user):
        return Q()
    return Q(pk__in=_involvements().filter(agency_id=agency_id_of(user)).values("incident_id"))


def visible_incidents(user):
    return _model("incidents.Incident").objects.filter(incident_visibility(user))


def _involvements():
    """The (incident, agency) rows that let an agency's members see an incident."""
    return _model("incidents.IncidentAgency").objects.filter(reason__in=INCIDENT_VISIBLE_REASONS)


def visible_incident_pairs(incident_ids, agency_ids) -> set:
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


def _live_incident_ids(agency_id, now):
    """Incidents the agency is on that are open, or closed less than a day ago."""
    return (
        _model("incidents.Incident")
        .objects.filter(
            Q(status="open") | Q(closed_at__gte=now - INCIDENT_RECORDS_GRACE),
            pk__in=_involvements().filter(agency_id=agency_id).values("incident_id"),
        )
        .values("pk")
    )


# --- People, addresses, flags, plans ------------------------------------------------------------


def _agency_plans(agency_id):
    """Birth plans the agency writes, leads or is a key contact on."""
    return _model("plans.BirthPlan").objects.filter(
        Q(authoring_agency_id=agency_id)
        | Q(lead_professional__membership__agency_id=agency_id)
        | Q(key_contacts__agency_id=agency_id)
    )


def _case_people(agency_id) -> Q:
    """The agency's cases: people it recorded, raised a flag on, or writes, leads or is a key contact
    on a birth plan for."""
    plans = _agency_plans(agency_id)
    flagged = _model("flags.Flag").objects.filter(source_agency_id=agency_id, subject_person__isnull=False)
    return (
        Q(recorded_by_agency_id=agency_id)
        | Q(pk__in=plans.values("mother_id"))
        | Q(pk__in=plans.values("unborn_child_id"))
        | Q(pk__in=flagged.values("subject_person_id"))
    )


def _shared_plan_people(agency_id) -> Q:
    """Mother and baby of every plan shared with the agency: it was shared so that they read it."""
    shared = _model("plans.BirthPlan").objects.filter(shares__agency_id=agency_id)
    return Q(pk__in=shared.values("mother_id")) | Q(pk__in=shared.values("unborn_child_id"))


def people_of_incidents(incident_ids) -> Q:
    """The subjects of these incidents and everyone directly linked to them: the night's picture."""
    subject_ids = (
        _model("incidents.IncidentSubject").objects.filter(incident_id__in=incident_ids).values("person_id")
    )
    links = _model("people.Relationship").objects.current()
    return (
        Q(pk__in=subject_ids)
        | Q(pk__in=links.filter(from_person_id__in=subject_ids).values("to_person_id"))
        | Q(pk__in=links.filter(to_person_id__in=subject_ids).values("from_person_id"))
    )


def _incident_people(agency_id, now) -> Q:
    """The picture of the agency's live incidents."""
    return people_of_incidents(_live_incident_ids(agency_id, now))


def _break_glass_people(user, now) -> Q:
    grants = _model("access.BreakGlass").objects.filter(user_id=user.pk, expires_at__gt=now)
    return Q(pk__in=grants.values("person_id"))


def break_glass_reason(user, person_id, now=None) -> str | None:
    """The reason the user gave for their open break-glass on this person, if they have one."""
    return (
        _model("access.BreakGlass")
        .objects.filter(user_id=user.pk, person_id=person_id, expires_at__gt=now or timezone.now())
        .order_by("-opened_at")
        .values_list("reason", flat=True)
        .first()
    )


def need_to_know_people(user, now=None) -> Q:
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


def visible_people(user, now=None):
    """Every person the user may see: need to know, and everyone for emergency control rooms."""
    Person = _model("people.Person")
    if is_control_room(user):
        return Person.objects.all()
    return Person.objects.filter(need_to_know_people(user, now))


def needs_purpose(user, person_id, now=None) -> bool:
    """Opening this person's picture is outside the user's own cases and incidents."""
    return not _model("people.Person").objects.filter(need_to_know_people(user, now), pk=person_id).exists()


def has_agency_case_on(user, person_ids) -> bool:
    """The user's agency has a case on at least one of these people, whatever the user's role."""
    return (
        _model("people.Person")
        .objects.filter(_case_people(agency_id_of(user)), pk__in=list(person_ids))
        .exists()
    )


def has_case_on(user, person_ids) -> bool:
    """The user holds cases and their agency has one on at least one of these people."""
    return role_of(user) in CASE_ROLES and has_agency_case_on(user, person_ids)


def need_to_know_addresses(user, now=None) -> Q:
    """Addresses its agency recorded or flagged, its live incidents' addresses, and where the people
    the user needs to know about live or lived."""
    if not does_casework(user):
        return Q(pk__in=[])
    now = now or timezone.now()
    agency_id = agency_id_of(user)
    people = _model("people.Person").objects.filter(need_to_know_people(user, now)).values("pk")
    residents = _model("people.Residence").objects.filter(person_id__in=people)
    incidents = _model("incidents.Incident").objects.filter(pk__in=_live_incident_ids(agency_id, now))
    q = Q(pk__in=residents.values("address_id")) | Q(pk__in=incidents.values("address_id"))
    if role_of(user) in CASE_ROLES:
        flagged = _model("flags.Flag").objects.filter(
            source_agency_id=agency_id, subject_address__isnull=False
        )
        q |= Q(recorded_by_agency_id=agency_id) | Q(pk__in=flagged.values("subject_address_id"))
    return q


def visible_addresses(user, now=None):
    """Every address for emergency control rooms; else need to know."""
    Address = _model("people.Address")
    if is_control_room(user):
        return Address.objects.all()
    return Address.objects.filter(need_to_know_addresses(user, now))


def address_needs_purpose(user, address_id, now=None) -> bool:
    """Opening this address's picture is outside the user's own cases and incidents."""
    return (
        not _model("people.Address").objects.filter(need_to_know_addresses(user, now), pk=address_id).exists()
    )


def visible_flags(user, now=None):
    """Flags on the people and addresses the user may see."""
    Flag = _model("flags.Flag")
    if is_control_room(user):
        return Flag.objects.all()
    if not does_casework(user):
        return Flag.objects.none()
    return Flag.objects.filter(
        Q(subject_person__in=visible_people(user, now)) | Q(subject_address__in=visible_addresses(user, now))
    )


def visible_plans(user, now=None):
    """Birth plans of a mother or baby the user may see."""
    BirthPlan = _model("plans.BirthPlan")
    if is_control_room(user):
        return BirthPlan.objects.all()
    people = visible_people(user, now).values("pk")
    return BirthPlan.objects.filter(Q(mother_id__in=people) | Q(unborn_child_id__in=people))


def visible_relationships(user, now=None):
    """Links with a person the user may see at either end (ended links stay readable as history)."""
    Relationship = _model("people.Relationship")
    if is_control_room(user):
        return Relationship.objects.all()
    people = visible_people(user, now).values("pk")
    return Relationship.objects.filter(Q(from_person_id__in=people) | Q(to_person_id__in=people))


# --- Writes ---------------------------------------------------------------------------------------


def may_record(user) -> bool:
    """Record a new person, address or link: roles that hold cases, and emergency control rooms (who
    find people at an incident). Either sees what it records."""
    return role_of(user) in CASE_ROLES or is_control_room(user)


def may_edit_person(user, person) -> bool:
    """An agency with a case on the person: a role holding its cases, or its emergency control room."""
    return may_record(user) and has_agency_case_on(user, [person.pk])


def may_edit_address(user, address) -> bool:
    return may_record(user) and address.recorded_by_agency_id == agency_id_of(user)


def may_end_link(user, relationship) -> bool:
    """As for editing: an agency with a case on either person."""
    return may_record(user) and has_agency_case_on(
        user, [relationship.from_person_id, relationship.to_person_id]
    )


def may_raise_flag(user) -> bool:
    """On a subject the user can see (the caller checks that through the visible querysets)."""
    return does_casework(user)


def may_own_flag(source_agency_id, owner) -> bool:
    """A flag is owned inside the agency that raised it."""
    owner_membership = getattr(owner, "membership", None)
    return owner.is_active and owner_membership is not None and owner_membership.agency_id == source_agency_id


def may_change_flag(user, flag) -> bool:
    """The flag's owner, or a manager of the agency that owns it."""
    if not does_casework(user) or flag.source_agency_id != agency_id_of(user):
        return False
    return user.pk == flag.owner_id or is_manager(user)


def may_draft_plan(user, mother, unborn_child) -> bool:
    return role_of(user) in PLAN_AUTHOR_ROLES and has_case_on(user, [mother.pk, unborn_child.pk])


def plan_keeping_agency_id(plan):
    """The lead professional's agency keeps the plan; until a lead is named, the authoring agency."""
    lead = plan.lead_professional
    membership = getattr(lead, "membership", None) if lead is not None else None
    return membership.agency_id if membership is not None else plan.authoring_agency_id


def may_keep_plan(user, plan) -> bool:
    """Change, activate, share or close: the lead's agency."""
    return role_of(user) in PLAN_KEEPER_ROLES and plan_keeping_agency_id(plan) == agency_id_of(user)


def may_acknowledge_plan(user, plan) -> bool:
    return does_casework(user) and plan.shares.filter(agency_id=agency_id_of(user)).exists()


def may_open_incident(user) -> bool:
    return does_casework(user)


def may_direct_incident(user) -> bool:
    """Ask agencies to attend and stand them down: the emergency control room."""
    return is_control_room(user)


def may_attend(user) -> bool:
    return does_casework(user)


def may_acknowledge_flag(user, incident) -> bool:
    """A read receipt on an incident the user can see (the flag must be in its picture: the action checks)."""
    return visible_incidents(user).filter(pk=incident.pk).exists()


def may_acknowledge_escalation(user, escalation) -> bool:
    """Those an escalation is addressed to: the user, or their agency."""
    return (
        escalation.addressed_users.filter(pk=user.pk).exists()
        or escalation.addressed_agencies.filter(pk=agency_id_of(user)).exists()
    )


def is_decision_maker(user, incident) -> bool:
    appointment = incident.decision_maker
    return appointment is not None and appointment.user_id == user.pk


def may_appoint(user, incident) -> bool:
    return may_direct_incident(user) or is_decision_maker(user, incident)


def may_change_incident(user, incident) -> bool:
    """Its details, its subjects, closing it: the control room of the agency that opened it, or the
    decision maker."""
    opening_control_room = may_direct_incident(user) and incident.opening_agency_id == agency_id_of(user)
    return opening_control_room or is_decision_maker(user, incident)


def may_close_incident(user, incident) -> bool:
    return may_change_incident(user, incident)


def on_incident_agency_ids(incident) -> set:
    """Agencies on the incident: an appointee must be a member of one."""
    return set(
        _model("incidents.IncidentAgency")
        .objects.filter(incident_id=incident.pk, reason__in=INCIDENT_VISIBLE_REASONS)
        .values_list("agency_id", flat=True)
    )


def may_break_glass(user) -> bool:
    return does_casework(user)


def may_review_break_glass(user, grant) -> bool:
    return is_manager(user) and grant.agency_id == agency_id_of(user)


def visible_break_glass(user):
    BreakGlass = _model("access.BreakGlass")
    if is_manager(user):
        return BreakGlass.objects.filter(agency_id=agency_id_of(user))
    if does_casework(user):
        return BreakGlass.objects.filter(user_id=user.pk)
    return BreakGlass.objects.none()


def may_read_audit(user) -> bool:
    return role_of(user) in MANAGER_ROLES | {Role.ADMIN}


def visible_audit(user):
    """What the agency's users did, and every access by anyone to records the agency owns (flags it
    raised, plans it writes or leads, its cases)."""
    AccessLog = _model("audit.AccessLog")
    if not may_read_audit(user):
        return AccessLog.objects.none()
    agency_id = agency_id_of(user)
    owned = _model("people.Person").objects.filter(_case_people(agency_id)).values("pk")
    touched = _model("audit.AccessedPerson").objects.filter(person_id__in=owned).values("log_id")
    return AccessLog.objects.filter(Q(agency_id=agency_id) | Q(pk__in=touched))
