"""The one writer of the access log: every view and action calls record_access to audit a read or a change
of a protected record; each row is appended to the hash chain (chain.py) under a lock."""

import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from ooh.accounts.models import Membership, User
from ooh.observability import current_client_ip, current_purpose, current_request_id

from .chain import CHAIN_LOCK_KEY, GENESIS_HASH, row_hash, row_values
from .models import WRITE_VERBS, AccessAction, AccessedPerson, AccessLog


def _incident_from_request(request: HttpRequest | None) -> uuid.UUID | None:
    raw = request.GET.get("incident") if request is not None else None
    if not raw:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def record_access(
    *,
    action: str,
    object_type: str,
    object_ids: Iterable[object] = (),
    person_ids: Iterable[object] = (),
    request: HttpRequest | None = None,
    actor: User | AnonymousUser | None = None,
    username: str = "",
    incident_id: uuid.UUID | None = None,
    reason: str = "",
    detail: Mapping[str, object] | None = None,
) -> AccessLog:
    """Append one audit row naming every object and every person disclosed.

    The actor, IP, request id and purpose (`?incident=` or `X-Access-Reason`) come from the request
    when one is given. Call it inside the transaction of the change it records, as late as possible:
    on PostgreSQL it holds the chain lock, which every audit writer waits for, until that commit.
    """
    user: User | AnonymousUser | None = actor if actor is not None else getattr(request, "user", None)
    if isinstance(user, AnonymousUser) or not getattr(user, "is_authenticated", False):
        user = None
    membership: Membership | None = getattr(user, "membership", None) if user is not None else None
    if request is not None:
        reason = reason or request.headers.get("X-Access-Reason", "")[:500]
        incident_id = incident_id or _incident_from_request(request)
    else:
        reason = reason or current_purpose()
    if not reason and incident_id is None and action in WRITE_VERBS:
        # No purpose stated and no incident: the row still says why (s.62), in words of ooh's own, kept
        # apart from `reason` (which is only ever what a person stated).
        detail = {**(detail or {}), "justification": write_justification(action, object_type, membership)}
    people = sorted({str(p) for p in person_ids})
    log = _log(
        user=user,
        membership=membership,
        action=action,
        object_type=object_type,
        object_ids=object_ids,
        incident_id=incident_id,
        reason=reason,
        request=request,
        detail=detail,
        username=username,
    )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # A read's row, its own transaction: written with the others arriving at the same moment, under
        # one acquisition of the chain lock, before this returns (never after the response).
        _group_commit.write(_Pending(log, people))
        return log
    # Without a savepoint: inside a domain action's transaction the row joins it (and a failure fails
    # the action); the chain lock is then held to that transaction's commit, so commit order is chain order.
    with transaction.atomic(savepoint=False):
        _chain_and_insert([(log, people)])
    return log


def write_justification(action: str, object_type: str, membership: Membership | None) -> str:
    """Why a write was made when its caller stated no purpose and named no incident: the duty under
    which the member acted. The Data Protection Act 2018 s.62 asks a justification of every collection,
    alteration, disclosure, combination and erasure; a stated purpose or an incident says more, and wins."""
    what = object_type.replace("_", " ").capitalize()
    verb = WRITE_VERBS[AccessAction(action)]
    if membership is None:
        return f"{what} {verb} by ooh's own rules"
    role = membership.get_role_display().lower()
    return f"{what} {verb} in the course of the safeguarding duties of {membership.agency.name} ({role})"


def _chain_tail() -> tuple[int, str]:
    """(chain_seq, hash) of the last row, (0, GENESIS_HASH) for an empty log, read by the only writer:
    on PostgreSQL under the chain's advisory lock, held to commit by every process (ASGI and Celery)."""
    table = connection.ops.quote_name(AccessLog._meta.db_table)
    tail = f"SELECT chain_seq, hash FROM {table} ORDER BY chain_seq DESC LIMIT 1"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip, two statements: the tail must be read by a statement that starts after
            # the lock is granted, so that its snapshot sees the row the previous holder committed.
            cursor.execute(f"SELECT pg_advisory_xact_lock(%s); {tail}", [CHAIN_LOCK_KEY])
            cursor.nextset()
        else:  # SQLite: transaction_mode=IMMEDIATE took the database's write lock at BEGIN
            cursor.execute(tail)
        row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else (0, GENESIS_HASH)


