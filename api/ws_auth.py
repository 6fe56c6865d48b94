"""Websocket handshake: who is connecting (token header or single-use ticket) and from where (Origin)."""

from urllib.parse import parse_qs, urlsplit

from asgiref.typing import WebSocketScope
from django.conf import settings
from django.http.request import validate_host
from rest_framework.exceptions import AuthenticationFailed

from ooh.accounts.actions import redeem_ws_ticket
from ooh.accounts.models import User

from .authentication import TokenAuthentication
from .middleware import Application, Receive, Scope, Send
from .socket_threads import on_socket_threads


def origin_allowed(scope: WebSocketScope) -> bool:
    """Phones send no Origin and are accepted; a browser's Origin must be one of ALLOWED_HOSTS."""
    origin = dict(scope.get("headers", [])).get(b"origin")
    if origin is None:
        return True
    host = urlsplit(origin.decode("latin1")).hostname
    if not host:
        return False
    return validate_host(host, settings.ALLOWED_HOSTS)


def _from_token(raw: str) -> tuple[User, str] | tuple[None, None]:
    try:
        user, auth_token = TokenAuthentication().authenticate_credentials(raw.encode())
    except (AuthenticationFailed, UnicodeError):
        return None, None
    return user, auth_token.digest


def _from_ticket(ticket: str) -> tuple[User, str] | tuple[None, None]:
    redeemed = redeem_ws_ticket(ticket=ticket)
    if redeemed is None or not redeemed.user.is_active:
        return None, None
    return redeemed.user, redeemed.token_id  # the digest of the token the ticket was issued under


class TokenOrTicketAuthMiddleware:
    """Puts the authenticated user (or None) in scope["user"], and the digest of its token - the
    ticket's issuing token for a ticket - for the re-checks and revocation."""

    def __init__(self, app: Application) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = dict(scope, user=None, token_digest=None)
        authorization = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin1")
        if authorization[:6].lower() == "token ":
            scope["user"], scope["token_digest"] = await on_socket_threads(_from_token)(
                authorization[6:].strip()
            )
        else:
            ticket = parse_qs(scope.get("query_string", b"").decode("latin1")).get("ticket", [None])[0]
            if ticket:
                scope["user"], scope["token_digest"] = await on_socket_threads(_from_ticket)(ticket)
        return await self.app(scope, receive, send)
