"""An appointment's answer: the appointee accepts (or records a decision, which accepts implicitly) or
declines. Helpers of the actions, called under the incident row lock they hold; and whom one may appoint.
"""

import uuid
from datetime import datetime

from django.db.models import F, Q, QuerySet

from ooh.access import policy
from ooh.accounts.models import User
from ooh.errors import Conflict
from ooh.shapes import appointment_row

from .events import append_event
from .models import Appointment, AppointmentRole, Incident

# The incident's pointer at the current appointment of each role; each role's events are named after it.
FIELDS = {
    AppointmentRole.DECISION_MAKER: "decision_maker",
    AppointmentRole.LEAD_PROFESSIONAL: "lead_professional",
}


def appointable(incident: Incident, *, agency: uuid.UUID | None = None, search: str = "") -> QuerySet[User]:
    """The active members of the agencies on the incident (an appointee must be one), with their
    membership and agency, and `agency_name` to order by; narrowed to one agency or a name."""
    users = User.objects.filter(
        is_active=True, membership__agency_id__in=policy.on_incident_agency_ids(incident)
    ).select_related("membership__agency")
    if agency is not None:
        users = users.filter(membership__agency_id=agency)
    search = search.strip()
    if search:
        users = users.filter(Q(display_name__icontains=search) | Q(username__icontains=search))
    return users.annotate(agency_name=F("membership__agency__name"))


def appointed_roles(incident: Incident) -> dict[uuid.UUID, str]:
    """user id -> the role they are appointed to on the incident now (decision maker first, when one
    person holds both; one query)."""
    ids = [pk for pk in (incident.decision_maker_id, incident.lead_professional_id) if pk is not None]
    rows = Appointment.objects.filter(pk__in=ids).values_list("user_id", "role")
    roles: dict[uuid.UUID, str] = {}
    for user_id, role in sorted(rows, key=lambda row: row[1] != AppointmentRole.DECISION_MAKER):
        roles.setdefault(user_id, role)
    return roles


def current_appointment(incident: Incident, role: str) -> Appointment:
    """The appointment the incident points at for this role, its users loaded; 409 if there is none."""
    appointment_id = getattr(incident, f"{FIELDS[AppointmentRole(role)]}_id")
    if appointment_id is None:
        raise Conflict(
            f"Nobody is appointed {AppointmentRole(role).label.lower()} on this incident now.",
            code="no_current_appointment",
        )
    return Appointment.objects.select_related("user", "appointed_by").get(pk=appointment_id)


def check_unanswered(appointment: Appointment) -> None:
    if appointment.accepted_at is not None or appointment.declined_at is not None:
        raise Conflict(
            "This appointment has already been "
            f"{'accepted' if appointment.accepted_at is not None else 'declined'}.",
            code="appointment_already_answered",
        )


def accept(
    *, actor: User, incident: Incident, appointment: Appointment, now: datetime, implicit: bool = False
) -> None:
    """Accepted: the appointer is told (their feed). `implicit`: by recording a decision."""
    appointment.accepted_at = now
    appointment.save(update_fields=["accepted_at"])
    append_event(
        incident=incident,
        type=f"{FIELDS[AppointmentRole(appointment.role)]}.accepted",
        actor=actor,
        at=now,
        data=appointment_row(appointment) | {"implicit": implicit},
        feed_users=[appointment.appointed_by_id],
    )


def decline(*, actor: User, incident: Incident, appointment: Appointment, reason: str, now: datetime) -> None:
    """Declined, with the reason: the role is empty again (the timeline keeps the appointment), and the
    appointer is told."""
    field = FIELDS[AppointmentRole(appointment.role)]
    appointment.declined_at, appointment.decline_reason = now, reason
    appointment.save(update_fields=["declined_at", "decline_reason"])
    setattr(incident, field, None)
    incident.save(update_fields=[field])
    append_event(
        incident=incident,
        type=f"{field}.declined",
        actor=actor,
        at=now,
        data=appointment_row(appointment) | {"reason": reason},
        feed_users=[appointment.appointed_by_id],
    )
