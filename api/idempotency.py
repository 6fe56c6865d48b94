"""Idempotency-Key on POST: a phone that retries gets the first response, and the change happens once.

The key is claimed (a row insert, unique per user) in the same transaction as the change and the stored
response. A concurrent retry blocks on the unique index until the first commits, then replays it; if the
first failed, nothing was stored and the retry runs afresh.
"""

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import member
from ooh.errors import Conflict
from ooh.incidents.models import IdempotencyRecord

KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
KEEP_FOR = timedelta(hours=24)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A client-generated id (e.g. a UUID). A retry with the same key within 24 h returns the first "
    "response and changes nothing.",
)


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view_method(self, request, *args, **kwargs)
        if not KEY_PATTERN.match(key):
            raise ValidationError(
                {"Idempotency-Key": "Use 8 to 100 letters, digits, '.', '_', ':' or '-' (a UUID)."}
            )
        fingerprint = _fingerprint(request)
        now, user = timezone.now(), member(request)
        with transaction.atomic():
            IdempotencyRecord.objects.filter(user=user, created_at__lt=now - KEEP_FOR).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=user, key=key, fingerprint=fingerprint, created_at=now
                    )
            except IntegrityError:
                record = IdempotencyRecord.objects.get(user=user, key=key)
                if record.fingerprint != fingerprint:
                    raise Conflict(
                        "This Idempotency-Key was used for a different request.",
                        code="idempotency_key_reused",
                    ) from None
                replay = Response(record.body, status=record.status_code)
                replay["Idempotent-Replayed"] = "true"
                return replay
            response = view_method(self, request, *args, **kwargs)
            record.status_code = response.status_code
            record.body = (
                json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
            )
            record.save(update_fields=["status_code", "body"])
            return response

    wrapper.honours_idempotency_key = True  # type: ignore[attr-defined]  # a mark read by api.views.base
    return wrapper
