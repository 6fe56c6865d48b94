"""The one write path for incidents. Each action locks the incident row, checks state, writes, and
appends its event with the next seq in the same transaction; publishing happens after commit."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import Agency, User
from ooh.errors import Conflict
from ooh.flags.models import Flag
from ooh.people.links import linked_ids
from ooh.people.models import Address, Person, Residence
from ooh.plans.queries import agencies_with_a_stake
from ooh.shapes import ATTENDANCE, appointment_row, user_row

from .appointments import accept
from .events import append_event
from .models import (
    Appointment,
    AppointmentRole,
    Attendance,
    AttendanceStatus,
    Decision,
    FlagAcknowledgement,
    Incident,
    IncidentAgency,
    IncidentStatus,
    IncidentSubject,
    InvolvementReason,
    ReferenceCounter,
)
from .presence import arrive
from .rules import CONTROL_ROOM_ONLY, may_move

ETA_TOLERANCE = timedelta(minutes=5)  # phones' clocks drift; an ETA a little in the past is still an answer


def lock_open(incident: Incident) -> Incident:
    """The incident row, locked for the transaction; Incident.DoesNotExist if there is none."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != IncidentStatus.OPEN:
        raise Conflict("This incident is closed; it cannot change.", code="incident_closed")
    return incident


def _involve(incident: Incident, agency: Agency, reason: str, now: datetime) -> None:
    IncidentAgency.objects.get_or_create(
        incident=incident, agency=agency, defaults={"reason": reason, "since": now}
    )


def _next_reference(now: datetime) -> str:
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=now.year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"OOH-{now.year}-{counter.last:06d}"


def attendance_dict(row: Attendance) -> dict[str, Any]:
    """An attendance row as its events carry it: the agency by id, and who last changed it."""
    return ATTENDANCE.row(row, agency=str(row.agency_id)) | {"updated_by": str(row.updated_by_id)}


