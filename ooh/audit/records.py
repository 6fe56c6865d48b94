"""The one helper every view calls to audit a read or a change of a protected record."""

import uuid
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from ooh.observability import current_client_ip, current_request_id

from .models import AccessedPerson, AccessLog


def _incident_from_request(request) -> uuid.UUID | None:
    raw = request.GET.get("incident") if request is not None else None
    if not raw:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def record_access(
    *,
    action: str,
    object_type: str,
    object_ids: Iterable = (),
    person_ids: Iterable = (),
    request=None,
    actor=None,
    username: str = "",
    incident_id=None,
    reason: str = "",
    detail: dict | None = None,
) -> AccessLog:
    """Append one audit row naming every object and every person disclosed.

    The actor, IP, request id and purpose (`?incident=` or `X-Access-Reason`) come from the request
    when one is given. Call it inside the transaction of the change it records.
    """
    user = actor if actor is not None else getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    membership = getattr(user, "membership", None) if user is not None else None
    if request is not None:
        reason = reason or request.headers.get("X-Access-Reason", "")[:500]
        incident_id = incident_id or _incident_from_request(request)
    values = dict(
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
    people = sorted({str(p) for p in person_ids})
    if connection.vendor == "postgresql":
        return _write_one_statement(people, **values)  # a single statement is atomic by itself
    with transaction.atomic():  # one commit for the row and the people it names
        log = _log(**values)
        log.save()
        if people:
            AccessedPerson.objects.bulk_create([AccessedPerson(log=log, person_id=p) for p in people])
        return log


def _log(
    *, user, membership, action, object_type, object_ids, incident_id, reason, request, detail, username
):
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


def _write_one_statement(people, **values):
    """PostgreSQL: the row and the people it names in ONE statement (a data-modifying CTE), so a read
    pays one round trip for its audit; the same row as _write."""
    log = _log(**values)
    fields = AccessLog._meta.concrete_fields
    quote = connection.ops.quote_name
    people_table = AccessedPerson._meta.db_table
    sql = (
        f"WITH log AS (INSERT INTO {quote(AccessLog._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES ({', '.join(['%s'] * len(fields))}) "
        f"RETURNING id) "
        f"INSERT INTO {quote(people_table)} (log_id, person_id) SELECT log.id, p FROM log, unnest(%s::uuid[]) p"
    )
    params = [f.get_db_prep_save(getattr(log, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, people])
    log._state.adding, log._state.db = False, connection.alias
    return log
