"""The access log in the admin: searched, never changed or deleted. Superusers see every row; an agency
admin sees its agency's rows (ooh.access.policy.visible_audit), as on GET /audit/. Reading it is audited."""

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from ooh.access.policy import visible_audit
from ooh.admin_site import AuditedReadsAdmin, may_use_admin
from ooh.audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(AuditedReadsAdmin):
    """Read-only: the audit log can be searched but never changed or deleted, by anyone."""

    audit_object_type = "audit_log"
    list_display = ["at", "username", "role", "action", "object_type", "incident_id", "request_id"]
    list_filter = ["action", "object_type", "role"]
    search_fields = ["username", "request_id", "reason"]
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessLog]:
        if request.user.is_superuser:
            return super().get_queryset(request)
        return visible_audit(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return may_use_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
