"""Django-level errors under /api/ in the same JSON shape as DRF's (never an HTML page)."""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_standardized_errors.handler import ExceptionHandler as StandardizedExceptionHandler
from drf_standardized_errors.types import ExceptionHandlerContext
from rest_framework import exceptions
from rest_framework.response import Response

from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict

logger = logging.getLogger(__name__)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    detail: str,
    fallback: Callable[..., HttpResponse],
    **kwargs: Any,
) -> HttpResponse:
    if request.path.startswith("/api/"):
        kind = "server_error" if status >= 500 else "client_error"
        return JsonResponse(
            {"type": kind, "errors": [{"code": code, "detail": detail, "attr": None}]}, status=status
        )
    return fallback(request, **kwargs)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        400,
        "bad_request",
        "The request could not be understood.",
        defaults.bad_request,
        exception=exception,
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        403,
        "permission_denied",
        "You do not have permission to perform this action.",
        defaults.permission_denied,
        exception=exception,
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "not_found", "Not found.", defaults.page_not_found, exception=exception)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "error", "A server error occurred.", defaults.server_error)


class ExceptionHandler(StandardizedExceptionHandler):
    """drf-standardized-errors, plus the domain's errors: Django ValidationError -> 400, Conflict -> 409.

    Every refused authorisation (403, and 404 for a record outside need to know) of a signed-in user is
    written to the audit log with what was asked for: probing for ids is on the record too.
    """

    def run(self) -> Response | None:
        response = super().run()
        if response is not None and response.status_code in (403, 404):
            _record_refusal(self.context, response.status_code)
        return response

    def report_exception(self, exc: exceptions.APIException, response: Response) -> None:
        """A database outage is not a fault of the code: it is logged (a warning), counted in /metrics as
        503s and shown by /readyz, not reported as an exception to error monitoring."""
        if isinstance(exc, DatabaseUnavailable):
            return
        super().report_exception(exc, response)

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            if hasattr(exc, "error_dict"):
                return exceptions.ValidationError(
                    {
                        field: [m for e in errors for m in e.messages]
                        for field, errors in exc.error_dict.items()
                    }
                )
            return exceptions.ValidationError({"non_field_errors": exc.messages})
        if isinstance(exc, Conflict):
            return ConflictError(detail=exc.detail, code=exc.code)
        if isinstance(exc, OperationalError | InterfaceError):
            logger.warning("the database did not answer: %s", exc)
            return DatabaseUnavailable()
        return super().convert_known_exceptions(exc)


# A restarting or failing-over PostgreSQL is back within seconds; phones retry after this.
DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(exceptions.APIException):
    """The database did not answer (down, restarting, failing over, or a connection lost): nothing was
    written, and the same request can be sent again. Connections are made afresh for the next request."""

    status_code = 503
    wait = DATABASE_RETRY_AFTER_SECONDS  # Retry-After
    default_code = "database_unavailable"
    default_detail = (
        "The records are not reachable just now; nothing was changed. Try again in a few seconds."
    )


class ConflictError(exceptions.APIException):
    status_code = 409
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


def _record_refusal(context: ExceptionHandlerContext, status_code: int) -> None:
    request, view = context.get("request"), context.get("view")
    user = getattr(request, "user", None)
    if request is None or not getattr(user, "is_authenticated", False):
        return
    kwargs = getattr(view, "kwargs", None) or {}
    record_access(
        action=AccessAction.REFUSED,
        object_type=getattr(view, "basename", None) or type(view).__name__,
        object_ids=[str(v) for k, v in kwargs.items() if k in ("pk", "id")],
        request=request,
        detail={
            "status": status_code,
            "method": request.method,
            "path": request.path[:300],
            "action": getattr(view, "action", None),
        },
    )
