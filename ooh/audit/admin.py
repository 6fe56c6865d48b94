from django.contrib import admin

from .models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log can be searched but never changed or deleted."""

    list_display = ["at", "username", "role", "action", "object_type", "incident_id", "request_id"]
    list_filter = ["action", "object_type", "role"]
    search_fields = ["username", "request_id", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
