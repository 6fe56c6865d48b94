"""Telling people something happened: an inbox entry each (the record), their feeds, and push.

The core writes no notification itself (that is `alerts`, above it): `tell` sends the `notice` signal
inside the caller's transaction, so the inbox entries commit or roll back with the change, and emits
the event to the addressees' feeds (and the incident's log when it is about one) after commit.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from ooh.accounts.models import User

from .events import emit
from .signals import notice


def tell(
    *,
    event: str,
    users: Iterable[uuid.UUID | None],
    title: str,
    body: str,
    data: Mapping[str, object],
    at: datetime,
    actor: User | None = None,
    agencies: Iterable[uuid.UUID] = (),
    incident_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Tell these users (each once; None skipped) and these agencies' feeds. Returns who was told."""
    told = sorted({u for u in users if u is not None}, key=str)
    payload = {**data, "title": title, "body": body}
    notice.send(sender=tell, users=told, kind=event, title=title, body=body, data=dict(data), at=at)
    emit(
        type=event,
        actor=actor,
        at=at,
        data=payload,
        incident_id=incident_id,
        feed_users=told,
        feed_agencies=list(agencies),
    )
    return told
