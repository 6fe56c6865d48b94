"""The board's browser session: a login token the browser never sees.

Signing in on the control-room board issues an ordinary login token - listed with the user's devices,
expiring with the others, revoked the same ways, closing its websockets when it goes - but the token's
text is thrown away at once: the session (a cookie naming a server-side row) holds only the token's
digest. Every API request the board makes is authenticated from that digest, with CSRF
(api/authentication.py), so the same need-to-know rules and audit apply as to a phone's token.
"""

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from .actions import issue_token, revoke_token
from .models import User

SESSION_KEY = "ooh_board_token"  # the digest of the session's login token
DEVICE_NAME = "Control-room board (web browser)"


@transaction.atomic
def open_browser_session(session: SessionBase, *, user: User) -> AuthToken:
    """Issue the session's login token and bind it to a new session id (no fixation); the session ends
    when the token expires. A sign-in over an earlier one in the same browser signs that one out first.
    Raises TokenLimitReached like any sign-in."""
    earlier = browser_token(session)
    if earlier is not None:
        revoke_token(token=earlier)
    instance, _text = issue_token(user=user, device_name=DEVICE_NAME)  # the text is never kept
    session.cycle_key()
    session[SESSION_KEY] = instance.digest
    if instance.expiry is not None:
        session.set_expiry(instance.expiry)
    return instance


def browser_token(session: SessionBase) -> AuthToken | None:
    """The session's live login token with its user, membership and agency (one query), or None when
    the session has none, or it was revoked, has expired or its user is inactive."""
    digest = session.get(SESSION_KEY)
    if not isinstance(digest, str) or not digest:
        return None
    token: AuthToken | None = (
        AuthToken.objects.select_related("user__membership__agency").filter(digest=digest).first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.expiry is not None and token.expiry < timezone.now():
        return None
    return token


def close_browser_session(session: SessionBase) -> None:
    """Forget the session (its token is revoked by the caller, with the sockets it opened)."""
    session.flush()
