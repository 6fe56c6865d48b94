"""Django-level errors under /api/ in the same JSON shape as DRF's (never an HTML page)."""

from django.http import JsonResponse
from django.views import defaults


def _error(request, status, code, detail, fallback, **kwargs):
    if request.path.startswith("/api/"):
        kind = "server_error" if status >= 500 else "client_error"
        return JsonResponse(
            {"type": kind, "errors": [{"code": code, "detail": detail, "attr": None}]}, status=status
        )
    return fallback(request, **kwargs)


def bad_request(request, exception=None):
    return _error(
        request,
        400,
        "bad_request",
        "The request could not be understood.",
        defaults.bad_request,
        exception=exception,
    )


def permission_denied(request, exception=None):
    return _error(
        request,
        403,
        "permission_denied",
        "You do not have permission to perform this action.",
        defaults.permission_denied,
        exception=exception,
    )


def page_not_found(request, exception=None):
    return _error(request, 404, "not_found", "Not found.", defaults.page_not_found, exception=exception)


def server_error(request):
    return _error(request, 500, "error", "A server error occurred.", defaults.server_error)
