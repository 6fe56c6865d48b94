"""Websocket consumers: thin. They authenticate, join a group, replay from the database, then stream.

The channel layer may drop messages, so a consumer trusts only the Event table: it joins the group
before replaying (nothing falls between), drops what it already sent, fills any gap in seq from the
database, and is re-checked against the database every few seconds with every other socket of the
process (api/resync.py) in case the wake-up itself was lost or access has ended. Every socket also joins
its user's sessions group, so a revoked token or a sign-out everywhere closes it at once (4403).

A client's frame is never trusted: one that is too large, too deeply nested, binary, not a JSON object
or of an unknown type gets an error message, and the socket stays up.
"""

import asyncio
import dataclasses
import json
import logging
import uuid
from collections import deque
from collections.abc import Coroutine
from typing import Any, cast
from urllib.parse import parse_qs

from asgiref.typing import WebSocketScope
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from ooh.access import policy
from ooh.accounts.actions import sessions_group
from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.incidents.events import (
    EVERY_INCIDENT_FEED_GROUP,
    agency_feed_group,
    event_dict,
    events_after,
    incident_group,
    user_feed_group,
)
from ooh.metrics import EVENTS_DELIVERED, WEBSOCKETS_CLOSED, WEBSOCKETS_OPEN, WEBSOCKETS_OPENED
from ooh.observability import request_id_var

from . import resync
from .parsers import MAX_DEPTH, nested_deeper_than
from .socket_threads import on_socket_threads
from .ws_auth import origin_allowed

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_REQUEST = 4400
REPLAY_BATCH = 500
RECENT_FEED_KEYS = 256  # events a socket on every incident remembers, to pass each on once
MAX_FRAME_BYTES = 64 * 1024  # a client sends pings; anything near this size is not a client of ours


class AuthenticatedConsumer(AsyncWebsocketConsumer):
    """Refuses a foreign browser Origin at the handshake, and anyone unauthenticated with 4401."""

    groups_joined: list[str]
    route = "socket"  # the metrics' label: which kind of socket
    counted = False

    async def connect(self) -> None:
        if not origin_allowed(self.scope):
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        await self.accept()
        self.counted = True
        WEBSOCKETS_OPEN.labels(route=self.route).inc()
        WEBSOCKETS_OPENED.labels(route=self.route).inc()
        # TokenOrTicketAuthMiddleware's: a User or None (Channels' stubs expect its own lazy user).
        user = cast("User | None", self.scope.get("user"))
        if user is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if getattr(user, "membership", None) is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Before anything is sent: a session ended from here on closes this socket at once. One ended
        # between the handshake's token check and this line is left to the resync sweep.
        await self.join(sessions_group(user.pk))
        await self.start(user)

    async def start(self, user: User) -> None:
        raise NotImplementedError

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without its hop to the shared sync thread on every message.

        Channels closes stale database connections before each handler, in a thread hop; with 1,000
        sockets on an incident that is 1,000 hops queued behind one thread per event. Every database
        read here goes through database_sync_to_async, which closes stale connections before and after
        itself, so the hop is pure cost: the live path sends a pre-serialised text and touches nothing.
        Measured with 1,000 sockets on an incident, Channels' dispatch doubles the fan-out's p50, adds 80%
        to its p99 and 46% to the server's CPU (docs/benchmarks.md); tests/test_asgi_patches.py pins the
        Channels code this replaces.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if self.counted:
            self.counted = False
            WEBSOCKETS_OPEN.labels(route=self.route).dec()
            WEBSOCKETS_CLOSED.labels(route=self.route, code=str(code)).inc()
        resync.hub().discard(self)
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = [*getattr(self, "groups_joined", []), group]

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message, refusal = self._parse_frame(text_data)
        if refusal is not None:
            code, detail = refusal
            await self.send_json({"type": "error", "code": code, "detail": detail})
            return
        message = cast("dict[str, Any]", message)  # not refused, so parsed
        if message.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            shown = repr(message.get("type"))
            shown = shown if len(shown) <= 40 else shown[:37] + "..."  # echo a little, not the frame
            await self.send_json(
                {
                    "type": "error",
                    "code": "unknown_type",
                    "detail": f'Unknown message type {shown}; send {{"type": "ping"}}.',
                }
            )

    @staticmethod
    def _parse_frame(
        text_data: str | None,
    ) -> tuple[dict[str, Any], None] | tuple[None, tuple[str, str]]:
        """(the frame's JSON object, None), or (None, (code, detail)) for a frame refused.

        The size is checked before anything reads the text, and the nesting by a flat scan before the
        decoder (which recurses once per level: "[" * 5000 exhausts the stack)."""
        if text_data is None:  # a binary frame
            return None, ("binary_frame", "Send text frames of JSON; binary frames are not read.")
        if len(text_data) > MAX_FRAME_BYTES or len(text_data.encode("utf-8", "replace")) > MAX_FRAME_BYTES:
            return None, ("frame_too_large", f"Send frames of at most {MAX_FRAME_BYTES} bytes.")
        if nested_deeper_than(text_data, MAX_DEPTH):
            return None, ("too_deep", f"Send JSON nested at most {MAX_DEPTH} levels deep.")
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict):
            return None, ("invalid_json", 'Send a JSON object, such as {"type": "ping"}.')
        return message, None

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def send_event(self, text: str, request_id: str = "") -> None:
        """One event down the socket, counted, and logged (at debug) under the request that made it."""
        token = request_id_var.set(request_id or "-")
        try:
            await self.send(text_data=text)
            EVENTS_DELIVERED.labels(route=self.route).inc()
            logger.debug("sent an event down a socket (%s)", self.route)
        finally:
            request_id_var.reset(token)

    def start_resyncing(self) -> None:
        """From now on the process's resync hub re-checks this socket with all the others."""
        resync.hub().add(self)

    def resync_subject(self) -> resync.Subject:
        # A socket resyncs once connect() found its member; TokenOrTicketAuthMiddleware put both here.
        user = cast(User, self.scope["user"])
        digest = cast("str | None", self.scope.get("token_digest"))
        return resync.Subject(user.pk, user.membership.agency_id, digest)

    def resync(self, verdict: resync.Verdict, subject: resync.Subject) -> Coroutine[Any, Any, None] | None:
        """What a sweep's verdict on this socket's subject asks of it: None (most sockets, most sweeps),
        or a coroutine for the hub to run - close it, or fill in a lost wake-up."""
        return None if verdict.allowed(subject) else self.refuse()

    async def refuse(self) -> None:
        """Access ended while the socket was open (token revoked or expired, agency gone...): 4403."""
        resync.hub().discard(self)
        await self.close(code=CLOSE_FORBIDDEN)

    async def sessions_ended(self, message: dict[str, Any]) -> None:
        """Tokens of this user were revoked (`tokens`: their digests; None: every one, so every socket).
        The socket of a token revoked closes now rather than at the next sweep."""
        ended = message.get("tokens")
        if ended is None or self.scope.get("token_digest") in ended:
            await self.refuse()


