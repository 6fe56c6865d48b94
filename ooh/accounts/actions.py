"""Write path for agencies, users, login tokens and websocket tickets.

Ending a session ends its sockets too: every socket joins its user's sessions group at connect, and
each revocation tells that group, after commit, which tokens ended (api/consumers.py closes them with
4403). The periodic resync (api/resync.py) is the safety net for a message the channel layer drops.
"""

import hashlib
import logging
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from ooh.errors import Conflict

from .models import Agency, Device, Membership, Role, TokenDevice, User, WebsocketTicket

logger = logging.getLogger(__name__)


class TokenLimitReached(Exception):
    """The user already holds as many live tokens as REST_KNOX["TOKEN_LIMIT_PER_USER"] allows."""

    code = "token_limit_reached"

    def __init__(self, limit: int) -> None:
        self.detail = (
            f"You are already signed in on {limit} devices, the most allowed. Sign out on a device you no "
            "longer use, or ask your agency admin to sign you out of every device, then sign in again."
        )
        super().__init__(self.detail)


@transaction.atomic
def upsert_agency(*, code: str, name: str, kind: str, out_of_hours_phone: str = "") -> tuple[Agency, bool]:
    """Create the agency with this code, or bring an existing one up to date. Validates every field."""
    agency = Agency.objects.filter(code=code).first() or Agency(code=code)
    created = agency._state.adding
    agency.name, agency.kind, agency.out_of_hours_phone = name, kind, out_of_hours_phone
    agency.full_clean()
    agency.save()
    return agency, created


@transaction.atomic
def upsert_user(
    *, username: str, agency: Agency, role: str, display_name: str = "", password: str | None = None
) -> tuple[User, bool]:
    """Create the user with its membership, or update both. A password given is validated and set."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}; use one of {', '.join(Role.values)}."})
    user = User.objects.filter(username=username).first() or User(username=username)
    created = user._state.adding
    user.display_name = display_name or user.display_name or username
    if password is not None:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    Membership.objects.update_or_create(user=user, defaults={"agency": agency, "role": role})
    return user, created


@transaction.atomic
def issue_token(*, user: User, device_name: str) -> tuple[AuthToken, str]:
    """A new knox token for one device; knox stores only its hash. The user's expired tokens go, and
    a user already at the token limit gets none (TokenLimitReached)."""
    # The user's row is the lock: two logins at once cannot both take the last free place.
    User.objects.select_for_update().filter(pk=user.pk).exists()
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    limit = settings.REST_KNOX.get("TOKEN_LIMIT_PER_USER")
    if limit is not None and AuthToken.objects.filter(user=user).count() >= limit:
        raise TokenLimitReached(limit)
    instance, token = AuthToken.objects.create(user=user, expiry=settings.REST_KNOX["TOKEN_TTL"])
    TokenDevice.objects.create(token=instance, device_name=device_name)
    return instance, token


def sessions_group(user_id: uuid.UUID | str) -> str:
    """The channel layer group that every socket of the user joins, told when its sessions end."""
    return f"sessions.user.{uuid.UUID(str(user_id)).hex}"


def _close_sockets_on_commit(user_id: uuid.UUID, digests: Iterable[str] | None = None) -> None:
    """After commit, tell the user's sockets which tokens ended (None: every one, so every socket)."""
    message = {"type": "sessions.ended", "tokens": None if digests is None else sorted(digests)}
    transaction.on_commit(lambda: _tell_sockets(sessions_group(user_id), message))