def _log(
    *,
    user: User | None,
    membership: Membership | None,
    action: str,
    object_type: str,
    object_ids: Iterable[object],
    incident_id: uuid.UUID | None,
    reason: str,
    request: HttpRequest | None,
    detail: Mapping[str, object] | None,
    username: str,
) -> AccessLog:
    return AccessLog(
        at=timezone.now(),
        user=user,
        username=(user.username if user is not None else username)[:150],
        agency=membership.agency if membership else None,
        role=membership.role if membership else "",
        action=action,
        object_type=object_type,
        object_ids=[str(i) for i in object_ids],
        incident_id=incident_id,
        reason=reason,
        request_id=getattr(request, "request_id", None) or current_request_id(),
        ip=client_ip(request) or current_client_ip(),
        detail=detail or {},
    )


# --- Group commit: the reads' rows, many under one lock ----------------------------------------------
#
# Every audit row takes the chain's lock (one writer at a time, across every process). A read's row is a
# transaction of its own, so in a storm of reads (every phone reading its snapshot and opening its socket
# after a restart) each would take the lock in turn, and a holder that waits for the interpreter between
# its statements keeps all the others waiting: measured, the threads spent half their time there. So a
# process writes the read rows that arrive together in one transaction, under one acquisition: the first
# caller leads and writes what is waiting; the others wait for their row to be committed (each still
# returns only once its row is in the chain); a leader hands over to the next waiting caller after one
# batch, so no request serves the storm's rows for long. Rows inside a change's transaction never come
# here: they join that transaction, as before.

GROUP_COMMIT_MAX_ROWS = 500  # rows in one statement at most


@dataclass(eq=False)
class _Pending:
    log: AccessLog
    people: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to write the next batch rather than because its row was written
    written: bool = False
    error: BaseException | None = None


class GroupCommit:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[_Pending] = []
        self._leading = False
        self.batches = self.rows = 0  # what this process wrote, for tests and curiosity

    def write(self, entry: _Pending) -> None:
        with self._lock:
            self._waiting.append(entry)
            leads = not self._leading
            self._leading = True
        while not leads:
            entry.done.wait()
            entry.done.clear()
            if entry.written:
                break
            leads = entry.lead  # handed the lead: its row is still waiting, with others
        if leads and not entry.written:
            self._write_next_batch()
        if entry.error is not None:
            raise entry.error

    def _write_next_batch(self) -> None:
        with self._lock:
            batch = self._waiting[:GROUP_COMMIT_MAX_ROWS]
            del self._waiting[:GROUP_COMMIT_MAX_ROWS]
        error: BaseException | None = None
        try:
            _append_rows(batch)
        except BaseException as exc:  # every caller in the batch fails with it, as its own write would
            error = exc
        with self._lock:
            self.batches += 1
            self.rows += len(batch)
            for entry in batch:
                entry.error, entry.written = error, True
                entry.done.set()
            if self._waiting:
                following = self._waiting[0]
                following.lead = True
                following.done.set()
            else:
                self._leading = False


_group_commit = GroupCommit()


def group_commit() -> GroupCommit:
    return _group_commit


def _append_rows(batch: list[_Pending]) -> None:
    """The batch's rows, in one transaction of their own."""
    with transaction.atomic():
        _chain_and_insert([(entry.log, entry.people) for entry in batch])


def _chain_and_insert(rows: list[tuple[AccessLog, list[str]]]) -> None:
    """Chain the rows one after another from the tail and write them with the people they name (the
    caller's transaction holds the lock to its commit). PostgreSQL: two round trips whatever the count
    (the lock with the tail; the rows and their people in one statement)."""
    chain_seq, prev_hash = _chain_tail()
    now = timezone.now()  # under the lock: the chain's rows in the order of their times
    for log, people in rows:
        log.at = now
        chain_seq += 1
        log.chain_seq, log.prev_hash = chain_seq, prev_hash
        log.hash = prev_hash = row_hash(prev_hash, row_values(log), people)
    if connection.vendor == "postgresql":
        _insert_many(rows)
        return
    for log, people in rows:
        log.save()
        AccessedPerson.objects.bulk_create([AccessedPerson(log=log, person_id=p) for p in people])


def _insert_many(rows: list[tuple[AccessLog, list[str]]]) -> None:
    fields = AccessLog._meta.concrete_fields
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"WITH log AS (INSERT INTO {quote(AccessLog._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([row] * len(rows))}) "
        f"INSERT INTO {quote(AccessedPerson._meta.db_table)} (log_id, person_id) "
        f"SELECT l, p FROM unnest(%s::uuid[], %s::uuid[]) AS named(l, p)"
    )
    params: list[Any] = []
    for log, _people in rows:
        params += [f.get_db_prep_save(getattr(log, f.attname), connection) for f in fields]
    log_ids = [str(log.pk) for log, people in rows for _ in people]
    person_ids = [person for _log, people in rows for person in people]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, log_ids, person_ids])
    for log, _people in rows:
        log._state.adding, log._state.db = False, connection.alias