class IncidentConsumer(AuthenticatedConsumer):
    """/ws/v1/incidents/{id}/?after=<seq>: hello, every event after `after`, then live events - gapless."""

    route = "incident"

    incident_id: uuid.UUID
    sent_seq: int
    seen_seq: int
    lock: asyncio.Lock
    admitted = False

    async def start(self, user: User) -> None:
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
        # The group is joined before the replay is read, so nothing falls between; nothing reaches this
        # socket before it is admitted (incident_event waits for `admitted`, and a refused one is closed).
        await self.join(incident_group(self.incident_id))
        opened = await on_socket_threads(self._open)(user, int(after))
        if opened is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        last_seq, replay = opened
        async with self.lock:
            self.admitted = True
            self.sent_seq = int(after)
            await self.send_json({"type": "hello", "incident": str(self.incident_id), "last_seq": last_seq})
            await self._send_batch(replay)
            if len(replay) == REPLAY_BATCH:
                await self._catch_up()
        self.start_resyncing()

    def _open(self, user: User, after: int) -> tuple[int, list[tuple[int, str, str]]] | None:
        """One trip to the database for a connection: (last_seq, the first batch of events after `after`)
        if the user may see the incident, else None; either way the attempt is on the record (a socket
        replays the timeline from `after`, then streams it: one audit row for the socket)."""
        incident = policy.visible_incidents(user).filter(pk=self.incident_id).only("pk", "last_seq").first()
        record_access(
            action=AccessAction.READ if incident is not None else AccessAction.REFUSED,
            object_type="incident_events",
            object_ids=[self.incident_id],
            incident_id=self.incident_id if incident is not None else None,
            actor=user,
            detail={"via": "websocket", "after": after, **_client(self.scope)},
        )
        if incident is None:
            return None
        return incident.last_seq, self._events_after(after)

    def _events_after(self, seq: int) -> list[tuple[int, str, str]]:
        events = events_after(self.incident_id, seq, limit=REPLAY_BATCH)
        return [(e.seq, json.dumps(event_dict(e), separators=(",", ":")), e.request_id) for e in events]

    async def _catch_up(self) -> None:
        """Send every stored event after the last one sent, in order (the caller holds the lock)."""
        while True:
            batch = await database_sync_to_async(self._events_after)(self.sent_seq)
            await self._send_batch(batch)
            if len(batch) < REPLAY_BATCH:
                return

    async def _send_batch(self, batch: list[tuple[int, str, str]]) -> None:
        for seq, text, request_id in batch:
            if seq > self.sent_seq:  # a live wake-up may have sent it meanwhile (never twice)
                await self.send_event(text, request_id)  # a replay too is logged under the change's request
                self.sent_seq = seq

    async def incident_event(self, message: dict[str, Any]) -> None:
        if not self.admitted:
            return  # joined before its access was checked: only an admitted socket hears anything
        async with self.lock:
            seq = message["seq"]
            if seq <= self.sent_seq:
                return  # already sent (replayed, or a duplicate wake-up)
            if seq == self.sent_seq + 1:
                await self.send_event(message["text"], message.get("request_id", ""))
                self.sent_seq = seq
            else:
                await self._catch_up()  # a message was dropped: the database has it

    def resync_subject(self) -> resync.Subject:
        return dataclasses.replace(super().resync_subject(), incident_id=self.incident_id)

    def resync(self, verdict: resync.Verdict, subject: resync.Subject) -> Coroutine[Any, Any, None] | None:
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

    async def _locked_catch_up(self) -> None:
        async with self.lock:
            await self._catch_up()


