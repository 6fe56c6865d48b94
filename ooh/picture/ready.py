"""Snapshots kept ready: built once per incident seq and reader's view, then served to every such reader.

After a restart every phone reads its incident's snapshot at once. Building one costs about fourteen
queries and twenty milliseconds of Python; what it shows changes only when

- an event is appended to the incident (its last_seq moves: every change of the night does this, and so
  do flags and birth plans changing for anyone in the picture, ooh/incidents/announce.py),
- the clock passes a moment the snapshot depends on (an ETA or answer-by time, a flag's end, midnight
  for ages and day counts), or
- something it shows changes without an event of its own (a plan read by another agency, a person's
  details corrected), which READY_SNAPSHOT_MAX_AGE bounds: a kept snapshot is never older than that.

So each process keeps the rendered JSON of the snapshots it built, keyed by (incident, last_seq, the
reader's view), in a small LRU, and a read that finds a current one skips the build. The reader's view
is what words it: service and control room, agency ("your agency"), and the user only when the user is
the incident's lead professional or decision maker ("You are appointed decision maker"); so phones of
one service share a snapshot. Every read is still authorised (the incident is fetched through the
access policy first) and audited with the people the snapshot discloses.

The ETag is `"<last_seq>.<digest of the content>"`: a phone learns the seq from it, and two snapshots
that read differently never share a tag, whatever changed them, so a 304 is never wrong.

The shelf is per process, for no network round trip: each process builds a snapshot once per seq and view.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from ooh.incidents.models import Incident
from ooh.referrals.calendar import local_date, local_zone

from . import snapshot
from .audience import Audience

ViewKey = tuple[str, bool, str | None, str | None]
ShelfKey = tuple[str, int, ViewKey]


@dataclass(frozen=True)
class Ready:
    """A snapshot as served: its JSON, tag and what a read of it must still do (audit, disclosure)."""

    content: bytes
    etag: str
    seq: int
    person_ids: tuple[str, ...]  # everyone it discloses, for the audit row of each read
    flags: tuple[Mapping[str, Any], ...]  # the flag rows it shows, for disclosure notices
    built_at: datetime
    stale_at: datetime  # the clock alone changes it then, or it is too old to trust

    def current(self, now: datetime) -> bool:
        return now < self.stale_at


def view_key(incident: Incident, audience: Audience) -> ViewKey:
    """What words a snapshot for this reader: the user counts only as an appointee of the incident."""
    appointees = {
        str(a.user_id) for a in (incident.lead_professional, incident.decision_maker) if a is not None
    }
    user = audience.user_id if audience.user_id in appointees else None
    return (audience.service, audience.control_room, audience.agency_id, user)


def clock_changes(body: Mapping[str, Any], now: datetime) -> datetime:
    """The first moment after `now` at which the same records read differently: an ETA or answer-by time
    passing ("overdue"), a flag ending, or local midnight (ages, days since a birth)."""
    moments: list[str | None] = [
        *(row.get(name) for row in body.get("attendance", ()) for name in ("eta", "respond_by")),
        *(flag.get("valid_until") for flag in body.get("network", {}).get("flags", ())),
    ]
    midnight = datetime.combine(local_date(now) + timedelta(days=1), time(), tzinfo=local_zone())
    later = [m for m in (datetime.fromisoformat(t) for t in moments if t) if m > now]
    return min([midnight, *later])


def tag(seq: int, content: bytes) -> str:
    return f'"{seq}.{hashlib.sha256(content).hexdigest()[:16]}"'


def build(incident: Incident, audience: Audience, now: datetime) -> Ready:
    body, network = snapshot.build(incident, now=now, audience=audience)
    content = JSONRenderer().render(body)
    max_age = now + timedelta(seconds=settings.READY_SNAPSHOT_MAX_AGE_SECONDS)
    return Ready(
        content=content,
        etag=tag(incident.last_seq, content),
        seq=incident.last_seq,
        person_ids=tuple(sorted(str(p) for p in network.person_ids)),
        flags=tuple(body["network"]["flags"]),
        built_at=now,
        stale_at=min(clock_changes(body, now), max_age),
    )


class Shelf:
    """The process's kept snapshots: an LRU of READY_SNAPSHOTS_KEPT, safe across request threads, that
    builds each (incident, seq, view) once even when many readers miss it together."""

    def __init__(self) -> None:
        self._kept: OrderedDict[ShelfKey, Ready] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[ShelfKey, threading.Lock] = {}
        self.builds = 0  # how many this process built, for tests

    def get(self, incident: Incident, audience: Audience, now: datetime | None = None) -> Ready:
        """The snapshot of `incident` (fetched fresh, with its appointments) for this reader."""
        now = now or timezone.now()
        key: ShelfKey = (str(incident.pk), incident.last_seq, view_key(incident, audience))
        ready = self._find(key, now)
        if ready is not None:
            return ready
        with self._builder(key):
            ready = self._find(key, now)  # another reader may have built it while this one waited
            if ready is None:
                ready = build(incident, audience, now)
                self._put(key, ready)
            return ready

    def _find(self, key: ShelfKey, now: datetime) -> Ready | None:
        with self._lock:
            ready = self._kept.get(key)
            if ready is None or not ready.current(now):
                return None
            self._kept.move_to_end(key)
            return ready

    def _put(self, key: ShelfKey, ready: Ready) -> None:
        with self._lock:
            self.builds += 1
            self._kept[key] = ready
            self._kept.move_to_end(key)
            older = [k for k in self._kept if k[0] == key[0] and k[1] < key[1]]
            for k in older:  # an incident's earlier seqs are never read again
                del self._kept[k]
            while len(self._kept) > settings.READY_SNAPSHOTS_KEPT:
                self._kept.popitem(last=False)

    def _builder(self, key: ShelfKey) -> "_BuildLock":
        with self._lock:
            lock = self._building.setdefault(key, threading.Lock())
        return _BuildLock(self, key, lock)

    def forget(self) -> None:
        """Drop everything kept."""
        with self._lock:
            self._kept.clear()


class _BuildLock:
    """Holds the key's build lock; the last holder out removes it from the shelf's table."""

    def __init__(self, shelf: Shelf, key: ShelfKey, lock: threading.Lock) -> None:
        self.shelf, self.key, self.lock = shelf, key, lock

    def __enter__(self) -> None:
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()
        with self.shelf._lock:
            if not self.lock.locked():
                self.shelf._building.pop(self.key, None)


_shelf = Shelf()


def shelf() -> Shelf:
    return _shelf
