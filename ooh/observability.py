"""Request ids: one per request, on every log line, in the audit log and in the X-Request-ID header;
and each request counted and timed for /metrics."""

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.log import log_response

from ooh.metrics import HTTP_LATENCY, HTTP_REQUESTS

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
# The caller's address, so domain actions can audit a write without being handed the request.
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)
# The purpose the caller stated (X-Access-Reason), so a domain action's audit row carries it as the
# justification of a write (Data Protection Act 2018 s.62) without being handed the request.
purpose_var: ContextVar[str] = ContextVar("purpose", default="")

# A client may bring its own id (a phone correlating retries); anything else is replaced.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def current_request_id() -> str:
    return request_id_var.get()


def current_client_ip() -> str | None:
    return client_ip_var.get()


def current_purpose() -> str:
    return purpose_var.get()


class RequestIdMiddleware:
    """Give each request an id (the client's X-Request-ID if well formed) and echo it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _CLIENT_ID.match(supplied) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # ours; the audit reads it back
        token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(request.META.get("REMOTE_ADDR") or None)
        purpose_token = purpose_var.set(request.headers.get("X-Access-Reason", "").strip()[:500])
        try:
            response = self.get_response(request)
            if response.status_code >= 400:
                # Django logs 4xx/5xx responses after the middleware chain, where the id is gone: log them
                # here instead (log_response marks the response, so Django does not log it twice).
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,  # type: ignore[arg-type]  # the stub says HttpResponse; any response logs
                    request=request,
                )
        finally:
            purpose_var.reset(purpose_token)
            client_ip_var.reset(ip_token)
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


_QUERY_STRING = re.compile(r"\?[^\s\"]*")


class ServerQueryStringFilter(logging.Filter):
    """The server's own lines (uvicorn's "WebSocket /ws/v1/...?ticket=... [accepted]") name the path
    without its query string: a websocket's one-use ticket never reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("uvicorn") and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_QUERY_STRING.sub("?…", a) if isinstance(a, str) else a for a in args)
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class MetricsMiddleware:
    """Count and time every request by its route pattern (never its path: ids stay out of the labels)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        route = match.route if match is not None and match.route else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        HTTP_LATENCY.labels(route=route, method=method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(route=route, method=method, status=str(response.status_code)).inc()
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
