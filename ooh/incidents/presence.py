"""Who is on scene: each person says so for themselves (POST .../presence/), or is marked on scene when
they say their agency is (update_attendance). Helpers of the actions, called under the incident row lock."""

from datetime import datetime
from typing import Any

from ooh.accounts.models import User
from ooh.shapes import iso_datetime, user_row

from .events import append_event
from .models import Incident, Presence, PresenceStatus


def presence_data(row: Presence, user: User) -> dict[str, Any]:
    """presence.updated's data: who, for which agency (by id), on scene or left, since when."""
    return {
        "user": user_row(user),
        "agency": str(row.agency_id),
        "status": row.status,
        "at": iso_datetime(row.since),
    }


def set_presence(
    *, actor: User, incident: Incident, row: Presence | None, status: str, now: datetime
) -> Presence:
    """Write the caller's row (the first, or the change) and append presence.updated."""
    row = row or Presence(incident=incident, user=actor)
    row.agency_id = actor.membership.agency_id
    row.status, row.since, row.updated_at = status, now, now
    row.save()
    append_event(
        incident=incident, type="presence.updated", actor=actor, at=now, data=presence_data(row, actor)
    )
    return row


def arrive(*, actor: User, incident: Incident, now: datetime) -> Presence | None:
    """The caller is on scene (their agency just said so): a no-op if they already said it themselves."""
    row = Presence.objects.filter(incident=incident, user=actor).first()
    if row is not None and row.status == PresenceStatus.ON_SCENE:
        return None
    return set_presence(actor=actor, incident=incident, row=row, status=PresenceStatus.ON_SCENE, now=now)
