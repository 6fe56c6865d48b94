"""The one event emitter: append the incident's next seq in the change's transaction, publish after commit.

The database is the record; the channel layer only wakes clients (and may drop), so websocket
consumers replay and fill gaps from the Event table by seq.
"""

import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from ooh.accounts.models import Membership, User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.metrics import EVENTS_PUBLISH_FAILED, EVENTS_PUBLISHED
from ooh.observability import current_request_id

from .models import Event, Incident
from .signals import event_committed

logger = logging.getLogger(__name__)

# A message as the clients and the channel layer get it: JSON.
Message = dict[str, Any]
# An id given as a UUID or as its string.
AnyId = uuid.UUID | str

EVENT_TYPES = frozenset(
    {
        "incident.opened",
        "incident.updated",
        "incident.closed",
        "subject.added",
        "attendance.requested",
        "attendance.updated",
        "lead_professional.appointed",
        "decision_maker.appointed",
        # The appointee's answer (recording a decision accepts implicitly); a decline empties the role.
        "lead_professional.accepted",
        "lead_professional.declined",
        "decision_maker.accepted",
        "decision_maker.declined",
        # A person on scene or gone, as they said (or as their agency's on_scene said for them).
        "presence.updated",
        "decision.recorded",
        "flag.acknowledged",
        "flag.added",
        "flag.revoked",
        "birth_plan.updated",
        "escalation.raised",
        "escalation.acknowledged",
        "escalation.resolved",
        # Concerns and referrals (ooh.referrals): on the addressees' feeds, never an incident's log.
        "concern.raised",
        "concern.consulted",
        "concern.transfer_offered",
        "concern.transferred",
        "concern.closed",
        "referral.made",
        "referral.allocated",
        "referral.responded",
        "referral.outcome",
        # A baby born: the lead professional and every agency the plan was shared with.
        "person.born",
        # An incident closed: its outcome to the lead professional, the decision maker, every agency.
        "incident.outcome",
    }
)


def _hex(value: AnyId) -> str:
    """One spelling of an id for group names, whether given a UUID or its string."""
    return uuid.UUID(str(value)).hex


def incident_group(incident_id: AnyId) -> str:
    return f"incident.{_hex(incident_id)}"


def agency_feed_group(agency_id: AnyId) -> str:
    return f"feed.agency.{_hex(agency_id)}"


def user_feed_group(user_id: AnyId) -> str:
    return f"feed.user.{_hex(user_id)}"


# Control rooms see every incident (ooh.access): a control-room feed that asks for it (the board's) is
# told of every incident's every event, so a list of open incidents stays current without a socket each.
EVERY_INCIDENT_FEED_GROUP = "feed.every_incident"


def actor_dict(user: User | None) -> dict[str, str | None] | None:
    if user is None:
        return None
    membership: Membership | None = getattr(user, "membership", None)
    return {
        "id": str(user.pk),
        "username": user.username,
        "display_name": user.display_name,
        "agency": membership.agency.code if membership else None,
    }


def event_dict(event: Event, actor: User | None = None) -> Message:
    """The wire shape, for the websocket and GET /events/ alike."""
    return _message(
        incident=str(event.incident_id),
        seq=event.seq,
        type=event.type,
        at=event.at,
        actor=actor if actor is not None else event.actor,
        data=event.data,
    )


def _message(
    *, incident: str | None, seq: int | None, type: str, at: datetime, actor: User | None, data: Any
) -> Message:
    """One event as every client reads it; a feed-only event (no incident) has no incident or seq."""
    return {
        "type": "event",
        "incident": incident,
        "seq": seq,
        "event": type,
        "at": at.isoformat().replace("+00:00", "Z"),
        "actor": actor_dict(actor),
        "data": data,
    }


def events_after(incident_id: AnyId, seq: int, *, limit: int) -> list[Event]:
    """The incident's stored events after `seq`, in order, at most `limit` (one indexed query): what a
    phone missed, for GET /events/ and the websocket's replay alike."""
    return list(
        Event.objects.filter(incident_id=incident_id, seq__gt=seq)
        .select_related("actor__membership__agency")
        .order_by("seq")[:limit]
    )


def _to_json(data: Mapping[str, object]) -> Message:
    plain: Message = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return plain


def _people_named(data: Mapping[str, object]) -> list[str]:
    """The people an opening or a subject added puts on the incident: their records now hold it, so the
    audit row names them (a subject access export lists it among the accesses to their record)."""
    subjects = data.get("subjects")
    people = [str(p) for p in subjects] if isinstance(subjects, list) else []
    person = data.get("person")
    if isinstance(person, Mapping) and person.get("id"):
        people.append(str(person["id"]))
    return people