def _tell_sockets(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the channel layer is down: the resync sweep closes the sockets instead
        logger.warning("could not tell %s its sessions ended", group, exc_info=True)


def live_sessions(*, user: User, now: datetime | None = None) -> QuerySet[AuthToken]:
    """The user's unexpired tokens with their devices, newest first: one per signed-in device."""
    unexpired = Q(expiry__isnull=True) | Q(expiry__gt=now or timezone.now())
    return (
        AuthToken.objects.filter(unexpired, user=user).select_related("device").order_by("-created", "digest")
    )


@transaction.atomic
def revoke_token(*, token: AuthToken) -> None:
    """Sign one device out: its token goes, and the sockets opened with it close."""
    AuthToken.objects.filter(digest=token.digest).delete()
    _close_sockets_on_commit(token.user_id, [token.digest])


@transaction.atomic
def revoke_session(*, user: User, session_id: str) -> bool:
    """Sign out the user's own device whose session id (its token's key) this is; False if the user
    has no such session (another user's id included)."""
    digests = list(AuthToken.objects.filter(user=user, token_key=session_id).values_list("digest", flat=True))
    if not digests:
        return False
    AuthToken.objects.filter(digest__in=digests).delete()
    _close_sockets_on_commit(user.pk, digests)
    return True


@transaction.atomic
def revoke_all_tokens(*, user: User) -> int:
    """Sign the user out of every device (logout-all, the admin's lost phone): every socket closes."""
    _, deleted = AuthToken.objects.filter(user=user).delete()
    _close_sockets_on_commit(user.pk)
    return deleted.get(AuthToken._meta.label, 0)  # not the devices deleted with them


def close_every_socket(*, user_id: uuid.UUID) -> None:
    """After commit, every open socket of the user closes."""
    _close_sockets_on_commit(user_id)


def close_sockets_of_inactive_user(
    sender: type[User], instance: User, created: bool, **kwargs: object
) -> None:
    """post_save of a User (connected in AccountsConfig.ready): a user made inactive - the admin's check
    box, or any other save - loses every open socket at once, not at the next resync sweep."""
    if not created and not instance.is_active:
        close_every_socket(user_id=instance.pk)


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ws_ticket(*, user: User, token_digest: str, now: datetime | None = None) -> tuple[str, int]:
    """A random single-use ticket for the websocket handshake, bound to the login token it is issued
    under (revoking that token closes the socket); returns (ticket, seconds valid)."""
    now = now or timezone.now()
    ttl = settings.WS_TICKET_TTL_SECONDS
    ticket = secrets.token_urlsafe(32)
    WebsocketTicket.objects.create(
        digest=_digest(ticket), user=user, token_id=token_digest, expires_at=now + timedelta(seconds=ttl)
    )
    WebsocketTicket.objects.filter(expires_at__lt=now - timedelta(hours=1)).delete()
    return ticket, ttl


def redeem_ws_ticket(*, ticket: str, now: datetime | None = None) -> WebsocketTicket | None:
    """The ticket (with its user and token) if it is unused, unexpired and its token still live,
    marking it used; else None. Safe under races."""
    now = now or timezone.now()
    digest = _digest(ticket)
    # The compare-and-set reads this table only: a join here would be judged on a stale snapshot.
    claimed = WebsocketTicket.objects.filter(digest=digest, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if claimed != 1:
        return None
    redeemed = (
        WebsocketTicket.objects.select_related("user__membership__agency", "token")
        .filter(digest=digest)
        .first()
    )  # None if its token was revoked just now (the ticket went with it)
    if redeemed is None or (redeemed.token.expiry is not None and redeemed.token.expiry <= now):
        return None
    return redeemed


@transaction.atomic
def register_device(*, user: User, platform: str, push_token: str, name: str) -> tuple[Device, bool]:
    """Register a device for push. A push token another active user still receives on is refused
    (Conflict): taking it would silence their alerts. One no longer in use moves to this user."""
    existing = (
        Device.objects.select_for_update()
        .select_related("user")
        .filter(platform=platform, push_token=push_token)
        .first()
    )
    if existing is not None and existing.user_id != user.pk and existing.active and existing.user.is_active:
        raise Conflict(
            "This phone's push token is registered to another user, who would stop getting alerts on it. "
            "They must remove this phone from their devices first; their agency admin can help.",
            code="push_token_taken",
        )
    device, created = Device.objects.update_or_create(
        platform=platform, push_token=push_token, defaults={"user": user, "name": name, "active": True}
    )
    return device, created
