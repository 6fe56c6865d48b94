"""Who may change: each rule a small function over a visible record (403 when it says no).

`WRITE_RULES` is the same table as the README's "Security model", word for word (a test keeps them so).
"""

import uuid

from django.contrib.auth.models import AnonymousUser

from ooh.accounts.models import AgencyKind, User

from .models import BreakGlass
from .records import (
    AddressedEscalation,
    Appointed,
    DirectedIncident,
    Identified,
    KeptPlan,
    Link,
    OfferedTransfer,
    OwnedConcern,
    OwnedFlag,
    ReceivedReferral,
    RecordedAddress,
)
from .roles import (
    CASE_ROLES,
    INCIDENT_VISIBLE_REASONS,
    PLAN_AUTHOR_ROLES,
    PLAN_KEEPER_ROLES,
    AnyUser,
    _objects,
    agency_id_of,
    does_casework,
    is_control_room,
    is_manager,
    membership_of,
    role_of,
)
from .visibility import has_agency_case_on, has_case_on, visible_incidents

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
        "accept or decline an appointment as lead professional or decision maker",
        "the appointee of the current appointment, once; a decline, with a reason, leaves the role empty",
        "may_answer_appointment",
    ),
    (
        "incident",
        "say that one is on scene, or has left",
        "any casework role, for themselves, on an incident it can see",
        "may_report_presence",
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
        "concern",
        "raise",
        "the roles that hold cases, about people they can see; the raiser owns it",
        "may_raise_concern",
    ),
    (
        "concern",
        "consult a colleague, offer a transfer, refer to an agency",
        "its owner only (consulting never moves ownership; a transfer moves it only when accepted)",
        "is_concern_owner",
    ),
    (
        "concern",
        "accept a transfer",
        "the colleague it was offered to",
        "may_accept_transfer",
    ),
    (
        "concern",
        "close, with a reason",
        "its owner, or a manager of the owner's agency",
        "may_close_concern",
    ),
    (
        "referral",
        "allocate",
        "a manager of the receiving agency; the allocated worker is one of its social workers",
        "may_allocate_referral",
    ),
    (
        "referral",
        "respond, record the outcome",
        "the allocated social worker, or a manager of the receiving agency",
        "may_answer_referral",
    ),
    (
        "unborn baby",
        "record a pre-birth milestone met (assessment, conference)",
        "the roles that hold cases, of a children's social care agency with a case on the baby",
        "may_record_milestone",
    ),
    (
        "unborn baby",
        "record the birth",
        "a role holding cases, or the control room, of an agency with a case on the baby; or anyone who can see an open incident the baby is a subject of",
        "may_record_birth",
    ),
    (
        "person",
        "record a DASH risk assessment",
        "any casework role who can see the person",
        "may_assess_risk",
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
    (
        "reviewer grant",
        "grant, revoke",
        "a manager of the record's lead agency (an incident's lead professional's, else the agency that opened it; a concern's owner's); it names one user for one incident or concern until it expires, and every agency on the record sees it",
        "may_grant_reviewer",
    ),
    (
        "subject access",
        "export everything held about a person",
        "a data protection officer",
        "may_export_subject_access",
    ),
    (
        "legal hold",
        "place",
        "a data protection officer; held records are never disposed of",
        "may_place_legal_hold",
    ),
]


# --- Writes ---------------------------------------------------------------------------------------


def may_record(user: AnyUser) -> bool:
    """Record a new person, address or link: roles that hold cases, and emergency control rooms (who
    find people at an incident). Either sees what it records."""
    return role_of(user) in CASE_ROLES or is_control_room(user)


def may_edit_person(user: AnyUser, person: Identified) -> bool:
    """An agency with a case on the person: a role holding its cases, or its emergency control room."""
    return may_record(user) and has_agency_case_on(user, [person.pk])


def may_edit_address(user: AnyUser, address: RecordedAddress) -> bool:
    return may_record(user) and address.recorded_by_agency_id == agency_id_of(user)


def may_end_link(user: AnyUser, relationship: Link) -> bool:
    """As for editing: an agency with a case on either person."""
    return may_record(user) and has_agency_case_on(
        user, [relationship.from_person_id, relationship.to_person_id]
    )


def may_raise_flag(user: AnyUser) -> bool:
    """On a subject the user can see (the caller checks that through the visible querysets)."""
    return does_casework(user)


def may_own_flag(source_agency_id: uuid.UUID, owner: User) -> bool:
    """A flag is owned inside the agency that raised it."""
    owner_membership = getattr(owner, "membership", None)
    return owner.is_active and owner_membership is not None and owner_membership.agency_id == source_agency_id


def may_change_flag(user: AnyUser, flag: OwnedFlag) -> bool:
    """The flag's owner, or a manager of the agency that owns it."""
    if not does_casework(user) or flag.source_agency_id != agency_id_of(user):
        return False
    return user.pk == flag.owner_id or is_manager(user)


def may_draft_plan(user: AnyUser, mother: Identified, unborn_child: Identified) -> bool:
    return role_of(user) in PLAN_AUTHOR_ROLES and has_case_on(user, [mother.pk, unborn_child.pk])


def plan_keeping_agency_id(plan: KeptPlan) -> uuid.UUID:
    """The lead professional's agency keeps the plan; until a lead is named, the authoring agency."""
    lead = plan.lead_professional
    membership = getattr(lead, "membership", None) if lead is not None else None
    return membership.agency_id if membership is not None else plan.authoring_agency_id


