"""Write path for agencies, users, login tokens and websocket tickets."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from .models import Agency, Device, Membership, Role, TokenDevice, WebsocketTicket

User = get_user_model()


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
) -> tuple["User", bool]:
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
def issue_token(*, user, device_name: str) -> tuple[AuthToken, str]:
    """A new knox token for one device; knox stores only its hash. The user's expired tokens go."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user, expiry=settings.REST_KNOX["TOKEN_TTL"])
    TokenDevice.objects.create(token=instance, device_name=device_name)
    return instance, token


def revoke_all_tokens(*, user) -> int:
    """Log the user out of every device."""
    count, _ = AuthToken.objects.filter(user=user).delete()
    return count


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ws_ticket(*, user, now=None) -> tuple[str, int]:
    """A random single-use ticket for the websocket handshake; returns (ticket, seconds valid)."""
    now = now or timezone.now()
    ttl = settings.WS_TICKET_TTL_SECONDS
    ticket = secrets.token_urlsafe(32)
    WebsocketTicket.objects.create(digest=_digest(ticket), user=user, expires_at=now + timedelta(seconds=ttl))
    WebsocketTicket.objects.filter(expires_at__lt=now - timedelta(hours=1)).delete()
    return ticket, ttl


def redeem_ws_ticket(*, ticket: str, now=None):
    """The ticket's user if it is unused and unexpired, marking it used; else None. Safe under races."""
    now = now or timezone.now()
    digest = _digest(ticket)
    claimed = WebsocketTicket.objects.filter(digest=digest, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if claimed != 1:
        return None
    ticket_row = WebsocketTicket.objects.select_related("user__membership__agency").get(digest=digest)
    return ticket_row.user


@transaction.atomic
def register_device(*, user, platform: str, push_token: str, name: str) -> tuple[Device, bool]:
    """Register a device for push; a token seen before moves to this user (phones change hands)."""
    device, created = Device.objects.update_or_create(
        platform=platform, push_token=push_token, defaults={"user": user, "name": name, "active": True}
    )
    return device, created