class FeedConsumer(AuthenticatedConsumer):
    """/ws/v1/feed/: incidents opened for the caller's agency, attendance asked of it, escalations to the
    caller or its agency, birth plans shared with it.

    `?incidents=all`, for a control room (who sees every incident): every event of every incident too,
    so a board's list of open incidents stays current. Anyone else asking is refused with 4403; a socket
    whose user stops being control room is closed with 4403 at the next re-check."""

    route = "feed"
    every_incident = False

    async def start(self, user: User) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        wanted = query.get("incidents", [""])[0]
        if wanted not in ("", "all"):
            await self.send_json(
                {"type": "error", "code": "invalid_incidents", "detail": 'incidents may only be "all".'}
            )
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        if wanted == "all" and not await database_sync_to_async(self._may_hear_every_incident)(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.every_incident = wanted == "all"
        self.recent_keys: deque[str] = deque(maxlen=RECENT_FEED_KEYS)
        await database_sync_to_async(self._record_open)(user)
        await self.join(agency_feed_group(user.membership.agency_id))
        await self.join(user_feed_group(user.pk))
        if self.every_incident:
            await self.join(EVERY_INCIDENT_FEED_GROUP)
        await self.send_json(
            {
                "type": "hello",
                "feed": {
                    "user": str(user.pk),
                    "agency": str(user.membership.agency_id),
                    "every_incident": self.every_incident,
                },
            }
        )
        self.start_resyncing()

    def _may_hear_every_incident(self, user: User) -> bool:
        """Control rooms only; anyone else's attempt is on the record as refused."""
        if policy.is_control_room(user):
            return True
        record_access(
            action=AccessAction.REFUSED,
            object_type="feed",
            object_ids=[user.membership.agency_id],
            actor=user,
            detail={"via": "websocket", "every_incident": True, **_client(self.scope)},
        )
        return False

    def _record_open(self, user: User) -> None:
        """The feed names incidents, escalations and plans as they come: opening it is on the record."""
        record_access(
            action=AccessAction.READ,
            object_type="feed",
            object_ids=[user.membership.agency_id],
            actor=user,
            detail={"via": "websocket", "every_incident": self.every_incident, **_client(self.scope)},
        )

    def resync(self, verdict: resync.Verdict, subject: resync.Subject) -> Coroutine[Any, Any, None] | None:
        if self.every_incident and subject.user_id not in verdict.control_rooms:
            return self.refuse()
        return super().resync(verdict, subject)

    async def feed_message(self, message: dict[str, Any]) -> None:
        key = message.get("event_key")
        if key is not None and self.every_incident:
            if key in self.recent_keys:
                return  # heard through the every-incident group and the agency's too
            self.recent_keys.append(key)
        await self.send_event(message["text"], message.get("request_id", ""))


def _client(scope: WebSocketScope) -> dict[str, str]:
    client = scope.get("client")
    return {"client": client[0]} if client else {}