def may_keep_plan(user: AnyUser, plan: KeptPlan) -> bool:
    """Change, activate, share or close: the lead's agency."""
    return role_of(user) in PLAN_KEEPER_ROLES and plan_keeping_agency_id(plan) == agency_id_of(user)


def may_acknowledge_plan(user: AnyUser, plan: KeptPlan) -> bool:
    return does_casework(user) and plan.shares.filter(agency_id=agency_id_of(user)).exists()


def may_open_incident(user: AnyUser) -> bool:
    return does_casework(user)


def may_direct_incident(user: AnyUser) -> bool:
    """Ask agencies to attend and stand them down: the emergency control room."""
    return is_control_room(user)


def may_attend(user: AnyUser) -> bool:
    return does_casework(user)


def may_acknowledge_flag(user: AnyUser, incident: Identified) -> bool:
    """A read receipt on an incident the user can see (the flag must be in its picture: the action checks)."""
    return visible_incidents(user).filter(pk=incident.pk).exists()


def may_acknowledge_escalation(user: User, escalation: AddressedEscalation) -> bool:
    """Those an escalation is addressed to: the user, or their agency."""
    return (
        escalation.addressed_users.filter(pk=user.pk).exists()
        or escalation.addressed_agencies.filter(pk=agency_id_of(user)).exists()
    )


def is_decision_maker(user: User | AnonymousUser, incident: DirectedIncident) -> bool:
    appointment = incident.decision_maker
    return appointment is not None and appointment.user_id == user.pk


def may_appoint(user: User | AnonymousUser, incident: DirectedIncident) -> bool:
    return may_direct_incident(user) or is_decision_maker(user, incident)


def may_answer_appointment(user: User | AnonymousUser, appointment: Appointed) -> bool:
    """Accept or decline: the appointee alone (the action checks that it is the current appointment)."""
    return does_casework(user) and appointment.user_id == user.pk


def may_report_presence(user: AnyUser) -> bool:
    """On scene or left, for oneself, on an incident the user can see (the caller finds it visible)."""
    return does_casework(user)


def may_change_incident(user: User | AnonymousUser, incident: DirectedIncident) -> bool:
    """Its details, its subjects, closing it: the control room of the agency that opened it, or the
    decision maker."""
    opening_control_room = may_direct_incident(user) and incident.opening_agency_id == agency_id_of(user)
    return opening_control_room or is_decision_maker(user, incident)


def may_close_incident(user: User | AnonymousUser, incident: DirectedIncident) -> bool:
    return may_change_incident(user, incident)


def on_incident_agency_ids(incident: Identified) -> set[uuid.UUID]:
    """Agencies on the incident: an appointee must be a member of one."""
    return set(
        _objects("incidents.IncidentAgency")
        .filter(incident_id=incident.pk, reason__in=INCIDENT_VISIBLE_REASONS)
        .values_list("agency_id", flat=True)
    )


def may_break_glass(user: AnyUser) -> bool:
    return does_casework(user)


def may_review_break_glass(user: AnyUser, grant: BreakGlass) -> bool:
    return is_manager(user) and grant.agency_id == agency_id_of(user)


# --- Concerns and referrals -----------------------------------------------------------------------


def may_raise_concern(user: AnyUser) -> bool:
    """About people the user can see (the caller checks that through the visible querysets)."""
    return role_of(user) in CASE_ROLES


def is_concern_owner(user: AnyUser, concern: OwnedConcern) -> bool:
    """Consult, offer a transfer, refer: the owner alone. The Baby A review: the professional who owns
    a concern makes the referral, and consulting a colleague never hands it over."""
    return does_casework(user) and concern.owner_id == user.pk


def may_accept_transfer(user: AnyUser, transfer: OfferedTransfer) -> bool:
    return does_casework(user) and transfer.to_user_id == user.pk


def may_close_concern(user: AnyUser, concern: OwnedConcern, owner_agency_id: uuid.UUID | None) -> bool:
    return is_concern_owner(user, concern) or (is_manager(user) and owner_agency_id == agency_id_of(user))


def may_allocate_referral(user: AnyUser, referral: ReceivedReferral) -> bool:
    return is_manager(user) and referral.to_agency_id == agency_id_of(user)


def may_answer_referral(user: AnyUser, referral: ReceivedReferral) -> bool:
    if not does_casework(user):
        return False
    return referral.allocated_to_id == user.pk or may_allocate_referral(user, referral)


def may_record_milestone(user: AnyUser, child: Identified) -> bool:
    """The assessment and the conference are children's social care's to record: whoever raised a
    concern does not mark its answer done."""
    membership = membership_of(user)
    return (
        membership is not None
        and membership.agency.kind == AgencyKind.CHILDRENS_SOCIAL_CARE
        and has_case_on(user, [child.pk])
    )


def may_record_birth(user: AnyUser, child: Identified) -> bool:
    """The baby's agencies (their case roles or control room), or whoever is at the birth: anyone who
    can see an open incident the baby is a subject of (the paramedic at a home birth)."""
    if may_edit_person(user, child):
        return True
    return (
        visible_incidents(user).filter(status="open", subjects__person_id=child.pk).exists()
        if does_casework(user)
        else False
    )


def may_assess_risk(user: AnyUser) -> bool:
    """On a person the user can see (the caller checks that through the visible querysets)."""
    return does_casework(user)
