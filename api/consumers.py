"""Websocket consumers: thin. They authenticate, join a group, replay from the database, then stream.

The channel layer may drop messages, so a consumer trusts only the Event table: it joins the group
before replaying (nothing falls between), drops what it already sent, fills any gap in seq from the
database, and is re-checked against the database every few seconds with every other socket of the
process (api/resync.py) in case the wake-up itself was lost or access has ended.
"""

import asyncio
import dataclasses
import json
import logging
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from ooh.access import policy
from ooh.incidents.events import agency_feed_group, event_dict, incident_group, user_feed_group
from ooh.incidents.models import Event

from . import resync
from .ws_auth import origin_allowed

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_REQUEST = 4400
REPLAY_BATCH = 500


class AuthenticatedConsumer(AsyncWebsocketConsumer):
    """Refuses a foreign browser Origin at the handshake, and anyone unauthenticated with 4401."""

    async def connect(self):
        if not origin_allowed(self.scope):
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        await self.accept()
        user = self.scope.get("user")
        if user is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if getattr(user, "membership", None) is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.start(user)

    async def start(self, user):
        raise NotImplementedError

    async def dispatch(self, message):
        """Channels' dispatch, without its hop to the shared sync thread on every message.

        Channels closes stale database connections before each handler, in a thread hop; with 1,000
        sockets on an incident that is 1,000 hops queued behind one thread per event. Every database
        read here goes through database_sync_to_async, which closes stale connections before and after
        itself, so the hop is pure cost: the live path sends a pre-serialised text and touches nothing.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code):
        resync.hub().discard(self)
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def join(self, group):
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = [*getattr(self, "groups_joined", []), group]

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = json.loads(text_data) if text_data is not None else None
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self.send_json({"type": "error", "code": "invalid_json", "detail": "Send a JSON object."})
        elif message.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json(
                {
                    "type": "error",
                    "code": "unknown_type",
                    "detail": f"Unknown message type {message.get('type')!r}.",
                }
            )

    async def send_json(self, content):
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    def start_resyncing(self):
        """From now on the process's resync hub re-checks this socket with all the others."""
        resync.hub().add(self)

    def resync_subject(self) -> resync.Subject:
        user = self.scope["user"]
        return resync.Subject(user.pk, user.membership.agency_id, self.scope.get("token_digest"))

    def resync(self, verdict: resync.Verdict, subject: resync.Subject):
        """What a sweep's verdict on this socket's subject asks of it: None (most sockets, most sweeps),
        or a coroutine for the hub to run - close it, or fill in a lost wake-up."""
        return None if verdict.allowed(subject) else self.refuse()

    async def refuse(self):
        """Access ended while the socket was open (token revoked or expired, agency gone...): 4403."""
        resync.hub().discard(self)
        await self.close(code=CLOSE_FORBIDDEN)


class IncidentConsumer(AuthenticatedConsumer):
    """/ws/v1/incidents/{id}/?after=<seq>: hello, every event after `after`, then live events - gapless."""

    async def start(self, user):
        self.sent_seq = self.seen_seq = 0  # seen_seq: the incident's last_seq at the previous sweep
        self.lock = asyncio.Lock()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        after = query.get("after", ["0"])[0]
        if not after.isdigit():
            await self.send_json(
                {"type": "error", "code": "invalid_after", "detail": "after must be a seq (0 or more)."}
            )
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        self.incident_id = self.scope["url_route"]["kwargs"]["incident_id"]
        incident = await database_sync_to_async(self._visible_incident)(user)
        if incident is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        async with self.lock:
            await self.join(incident_group(self.incident_id))  # before the replay: nothing falls between
            self.sent_seq = int(after)
            await self.send_json(
                {"type": "hello", "incident": str(incident.pk), "last_seq": incident.last_seq}
            )
            await self._catch_up()
        self.start_resyncing()

    def _visible_incident(self, user):
        return policy.visible_incidents(user).filter(pk=self.incident_id).first()

    def _events_after(self, seq):
        events = (
            Event.objects.filter(incident_id=self.incident_id, seq__gt=seq)
            .select_related("actor__membership__agency")
            .order_by("seq")[:REPLAY_BATCH]
        )
        return [(e.seq, json.dumps(event_dict(e), separators=(",", ":"))) for e in events]

    async def _catch_up(self):
        """Send every stored event after the last one sent, in order (the caller holds the lock)."""
        while True:
            batch = await database_sync_to_async(self._events_after)(self.sent_seq)
            for seq, text in batch:
                await self.send(text_data=text)
                self.sent_seq = seq
            if len(batch) < REPLAY_BATCH:
                return

    async def incident_event(self, message):
        async with self.lock:
            seq = message["seq"]
            if seq <= self.sent_seq:
                return  # already sent (replayed, or a duplicate wake-up)
            if seq == self.sent_seq + 1:
                await self.send(text_data=message["text"])
                self.sent_seq = seq
            else:
                await self._catch_up()  # a message was dropped: the database has it

    def resync_subject(self) -> resync.Subject:
        return dataclasses.replace(super().resync_subject(), incident_id=self.incident_id)

    def resync(self, verdict: resync.Verdict, subject: resync.Subject):
        """Close if access ended; catch up only to what the previous sweep already saw.

        A seq the database has now may still be on its way through the channel layer (under a burst,
        hundreds are): catching up on it would queue one database read per socket on the one thread
        Channels gives them, each holding up that socket's live events. A seq seen a whole sweep ago
        and still not sent was lost, so a lost last wake-up is filled within two intervals."""
        state = verdict.incident_state(subject) if verdict.allowed(subject) else None
        if state is None:
            return self.refuse()
        last_seq, closed_at = state
        if closed_at is not None and verdict.now - closed_at > settings.CLOSED_INCIDENT_GRACE:
            return self.refuse()
        lost = self.sent_seq < self.seen_seq
        self.seen_seq = last_seq
        return self._locked_catch_up() if lost else None

    async def _locked_catch_up(self):
        async with self.lock:
            await self._catch_up()


class FeedConsumer(AuthenticatedConsumer):
    """/ws/v1/feed/: incidents opened for the caller's agency, attendance asked of it, escalations to the
    caller or its agency, birth plans shared with it."""

    async def start(self, user):
        await self.join(agency_feed_group(user.membership.agency_id))
        await self.join(user_feed_group(user.pk))
        await self.send_json(
            {"type": "hello", "feed": {"user": str(user.pk), "agency": str(user.membership.agency_id)}}
        )
        self.start_resyncing()

    async def feed_message(self, message):
        await self.send(text_data=message["text"])
