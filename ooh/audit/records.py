"""The one helper every view calls to audit a read or a change of a protected record."""

import uuid
from collections.abc import Iterable

from django.db import transaction
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
    with transaction.atomic():  # one commit for the row and the people it names
        return _write(
            user=user,
            membership=membership,
            action=action,
            object_type=object_type,
            object_ids=object_ids,
            incident_id=incident_id,
            reason=reason,
            request=request,
            detail=detail,
            person_ids=person_ids,
            username=username,
        )


def _write(
    *,
    user,
    membership,
    action,
    object_type,
    object_ids,
    incident_id,
    reason,
    request,
    detail,
    person_ids,
    username,
):
    log = AccessLog.objects.create(
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
    people = sorted({str(p) for p in person_ids})
    if people:
        AccessedPerson.objects.bulk_create([AccessedPerson(log=log, person_id=p) for p in people])
    return log
