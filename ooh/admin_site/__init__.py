"""The Django admin: who may use it, how its login is throttled and audited, and how its pages are audited.

Superusers administer every agency; a staff user whose role is `admin` administers its own agency's
users and memberships, and sees no casework. Casework is read-only here for everyone: it changes only
through the domain actions, which version and audit it. Everyone else has no admin.
"""

import hashlib
import logging
import math
import time
import uuid
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.models import LogEntry
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from ooh.access.policy import agency_id_of, role_of
from ooh.accounts.models import Membership, Role, User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access

logger = logging.getLogger(__name__)

# The access log's reason for everything done through the admin, and its object type for admin logins.
ADMIN_REASON = "Django admin"
ADMIN_SESSION = "admin_session"

if TYPE_CHECKING:  # django-stubs makes ModelAdmin generic in its model; Django's class takes no subscript
    ModelAdmin = admin.ModelAdmin[Any]  # these bases serve pages of many models
else:
    ModelAdmin = admin.ModelAdmin


def may_use_admin(user: User | AnonymousUser) -> bool:
    """An active staff user who is a superuser or its agency's `admin`; nobody else gets the admin."""
    return bool(
        getattr(user, "is_active", False)
        and user.is_staff
        and (user.is_superuser or role_of(user) == Role.ADMIN)
    )


def is_agency_admin(user: User | AnonymousUser) -> bool:
    """An admin of one agency (not a superuser): its own agency's users and memberships, nothing more."""
    return may_use_admin(user) and not user.is_superuser


def may_administer(user: User | AnonymousUser, target: User | None) -> bool:
    """Superusers administer every user; an agency admin its own agency's users, never a superuser.
    With no target: whether the user administers anyone (its pages list only those it may)."""
    if not may_use_admin(user):
        return False
    if user.is_superuser or target is None:
        return True
    membership: Membership | None = getattr(target, "membership", None)
    return not target.is_superuser and membership is not None and membership.agency_id == agency_id_of(user)


# --- Login ----------------------------------------------------------------------------------------


def _parse_rate(rate: str | None) -> tuple[int, int] | None:
    """(attempts, window in seconds) of a rate such as "10/min", as DRF reads it; None for no limit."""
    if not rate:
        return None
    attempts, period = rate.split("/")
    return int(attempts), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


class FailedAdminLogins:
    """Failed admin logins in a sliding window, counted per client address and per username tried at the
    API login's rates (`login_ip`, `login_username`). A login that succeeds spends nothing, so a stranger
    cannot lock an admin out by logging in as someone else. If the cache is down, nothing is refused."""

    clock = staticmethod(time.time)  # tests move time instead of sleeping

    def __init__(self, request: HttpRequest, username: str) -> None:
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        # REMOTE_ADDR is the client's address: uvicorn sets it from trusted proxies' headers only.
        address = request.META.get("REMOTE_ADDR") or "unknown"
        self.buckets: list[tuple[str, int, int]] = []  # (cache key, attempts, window in seconds)
        self._add_bucket(rates.get("login_ip"), f"admin-login-failed:ip:{address}")
        name = username.strip().lower()[:150]
        if name:
            # Hashed: any text may be typed as a username, and cache keys must stay short and plain.
            digest = hashlib.sha256(name.encode()).hexdigest()
            self._add_bucket(rates.get("login_username"), f"admin-login-failed:username:{digest}")

    def _add_bucket(self, rate: str | None, key: str) -> None:
        parsed = _parse_rate(rate)
        if parsed is not None:
            self.buckets.append((key, *parsed))

    @staticmethod
    def _recent(key: str, window: int, now: float) -> list[float]:
        """The failures still in the window, newest first."""
        return [at for at in cache.get(key, []) if at > now - window]

    def retry_after(self) -> int | None:
        """Whole seconds until another attempt is allowed, or None if it is allowed now."""
        now = self.clock()
        waits = []
        try:
            for key, limit, window in self.buckets:
                failures = self._recent(key, window, now)
                if len(failures) >= limit:
                    # The newest failure that must leave the window before the count is under the limit.
                    must_leave = failures[limit - 1]
                    waits.append(max(1, math.ceil(window - (now - must_leave))))
        except Exception:
            logger.warning("admin login throttle unavailable (cache down); allowing", exc_info=True)
            return None
        return max(waits) if waits else None

    def count_failure(self) -> None:
        """Count one failed login against the address and the username tried."""
        now = self.clock()
        try:
            for key, limit, window in self.buckets:
                # Capped at the limit: attempts over it are refused before they can fail, so none is lost.
                cache.set(key, [now, *self._recent(key, window, now)][:limit], window)
        except Exception:
            logger.warning("admin login throttle unavailable (cache down); not counted", exc_info=True)


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login form: a superuser or an agency admin. Anyone else is told only that it failed."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not may_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