def append_event(
    *,
    incident: Incident,
    type: str,
    actor: User | None,
    at: datetime,
    data: Mapping[str, object],
    feed_agencies: Iterable[AnyId] = (),
    feed_users: Iterable[AnyId] = (),
) -> Event:
    """Give the change the incident's next seq. The caller holds the incident row lock (select_for_update)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    incident.last_seq += 1
    Incident.objects.filter(pk=incident.pk).update(last_seq=incident.last_seq)
    event = Event.objects.create(
        incident=incident,
        seq=incident.last_seq,
        type=type,
        at=at,
        actor=actor,
        data=_to_json(data),
        request_id=recorded_request_id(),
    )
    if (
        actor is not None
    ):  # a person changed the incident: on the record with the change (rules write as no one)
        record_access(
            action=AccessAction.CREATE if type == "incident.opened" else AccessAction.UPDATE,
            object_type="incident",
            object_ids=[incident.pk],
            incident_id=incident.pk,
            actor=actor,
            person_ids=_people_named(data),
            detail={"event": type, "seq": event.seq},
        )
    message = event_dict(event, actor)
    agencies, users = list(feed_agencies), list(feed_users)
    transaction.on_commit(lambda: publish(message, feed_agencies=agencies, feed_users=users))
    return event


def emit(
    *,
    type: str,
    actor: User | None,
    at: datetime,
    data: Mapping[str, object],
    incident_id: AnyId | None = None,
    feed_agencies: Iterable[AnyId] = (),
    feed_users: Iterable[AnyId] = (),
) -> Event | None:
    """How an action outside the incident's own app sends an event: on the incident's log (locked,
    next seq) when it is about one, otherwise to the addressees' feeds only. Published after commit."""
    if incident_id is not None:
        incident = Incident.objects.select_for_update().get(pk=incident_id)
        return append_event(
            incident=incident,
            type=type,
            actor=actor,
            at=at,
            data=data,
            feed_agencies=feed_agencies,
            feed_users=feed_users,
        )
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    message = _message(incident=None, seq=None, type=type, at=at, actor=actor, data=_to_json(data))
    agencies, users = list(feed_agencies), list(feed_users)
    transaction.on_commit(lambda: publish(message, feed_agencies=agencies, feed_users=users))
    return None


def publish(
    message: Message, *, feed_agencies: Sequence[AnyId] = (), feed_users: Sequence[AnyId] = ()
) -> None:
    """Wake the incident's sockets and the feeds, serialised once; then tell the receivers of
    event_committed (deadline scheduling talks to the broker, and the phones should not wait for it).
    Never raises: the record is already safe."""
    _wake(message, feed_agencies, feed_users)
    for receiver, error in event_committed.send_robust(sender=Event, message=message):
        if isinstance(error, Exception):  # a scheduling hiccup must not stop the rest; the sweeper catches up
            logger.warning("%s failed for %s", receiver, message["event"], exc_info=error)


def recorded_request_id() -> str:
    """The id of the request or task making this change, as the event row keeps it ("" outside both)."""
    request_id = current_request_id()
    return "" if request_id == "-" else request_id


def _wake(message: Message, feed_agencies: Sequence[AnyId], feed_users: Sequence[AnyId]) -> None:
    sends: list[tuple[str, Message]] = []
    # The request id rides with the channel message (not the client's text): the consumer that sends it
    # down a socket logs under it, so one id follows the change from the POST to every phone.
    request_id = recorded_request_id()
    feed = {
        "type": "feed.message",
        "text": json.dumps({**message, "type": "feed"}, separators=(",", ":")),
        "request_id": request_id,
    }
    if message.get("incident"):
        # An incident's event may reach a socket through two of its groups (every incident, and its
        # agency's): the key lets the socket pass it on once.
        feed["event_key"] = f"{message['incident']}:{message['seq']}"
        text = json.dumps(message, separators=(",", ":"))
        sends.append(
            (
                incident_group(message["incident"]),
                {"type": "incident.event", "seq": message["seq"], "text": text, "request_id": request_id},
            )
        )
        sends.append((EVERY_INCIDENT_FEED_GROUP, feed))
    sends += [(agency_feed_group(a), feed) for a in feed_agencies]
    sends += [(user_feed_group(u), feed) for u in feed_users]
    what = f"{message['event']} #{message['seq']}"
    if send_to_groups(sends, what=what):
        EVENTS_PUBLISHED.labels(event=message["event"]).inc()
        logger.info("published %s of incident %s to %d groups", what, message.get("incident"), len(sends))
    else:
        EVENTS_PUBLISH_FAILED.labels(event=message["event"]).inc()


def send_to_groups(sends: Sequence[tuple[str, Message]], *, what: str) -> bool:
    """Each (group, message) to the channel layer, in order; False if the layer failed. Never raises: the
    database is the record, so if the layer is down the sockets catch up from it (and the inbox keeps
    every notice)."""
    layer = get_channel_layer()
    if layer is None or not sends:
        return True
    try:
        async_to_sync(_send_all)(layer, sends)
    except Exception:
        logger.warning("could not publish %s", what, exc_info=True)
        return False
    return True


async def _send_all(layer: BaseChannelLayer, sends: Sequence[tuple[str, Message]]) -> None:
    for group, message in sends:
        await layer.group_send(group, message)
