"""What people answer for themselves on the night: accepting or declining an appointment as decision
maker or lead professional, and being on scene or gone.

Like every incident action: the row locked, the rule asked, the change and its event in one
transaction, published after commit.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import User
from ooh.errors import Conflict

from . import appointments
from .actions import lock_open
from .models import Appointment, Incident, Presence, PresenceStatus
from .presence import set_presence


def _answerable(actor: User, incident: Incident, role: str) -> Appointment:
    """The current appointment of the role, if the caller is its appointee and has not answered it."""
    appointment = appointments.current_appointment(incident, role)  # 409 when the role is empty
    if not policy.may_answer_appointment(actor, appointment):
        raise PermissionDenied("Only the person appointed answers the appointment.")
    appointments.check_unanswered(appointment)
    return appointment


@transaction.atomic
def accept_appointment(
    *, actor: User, incident: Incident, role: str, now: datetime | None = None
) -> Appointment:
    """The appointee accepts: a decision maker who accepted ends the no_decision_maker chase."""
    now = now or timezone.now()
    incident = lock_open(incident)
    appointment = _answerable(actor, incident, role)
    appointments.accept(actor=actor, incident=incident, appointment=appointment, now=now)
    return appointment


@transaction.atomic
def decline_appointment(
    *, actor: User, incident: Incident, role: str, reason: str, now: datetime | None = None
) -> Appointment:
    """The appointee declines, saying why: the role is empty again until someone else is appointed."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why you decline."})
    incident = lock_open(incident)
    appointment = _answerable(actor, incident, role)
    appointments.decline(
        actor=actor, incident=incident, appointment=appointment, reason=reason.strip(), now=now
    )
    return appointment


@transaction.atomic
def report_presence(*, actor: User, incident: Incident, status: str, now: datetime | None = None) -> Presence:
    """The caller is on scene, or has left (only after being on scene); for themselves alone."""
    now = now or timezone.now()
    if status not in PresenceStatus.values:
        raise ValidationError({"status": "Say on_scene or left."})
    incident = lock_open(incident)
    if not policy.visible_incidents(actor).filter(pk=incident.pk).exists():
        raise Incident.DoesNotExist
    if not policy.may_report_presence(actor):
        raise PermissionDenied("Your role does not report being on scene.")
    row = Presence.objects.filter(incident=incident, user=actor).first()
    here = row is not None and row.status == PresenceStatus.ON_SCENE
    if status == PresenceStatus.ON_SCENE and here:
        raise Conflict("You are on scene already.", code="already_on_scene")
    if status == PresenceStatus.LEFT and not here:
        raise Conflict("You are not on scene, so you cannot leave it.", code="not_on_scene")
    return set_presence(actor=actor, incident=incident, row=row, status=status, now=now)
