"""The edge of the access policy: purpose, references in request bodies, and refusals in the error shape.

Views ask ooh.access.policy who may see (their querysets) and who may write (`require`); this module
turns the answers into HTTP: a record outside need to know is 404, a write the role may not make is
403, a referenced record the caller may not see reads as one that does not exist (400).
"""

import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request

from ooh.access import policy

MIN_REASON = policy.MIN_REASON_LENGTH


def require(allowed: bool, message: str) -> None:
    """403 with a message that says who may, when the rule says no."""
    if not allowed:
        raise PermissionDenied(message)


def require_visible(visible_queryset: QuerySet[Any], objects: Sequence[Model | None], attr: str) -> None:
    """Every referenced object must be one the caller may see; one they may not reads as missing."""
    wanted = [o for o in objects if o is not None]
    if not wanted:
        return
    seen = set(visible_queryset.filter(pk__in=[o.pk for o in wanted]).values_list("pk", flat=True))
    for index, obj in enumerate(wanted):
        if obj.pk not in seen:
            name = f"{attr}.{index}" if len(objects) > 1 or attr == "subjects" else attr
            raise ValidationError(
                {name: f'Invalid pk "{obj.pk}" - object does not exist.'}, code="does_not_exist"
            )


def stated_incident(request: Request) -> uuid.UUID | None:
    """The incident named by `?incident=`, checked: it must be an incident the caller can see.

    The purpose is recorded with the read, so an unchecked id would put a false purpose on the record.
    """
    raw = request.query_params.get("incident")
    if raw is None:
        return None
    try:
        incident_id = uuid.UUID(raw)
    except ValueError:
        raise ValidationError(
            {"purpose": "incident must be the id of an incident you are working on."}
        ) from None
    if not policy.visible_incidents(request.user).filter(pk=incident_id).exists():
        raise ValidationError({"purpose": "incident must be the id of an incident you are working on."})
    return incident_id


def stated_reason(request: Request) -> str:
    reason: str = request.headers.get("X-Access-Reason", "")
    return reason.strip()


def has_purpose(request: Request) -> bool:
    """A purpose is stated (`?incident=` is checked for every request by the permission class)."""
    return request.query_params.get("incident") is not None or len(stated_reason(request)) >= MIN_REASON


def require_purpose(request: Request) -> None:
    """Outside the caller's own cases and incidents a read needs a purpose: `?incident=<id>` of an
    incident they can see, or `X-Access-Reason` of at least 10 characters."""
    if has_purpose(request):
        return
    raise ValidationError(
        {
            "purpose": "Say why you need this: ?incident=<id of the incident you are working on>, or an "
            f"X-Access-Reason header of at least {MIN_REASON} characters."
        }
    )