@transaction.atomic
def open_incident(
    *,
    actor: User,
    kind: str,
    summary: str,
    subjects: Sequence[Person] = (),
    address: Address | None = None,
    location_text: str = "",
    stakeholder_agency_ids: Iterable[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> Incident:
    """Open an incident for its subjects; the agencies with a stake in them (a birth plan for anyone
    linked to them, unless given) hear of it on their feeds."""
    now = now or timezone.now()
    if not policy.may_open_incident(actor):
        raise PermissionDenied("Your role does not open incidents.")
    agency = actor.membership.agency
    incident = Incident.objects.create(
        reference=_next_reference(now),
        kind=kind,
        summary=summary,
        address=address,
        location_text=location_text,
        opened_by=actor,
        opening_agency=agency,
        opened_at=now,
    )
    IncidentSubject.objects.bulk_create(
        [
            IncidentSubject(incident=incident, person=p, added_by=actor, added_at=now)
            for p in dict.fromkeys(subjects)
        ]
    )
    if stakeholder_agency_ids is None:
        stakeholder_agency_ids = agencies_with_a_stake(linked_ids([p.pk for p in subjects], depth=1))
    involved = {agency.pk: InvolvementReason.OPENED}
    for other in stakeholder_agency_ids:
        involved.setdefault(other, InvolvementReason.STAKEHOLDER)
    IncidentAgency.objects.bulk_create(
        [IncidentAgency(incident=incident, agency_id=a, reason=r, since=now) for a, r in involved.items()]
    )
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    append_event(
        incident=incident,
        type="incident.opened",
        actor=actor,
        at=now,
        data={
            "reference": incident.reference,
            "kind": kind,
            "summary": summary,
            "address": str(address.pk) if address else None,
            "subjects": [str(p.pk) for p in dict.fromkeys(subjects)],
            "opening_agency": str(agency.pk),
        },
        feed_agencies=list(involved),
    )
    return incident


@transaction.atomic
def request_attendance(
    *,
    actor: User,
    incident: Incident,
    agency: Agency,
    respond_within_minutes: float,
    now: datetime | None = None,
) -> Attendance:
    """The control room asks an agency to attend, and to answer by respond_by."""
    now = now or timezone.now()
    if not policy.may_direct_incident(actor):
        raise PermissionDenied("Only a call handler or control room supervisor asks agencies to attend.")
    incident = lock_open(incident)
    row = Attendance.objects.filter(incident=incident, agency=agency).first()
    current = row.status if row else None
    if not may_move(current, AttendanceStatus.REQUESTED):
        raise Conflict(
            f"{agency.name} is already {current}; it cannot be asked again now.", code="illegal_transition"
        )
    row = row or Attendance(incident=incident, agency=agency)
    row.status, row.requested_at, row.requested_by = AttendanceStatus.REQUESTED, now, actor
    row.respond_by = now + timedelta(minutes=respond_within_minutes)
    row.eta, row.agreed_role, row.updated_at, row.updated_by = None, "", now, actor
    row.save()
    _involve(incident, agency, InvolvementReason.REQUESTED, now)
    append_event(
        incident=incident,
        type="attendance.requested",
        actor=actor,
        at=now,
        data=attendance_dict(row),
        feed_agencies=[agency.pk],
    )
    return row


def _check_answer(status: str, eta: datetime | None, agreed_role: str | None, now: datetime) -> None:
    """An answer the attending agency may give: not a control room status, an ETA (not in the past)
    with attending, and with cannot attend what the agency will do instead."""
    if status in CONTROL_ROOM_ONLY:
        raise ValidationError(
            {"status": f"{status} is set by the control room, not by the attending agency."}
        )
    if status == AttendanceStatus.ATTENDING and eta is None:
        raise ValidationError({"eta": "Give an ETA when you say you are attending."})
    if eta is not None and eta < now - ETA_TOLERANCE:
        raise ValidationError({"eta": "The ETA is in the past."})
    if status == AttendanceStatus.CANNOT_ATTEND and not (agreed_role or "").strip():
        raise ValidationError(
            {
                "agreed_role": "Say what your agency will do instead of attending (e.g. phone advice to the decision maker)."
            }
        )


def _set_eta_and_role(row: Attendance, status: str, eta: datetime | None, agreed_role: str) -> None:
    """Coming keeps the last ETA unless a new one is given and drops any agreed role; cannot attend
    drops the ETA and keeps what the agency will do instead. Other statuses leave both as they were."""
    if status in (AttendanceStatus.ATTENDING, AttendanceStatus.EN_ROUTE):
        row.eta = eta or row.eta
        row.agreed_role = ""
    elif status == AttendanceStatus.CANNOT_ATTEND:
        row.eta, row.agreed_role = None, agreed_role.strip()


@transaction.atomic
def update_attendance(
    *,
    actor: User,
    incident: Incident,
    status: str,
    eta: datetime | None = None,
    agreed_role: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Attendance:
    """The caller's agency answers: attending (with an ETA), en route, on scene, left, or cannot attend
    (saying what it will do instead). Changing one's mind is allowed, explicitly, and kept in the timeline.
    On scene puts the caller on scene too: a presence.updated after the attendance.updated (none if
    they had said so already)."""
    now = now or timezone.now()
    _check_answer(status, eta, agreed_role, now)
    agency = actor.membership.agency
    incident = lock_open(incident)
    row = Attendance.objects.filter(incident=incident, agency=agency).first()
    if row is None and not policy.visible_incidents(actor).filter(pk=incident.pk).exists():
        # An agency with a row was asked or has declared itself; one without may declare itself only on
        # an incident it can see - anything else reads as an incident that does not exist.
        raise Incident.DoesNotExist
    if not policy.may_attend(actor):
        raise PermissionDenied("Your role does not answer for your agency's attendance.")
    previous = row.status if row else None
    if not may_move(previous, status):
        raise Conflict(
            f"Attendance cannot go from {previous or 'nothing'} to {status}.", code="illegal_transition"
        )
    row = row or Attendance(incident=incident, agency=agency)
    row.status, row.note, row.updated_at, row.updated_by = status, note, now, actor
    _set_eta_and_role(row, status, eta, agreed_role)
    row.save()
    if previous is None:  # an agency with a row was involved when the row was first written
        _involve(incident, agency, InvolvementReason.DECLARED, now)
    append_event(
        incident=incident,
        type="attendance.updated",
        actor=actor,
        at=now,
        data={**attendance_dict(row), "previous_status": previous},
    )
    if status == AttendanceStatus.ON_SCENE:
        arrive(actor=actor, incident=incident, now=now)
    return row


@transaction.atomic
def stand_down(
    *, actor: User, incident: Incident, agency: Agency, reason: str, now: datetime | None = None
) -> Attendance:
    """The control room tells an agency it is no longer needed."""
    now = now or timezone.now()
    if not policy.may_direct_incident(actor):
        raise PermissionDenied("Only a call handler or control room supervisor stands an agency down.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the agency is stood down."})
    incident = lock_open(incident)
    row = Attendance.objects.filter(incident=incident, agency=agency).first()
    previous = row.status if row else None
    if row is None or not may_move(previous, AttendanceStatus.STOOD_DOWN):
        raise Conflict(
            f"{agency.name} cannot be stood down from {previous or 'nothing'}.", code="illegal_transition"
        )
    row.status, row.note, row.updated_at, row.updated_by = (
        AttendanceStatus.STOOD_DOWN,
        reason.strip(),
        now,
        actor,
    )
    row.save()
    append_event(
        incident=incident,
        type="attendance.updated",
        actor=actor,
        at=now,
        data={**attendance_dict(row), "previous_status": previous},
    )
    return row


@transaction.atomic
def appoint(
    *, actor: User, incident: Incident, role: str, user: User, reason: str, now: datetime | None = None
) -> Appointment:
    """Name the lead professional or the decision maker; the new appointment replaces the current one.
    The incident row lock makes concurrent appointments queue, so exactly one is current afterwards."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why this person is appointed."})
    membership = getattr(user, "membership", None)
    if membership is None or not user.is_active:
        raise ValidationError({"user": "Appoint an active user who belongs to an agency."})
    incident = lock_open(incident)
    if not policy.may_appoint(actor, incident):
        raise PermissionDenied("Only the control room or the current decision maker appoints.")
    if membership.agency_id not in policy.on_incident_agency_ids(incident):
        raise ValidationError(
            {"user": "Appoint a member of an agency on this incident (ask the agency to attend first)."}
        )
    appointment = Appointment.objects.create(
        incident=incident,
        role=role,
        user=user,
        agency=membership.agency,
        appointed_by=actor,
        reason=reason.strip(),
        at=now,
    )
    field = "decision_maker" if role == AppointmentRole.DECISION_MAKER else "lead_professional"
    previous = getattr(incident, f"{field}_id")
    setattr(incident, field, appointment)
    incident.save(update_fields=[field])
    _involve(incident, membership.agency, InvolvementReason.APPOINTED, now)
    append_event(
        incident=incident,
        type=f"{field}.appointed",
        actor=actor,
        at=now,
        data=appointment_row(appointment) | {"replaces": str(previous) if previous else None},
        feed_users=[user.pk],
    )
    return appointment


@transaction.atomic
def record_decision(
    *, actor: User, incident: Incident, decision: str, rationale: str, now: datetime | None = None
) -> Decision:
    """Only the current decision maker records decisions, each with its rationale. One not yet accepted
    accepts by deciding: a decision_maker.accepted (implicit) comes first, in the same transaction."""
    now = now or timezone.now()
    incident = lock_open(incident)
    # pk=None (no decision maker) is a valid lookup, matching no row, that the plugin refuses.
    current = (
        Appointment.objects.select_related("user", "appointed_by")
        .filter(pk=incident.decision_maker_id)  # type: ignore[misc]
        .first()
    )
    if current is None or current.user_id != actor.pk:
        raise PermissionDenied("Only the current decision maker records decisions.")
    if not (rationale or "").strip():
        raise ValidationError({"rationale": "Record why."})
    if current.accepted_at is None:
        accept(actor=actor, incident=incident, appointment=current, now=now, implicit=True)
    row = Decision.objects.create(
        incident=incident,
        decision=decision.strip(),
        rationale=rationale.strip(),
        decided_by=actor,
        agency=actor.membership.agency,
        at=now,
    )
    append_event(
        incident=incident,
        type="decision.recorded",
        actor=actor,
        at=now,
        data={"id": str(row.pk), "decision": row.decision, "rationale": row.rationale},
    )
    return row


def _in_picture(incident: Incident, flag: Flag) -> bool:
    """The flag is on a subject, someone linked to a subject, the incident's address or where they live."""
    people = Person.objects.filter(policy.people_of_incidents([incident.pk]))
    if flag.subject_person_id is not None:
        return people.filter(pk=flag.subject_person_id).exists()
    return flag.subject_address_id == incident.address_id or (
        Residence.objects.filter(person__in=people, current=True, address_id=flag.subject_address_id).exists()
    )


@transaction.atomic
def acknowledge_flag(
    *, actor: User, incident: Incident, flag: Flag, now: datetime | None = None
) -> FlagAcknowledgement:
    """A read receipt: the caller has read this flag for this incident (once per person)."""
    now = now or timezone.now()
    incident = lock_open(incident)
    if not policy.may_acknowledge_flag(actor, incident):
        raise Incident.DoesNotExist
    if not _in_picture(incident, flag):
        raise ValidationError({"flag": "This flag is not in this incident's picture."})
    existing = FlagAcknowledgement.objects.filter(incident=incident, flag=flag, user=actor).first()
    if existing is not None:
        return existing
    row = FlagAcknowledgement.objects.create(
        incident=incident, flag=flag, user=actor, agency=actor.membership.agency, at=now
    )
    append_event(
        incident=incident,
        type="flag.acknowledged",
        actor=actor,
        at=now,
        data={
            "flag": str(flag.pk),
            "category": flag.category,
            "user": user_row(actor),
            "agency": str(row.agency_id),
        },
    )
    return row