def _as_typed(username: str) -> str:
    # A NUL cannot be stored in a PostgreSQL text column; it is shown as the replacement character.
    return username.replace("\x00", "\ufffd")


class OohAdminSite(admin.AdminSite):
    """The default admin site: only superusers and agency admins; every login and logout audited,
    failed logins throttled."""

    site_header = "ooh administration"
    site_title = "ooh admin"
    login_form = AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        username = request.POST.get("username", "")
        failures = FailedAdminLogins(request, username)
        retry_after = failures.retry_after()
        if retry_after is not None:
            # Refused before the password is checked: guessing on learns nothing. Not audited: the
            # failures that led here are, and a flood must not queue every audit writer on the chain lock.
            logger.warning("admin login refused: too many failed logins; retry in %s s", retry_after)
            response = HttpResponse(
                f"Too many failed logins. Try again in {retry_after} seconds.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(retry_after)
            add_never_cache_headers(response)
            return response
        response = super().login(request, extra_context)
        if response.status_code == 302 and request.user.is_authenticated:
            # Django's LoginView redirects only once it has logged the user in.
            record_access(
                action=AccessAction.LOGIN,
                object_type=ADMIN_SESSION,
                object_ids=[request.user.pk],
                request=request,
                reason=ADMIN_REASON,
            )
        elif response.status_code == 200:  # the form came back with its error
            failures.count_failure()
            record_access(
                action=AccessAction.LOGIN_FAILED,
                object_type=ADMIN_SESSION,
                actor=AnonymousUser(),  # the username typed, whoever this browser was signed in as
                username=_as_typed(username),
                request=request,
                reason=ADMIN_REASON,
            )
        return response

    def logout(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        if request.method == "POST" and request.user.is_authenticated:
            record_access(
                action=AccessAction.LOGOUT,
                object_type=ADMIN_SESSION,
                object_ids=[request.user.pk],
                request=request,
                reason=ADMIN_REASON,
            )
        return super().logout(request, extra_context)


# --- Pages ----------------------------------------------------------------------------------------


class AuditedReadsAdmin(ModelAdmin):
    """A page that shows protected records: each detail page and each page of a list is audited,
    naming the records and the people shown."""

    audit_object_type = ""

    def people_disclosed(self, obj: Any) -> list[uuid.UUID]:  # obj: a row of the page's model
        """Ids of the people the record names (its subject); none by default."""
        return []

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: models.Model | None = None,
    ) -> HttpResponse:
        if obj is not None:
            record_access(
                action=AccessAction.READ,
                object_type=self.audit_object_type,
                object_ids=[obj.pk],
                person_ids=self.people_disclosed(obj),
                request=request,
                reason=ADMIN_REASON,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
            # A NUL reaches PostgreSQL through the search and the audit's copy of the query (a 500).
            return HttpResponse(
                "Null characters are not allowed in query parameters.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            shown = list(changelist.result_list)  # this page's rows; the template reuses the evaluated list
            record_access(
                action=AccessAction.READ,
                object_type=self.audit_object_type,
                object_ids=[obj.pk for obj in shown],
                person_ids=[person for obj in shown for person in self.people_disclosed(obj)],
                request=request,
                reason=ADMIN_REASON,
                detail={"query": dict(request.GET.lists())},
            )
        return response


class CaseworkAdmin(AuditedReadsAdmin):
    """Casework as support sees it: superusers only, and read-only for everyone, superusers included -
    it changes only through the domain actions, which version and audit it."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user) and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> NoReturn:
        # Nothing is ever changed here, so there is no history to show, only an unaudited title.
        raise PermissionDenied


class AuditedChangesAdmin(ModelAdmin):
    """A page that changes records: each addition and change also goes to the access log, in the
    transaction of the change."""

    audit_object_type = ""

    def _record_change(self, request: HttpRequest, action: str, obj: models.Model, message: object) -> None:
        record_access(
            action=action,
            object_type=self.audit_object_type,
            object_ids=[obj.pk],
            request=request,
            reason=ADMIN_REASON,
            detail={"change": message},
        )

    def log_addition(self, request: HttpRequest, obj: models.Model, message: object) -> LogEntry:
        self._record_change(request, AccessAction.CREATE, obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: models.Model, message: object) -> LogEntry:
        self._record_change(request, AccessAction.UPDATE, obj, message)
        return super().log_change(request, obj, message)
