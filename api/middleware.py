"""What every request and response passes at the edge, before any view: size and character limits on
the way in, Cache-Control on the way out.

The ASGI guard (`StreamedBodyLimit`) stops reading a body at the limit whatever the headers say, so a
chunked upload of any size never reaches the disk; the Django middleware then answers 413.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeAlias

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.cache import patch_cache_control

from .errors import DATABASE_RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)

# Responses here hold personal data or tokens: no browser, proxy or phone cache keeps them.
NO_STORE_PREFIXES = ("/api/v1/", "/admin/", "/board/")
# Set in the ASGI scope when a body was cut off at the limit.
BODY_CUT_OFF = "ooh.body_cut_off"

# ASGI as the wrappers here and in ws_auth use it: a scope they read and extend, and messages, as plain
# dicts. asgiref's TypedDicts and the stubs of Django and of Channels each spell these their own way, so
# the application wrapped is any async callable of the three.
Scope: TypeAlias = dict[str, Any]
Message: TypeAlias = Mapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
Application: TypeAlias = Callable[[Any, Any, Any], Awaitable[None]]
GetResponse: TypeAlias = Callable[[HttpRequest], HttpResponseBase]


def _refusal(
    request: HttpRequest, status: int, code: str, detail: str, attr: str | None = None
) -> HttpResponse:
    """The API's one error shape under /api/; a plain-text answer elsewhere (the admin)."""
    if not request.path.startswith("/api/"):
        return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
    kind = "validation_error" if attr is not None else "server_error" if status >= 500 else "client_error"
    return JsonResponse(
        {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]}, status=status
    )


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django and DRF read it: no body declared (the parser still reads at most the limit)


class RequestLimitsMiddleware:
    """Refuse, before any view runs: a body over the upload limit (413), a NUL in a query parameter (400)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if _declared_length(request) > limit or getattr(request, "scope", {}).get(BODY_CUT_OFF):
            return _refusal(
                request, 413, "request_too_large", f"The request body is over the limit of {limit} bytes."
            )
        if request.path.startswith("/api/"):
            # A NUL reaches PostgreSQL through the audit's copy of the query and fails there (a 500).
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return _refusal(
                        request,
                        400,
                        "null_characters_not_allowed",
                        "Null characters are not allowed in query parameters.",
                        attr=name.replace("\x00", "%00"),
                    )
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response of the API, the admin and the board, errors included."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith(NO_STORE_PREFIXES) or "HTTP_AUTHORIZATION" in request.META:
            patch_cache_control(response, no_store=True)
        return response


class StreamedBodyLimit:
    """ASGI: end a request body at the upload limit, whatever Content-Length says (a chunked body has none).

    The rest of the body is read and dropped, never stored; the request is marked so that
    RequestLimitsMiddleware answers 413 with the request id and in the API's error shape.
    """

    def __init__(self, app: Application) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return message
                if scope.get(BODY_CUT_OFF):
                    continue  # past the limit: drop the rest, wait for the disconnect
                received += len(message.get("body", b""))
                if received > limit:
                    scope[BODY_CUT_OFF] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                return message

        return await self.app(scope, bounded_receive, send)


class DatabaseUnavailableMiddleware:
    """Outside DRF's views too (the board's pages, the admin, a session read by the middleware), a
    database that does not answer is a 503 to retry, in the API's error shape under /api/, never a 500."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return database_unavailable(request, exc)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            return database_unavailable(request, exception)
        return None


def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.warning("the database did not answer: %s", exc)
    response = _refusal(
        request,
        503,
        "database_unavailable",
        "The records are not reachable just now; nothing was changed. Try again in a few seconds.",
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response
