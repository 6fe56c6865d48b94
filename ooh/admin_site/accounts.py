"""Agencies, users and memberships in the admin. Superusers administer every agency; an agency admin
sees and changes only its own agency's users and memberships, and makes nobody staff or superuser.
Every change is audited (ooh.admin_site.AuditedChangesAdmin)."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponse

from ooh.access.policy import agency_id_of
from ooh.accounts.actions import revoke_all_tokens
from ooh.accounts.models import Agency, Membership, User
from ooh.admin_site import ADMIN_REASON, AuditedChangesAdmin, is_agency_admin, may_administer, may_use_admin
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access

if TYPE_CHECKING:  # generic in django-stubs only: Django's classes take no subscript
    StackedInline = admin.StackedInline[Membership, User]
    UserAdminBase = BaseUserAdmin[User]
else:
    StackedInline = admin.StackedInline
    UserAdminBase = BaseUserAdmin

# Roles are memberships: Django's groups and permissions grant nothing here, so they have no page.
admin.site.unregister(Group)


class MembershipInline(StackedInline):
    """The user's one agency and role. An agency admin can choose only its own agency."""

    model = Membership
    fk_name = "user"
    fields = ["agency", "role", "reports_to"]
    can_delete = False
    max_num = 1

    def get_min_num(self, request: HttpRequest, obj: User | None = None, **kwargs: Any) -> int:
        # An agency admin's users belong to its agency from the start: a user without one is nobody's.
        return 1 if is_agency_admin(request.user) else 0

    def formfield_for_foreignkey(
        self, db_field: "models.ForeignKey[Any, Any]", request: HttpRequest, **kwargs: Any
    ) -> "ModelChoiceField[Any] | None":
        if db_field.name == "agency" and is_agency_admin(request.user):
            # An agency admin has an agency; pk=None would match no row, but the plugin refuses None.
            kwargs["queryset"] = Agency.objects.filter(pk=agency_id_of(request.user))  # type: ignore[misc]
        if db_field.name == "reports_to" and is_agency_admin(request.user):
            # A line manager inside the admin's own agency: no list of another agency's staff.
            kwargs["queryset"] = User.objects.filter(membership__agency_id=agency_id_of(request.user))  # type: ignore[misc]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # The user page decides whose membership is shown; here only who may use the admin at all. An inline
    # is asked with the parent user, as django-stubs' InlineModelAdmin says and its BaseModelAdmin does not.
    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:  # type: ignore[override]
        return may_use_admin(request.user)

    def has_add_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return may_use_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:  # type: ignore[override]
        return may_use_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:  # type: ignore[override]
        return False


@admin.register(User)
class UserAdmin(AuditedChangesAdmin, UserAdminBase):
    """Users: all of them for superusers; an agency admin's own agency's (never a superuser)."""

    audit_object_type = "user"
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "agency", "role", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "membership__role"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["display_name", "first_name", "last_name", "email"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    actions = ["sign_out_everywhere"]

    @admin.display(ordering="membership__agency__code")
    def agency(self, user: User) -> str:
        membership: Membership | None = getattr(user, "membership", None)
        return membership.agency.code if membership else "-"

    @admin.display(ordering="membership__role")
    def role(self, user: User) -> str:
        membership: Membership | None = getattr(user, "membership", None)
        return membership.get_role_display() if membership else "-"

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users = super().get_queryset(request).select_related("membership__agency")
        if request.user.is_superuser:
            return users
        if not is_agency_admin(request.user):
            return users.none()
        return users.filter(membership__agency_id=agency_id_of(request.user), is_superuser=False)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        if is_agency_admin(request.user):
            return ["is_staff", "is_superuser", "last_login", "date_joined"]
        return ["last_login", "date_joined"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return may_administer(request.user, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return may_administer(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False  # the access log names them: a user who leaves is made inactive

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The form offers an agency admin nothing else; this holds even if a form is changed to.
        saved = User.objects.select_related("membership").get(pk=form.instance.pk)
        if not may_administer(request.user, saved):
            raise PermissionDenied  # the page runs in one transaction: nothing is kept

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # The new password and its audit row in one transaction.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().user_change_password(request, id, form_url)

    @admin.action(description="Lost phone: sign out of every device", permissions=["change"])
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:  # only users this admin administers (get_queryset)
            revoked = revoke_all_tokens(user=user)
            record_access(
                action=AccessAction.REVOKE,
                object_type="session",
                object_ids=[user.pk],
                request=request,
                reason=f"{ADMIN_REASON}: lost phone",
                detail={"revoked": revoked, "user": user.username},
            )
            self.message_user(
                request,
                f"{user.username}: signed out of every device ({revoked} sessions).",
                messages.SUCCESS,
            )


@admin.register(Agency)
class AgencyAdmin(AuditedChangesAdmin):
    """Agencies: superusers only (cross-agency administration)."""

    audit_object_type = "agency"
    list_display = ["code", "name", "kind", "out_of_hours_phone"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user) and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Agency | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Agency | None = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Agency | None = None) -> bool:
        return False  # memberships and the access log refer to it


@admin.register(Membership)
class MembershipAdmin(AuditedChangesAdmin):
    """Memberships: all for superusers; an agency admin changes the roles in its own agency (a new user
    gets its membership on the user page)."""

    audit_object_type = "membership"
    list_display = ["user", "agency", "role"]
    list_filter = ["role", "agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__username", "user__display_name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        memberships = super().get_queryset(request)
        if request.user.is_superuser:
            return memberships
        if not is_agency_admin(request.user):
            return memberships.none()
        return memberships.filter(agency_id=agency_id_of(request.user), user__is_superuser=False)

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        return ["user", "agency"] if is_agency_admin(request.user) else []

    def formfield_for_foreignkey(
        self, db_field: "models.ForeignKey[Any, Any]", request: HttpRequest, **kwargs: Any
    ) -> "ModelChoiceField[Any] | None":
        if db_field.name == "reports_to" and is_agency_admin(request.user):
            # A line manager inside the admin's own agency: no list of another agency's staff.
            kwargs["queryset"] = User.objects.filter(membership__agency_id=agency_id_of(request.user))  # type: ignore[misc]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return may_administer(request.user, obj.user if obj is not None else None)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user) and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return False  # a user who leaves is made inactive; the membership says whom they acted for
