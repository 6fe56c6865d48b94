"""The periodic re-check of every open socket, batched: one task per process, a few queries per sweep.

Each socket must learn, within WS_RESYNC_SECONDS, that its token was revoked or expired, that its user
lost their agency or the incident its visibility or its grace after closing, and that it missed an
event whose wake-up the channel layer dropped. Asked socket by socket that is three queries each:
3,000 per sweep for 1,000 phones, queued on the one thread Channels gives database reads, in front of
the live events. The hub asks once for all of them - the users, the tokens, the incidents and who may
see them, in chunks - and each consumer reads the verdict itself, asking the hub to run something only
when it must close (4403) or fill in a lost wake-up.
"""

import asyncio
import logging
import uuid
import weakref
from collections.abc import Awaitable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ooh.access import policy
from ooh.incidents.models import Incident, IncidentStatus

logger = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...): under SQLite's bound-parameter limit, small for PostgreSQL's planner

_T = TypeVar("_T")


@dataclass(frozen=True)
class Subject:
    """What a socket stands on: its user, the agency it was opened for, its token's digest (for a
    ticket, the token the ticket was issued under) and its incident (None: a feed)."""

    user_id: uuid.UUID
    agency_id: uuid.UUID
    token_digest: str | None
    incident_id: uuid.UUID | None = None


@dataclass
class Verdict:
    now: datetime
    # active user with an agency -> agency id
    agencies: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)  # digests still valid
    # incident id -> (last_seq, closed_at or None)
    incidents: dict[uuid.UUID, tuple[int, datetime | None]] = field(default_factory=dict)
    # (incident id, agency id) the agency may see
    visible: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    control_rooms: set[uuid.UUID] = field(default_factory=set)  # users who see every incident (ooh.access)

    def allowed(self, subject: Subject) -> bool:
        """The user is active, still with the agency the socket was opened for (a move means a new
        socket, authorised afresh), and the token (if any) is neither revoked nor expired."""
        if self.agencies.get(subject.user_id) != subject.agency_id:
            return False
        return subject.token_digest is None or subject.token_digest in self.tokens

    def incident_state(self, subject: Subject) -> tuple[int, datetime | None] | None:
        """(last_seq, closed_at) if the subject's agency may still see the incident, else None."""
        if subject.incident_id is None:  # a feed's subject: no incident to see
            return None
        state = self.incidents.get(subject.incident_id)
        if state is None:
            return None
        if (
            subject.user_id not in self.control_rooms
            and (subject.incident_id, subject.agency_id) not in self.visible
        ):
            return None
        return state


class Member(Protocol):
    """A socket the hub re-checks (api.consumers.AuthenticatedConsumer)."""

    def resync_subject(self) -> Subject: ...

    def resync(self, verdict: Verdict, subject: Subject) -> Awaitable[None] | None: ...


def _chunks(values: Iterable[_T]) -> Iterator[list[_T]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def check(subjects: Sequence[Subject], now: datetime) -> Verdict:
    """Everything the sockets stand on, in one query per kind (per CHUNK ids)."""
    from django.contrib.auth import get_user_model
    from knox.models import get_token_model

    verdict = Verdict(now=now)
    user_model, token_model = get_user_model(), get_token_model()
    for ids in _chunks({s.user_id for s in subjects}):
        for pk, agency_id, role, kind in user_model.objects.filter(
            pk__in=ids, is_active=True, membership__isnull=False
        ).values_list("pk", "membership__agency_id", "membership__role", "membership__agency__kind"):
            verdict.agencies[pk] = agency_id
            if policy.is_control_room_membership(role, kind):
                verdict.control_rooms.add(pk)
    unexpired = Q(expiry__isnull=True) | Q(expiry__gt=now)
    for digests in _chunks({s.token_digest for s in subjects if s.token_digest is not None}):
        verdict.tokens.update(
            token_model.objects.filter(unexpired, digest__in=digests).values_list("digest", flat=True)
        )
    agencies = {s.agency_id for s in subjects}
    for ids in _chunks({s.incident_id for s in subjects if s.incident_id is not None}):
        for pk, last_seq, status, closed_at in Incident.objects.filter(pk__in=ids).values_list(
            "pk", "last_seq", "status", "closed_at"
        ):
            verdict.incidents[pk] = (last_seq, closed_at if status == IncidentStatus.CLOSED else None)
        verdict.visible |= policy.visible_incident_pairs(ids, agencies)
    return verdict


class Hub:
    """The consumers of one event loop, re-checked together every WS_RESYNC_SECONDS.

    Members are held weakly: a consumer that ended without disconnect() (a handler raised) drops out.
    A sweep waits at most one interval for its sockets; one that is still busy from the last sweep (a
    close the phone never answers, a catch-up stuck behind a full send buffer) is left to finish and
    holds up neither the sweep nor the others.
    """

    def __init__(self) -> None:
        self.members: weakref.WeakSet[Member] = weakref.WeakSet()
        # consumer -> its resync task still in flight
        self.running: weakref.WeakKeyDictionary[Member, asyncio.Task[None]] = weakref.WeakKeyDictionary()
        self.task: asyncio.Task[None] | None = None

    def add(self, consumer: Member) -> None:
        self.members.add(consumer)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, consumer: Member) -> None:
        self.members.discard(consumer)

    async def _run(self) -> None:
        while self.members:
            await asyncio.sleep(settings.WS_RESYNC_SECONDS)
            try:
                await self.sweep()
            except Exception:  # the database is away: the sockets stay up and the next sweep tries again
                logger.warning("websocket resync failed", exc_info=True)

    async def sweep(self, now: datetime | None = None) -> None:
        """Check every member against the database once; each closes or catches up as the verdict says."""
        members = list(self.members)
        if not members:
            return
        subjects = [m.resync_subject() for m in members]
        verdict = await database_sync_to_async(check)(subjects, now or timezone.now())
        started: list[asyncio.Task[None]] = []
        for member, subject in zip(members, subjects, strict=True):
            busy = self.running.get(member)
            if member not in self.members or (busy is not None and not busy.done()):
                continue
            action = member.resync(verdict, subject)  # None for most sockets: nothing to schedule
            if action is not None:
                self.running[member] = task = asyncio.create_task(self._act(action))
                started.append(task)
        if started:
            await asyncio.wait(started, timeout=settings.WS_RESYNC_SECONDS)

    @staticmethod
    async def _act(action: Awaitable[None]) -> None:
        try:
            await action
        except Exception:
            logger.warning("websocket resync of one socket failed", exc_info=True)


# event loop -> its hub: one per process under uvicorn
_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The running event loop's hub."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found
