"""The board's pages: shells with no record in them. The page's script reads everything through the
public API and websockets, signed in by the session (ooh.accounts.browser), so a page shows exactly what
the API lets its user see and every read is authorised and audited there.

A page is served only to a signed-in member (anyone else is sent to sign in), with a Content-Security-
Policy that lets it run only its own scripts and talk only to its own origin.
"""

import posixpath
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.generic import TemplateView

from ooh.accounts.browser import browser_token

# Own scripts and styles only; the websockets and API on this origin; no framing, no plugins, no forms
# posted elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@method_decorator(ensure_csrf_cookie, name="dispatch")
class BoardPage(TemplateView):
    """A page of the board: CSRF cookie set (the script sends it back as X-CSRFToken), CSP on."""

    signed_in_only = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        token = browser_token(request.session)
        self.signed_in = token is not None and getattr(token.user, "membership", None) is not None
        if self.signed_in_only and not self.signed_in:
            query = urlencode({"next": request.get_full_path()})
            return self._secured(HttpResponseRedirect(f"{reverse('board:sign-in')}?{query}"))
        return self._secured(super().dispatch(request, *args, **kwargs))

    @staticmethod
    def _secured(response: HttpResponseBase) -> HttpResponseBase:
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["Referrer-Policy"] = "same-origin"
        return response


class IncidentListPage(BoardPage):
    template_name = "board/list.html"
    extra_context = {"page": "list", "script": "list.js"}


class IncidentPage(BoardPage):
    """The incident's id is in the URL only: whether it exists, and what of it the user may see, the API
    answers (404 outside need to know, as for any client)."""

    template_name = "board/incident.html"
    extra_context = {"page": "incident", "script": "incident.js"}


class SignInPage(BoardPage):
    """The sign-in form posts to /api/v1/auth/browser-login/; a signed-in user goes straight on."""

    template_name = "board/sign_in.html"
    extra_context = {"page": "sign-in", "script": "sign_in.js"}
    signed_in_only = False

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.signed_in:
            return HttpResponseRedirect(self.next_page(request))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "next": self.next_page(self.request)}

    @staticmethod
    def next_page(request: HttpRequest) -> str:
        """Where to go after signing in: a page of this site only (never an open redirect)."""
        wanted = request.GET.get("next", "")
        if wanted.startswith("/board/") and posixpath.normpath(wanted) != wanted.rstrip("/"):
            wanted = ""  # a dot segment could walk out of the board
        if wanted.startswith("/board/") and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return wanted
        return reverse("board:list")
