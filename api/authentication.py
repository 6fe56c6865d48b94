"""knox token authentication in one query: the token with its user, membership and agency.

knox's own class also walks every other token of the user on each request to delete expired ones;
here that housekeeping happens when a token is issued (ooh.accounts.actions.issue_token), keeping the
hot path - a phone reading the linked picture at 3 a.m. - to a single indexed lookup.

The board's browser is authenticated by the same token, held server-side by its session
(ooh.accounts.browser), with CSRF checked on every request that may change something.
"""

import binascii
from hmac import compare_digest

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken, get_token_model
from knox.settings import CONSTANTS
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from ooh.accounts.browser import browser_token
from ooh.accounts.models import User


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        message = "Invalid token."
        text = token.decode("utf-8")
        candidates = get_token_model().objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH])
        for auth_token in candidates.select_related("user__membership__agency"):
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(message) from exc
            if compare_digest(digest, auth_token.digest):
                if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                    auth_token.delete()
                    raise exceptions.AuthenticationFailed(message)
                # knox is untyped; its exclusion from the untyped-call check names knox's classes, not ours
                checked: tuple[User, AuthToken] = self.validate_user(auth_token)  # type: ignore[no-untyped-call]
                return checked
        raise exceptions.AuthenticationFailed(message)


def signed_with(request: Request) -> AuthToken:
    """The token the request was authenticated with (a view behind TokenAuthentication has one)."""
    token = request.auth
    if not isinstance(token, AuthToken):
        raise exceptions.NotAuthenticated
    return token


class BrowserSessionAuthentication(SessionAuthentication):
    """The board: the session's login token (one query, like a token's), with DRF's CSRF check. A
    request with no such session is not authenticated here (None): a phone's token header is unaffected,
    and Django's own login (the admin's) does not reach the API."""

    def authenticate(self, request: Request) -> tuple[User, AuthToken] | None:
        session = getattr(request._request, "session", None)
        token = browser_token(session) if session is not None else None
        if token is None:
            return None
        self.enforce_csrf(request)
        return token.user, token
