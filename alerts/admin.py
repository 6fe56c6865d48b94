from django.contrib import admin

from .models import Escalation, Flag, FlagVersion, Notification, PushDelivery


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = [
        "category",
        "severity",
        "summary",
        "status",
        "source_agency",
        "owner",
        "valid_until",
        "review_by",
    ]
    list_filter = ["group", "severity", "status"]
    search_fields = ["summary"]
    raw_id_fields = ["subject_person", "subject_address", "owner", "created_by", "revoked_by"]

    def has_delete_permission(self, request, obj=None):
        return False  # flags are revoked with a reason, never deleted


@admin.register(FlagVersion)
class FlagVersionAdmin(admin.ModelAdmin):
    list_display = ["flag", "version", "change", "changed_by", "changed_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["rule", "level", "status", "subject_key", "raised_at", "next_level_at"]
    list_filter = ["rule", "status", "level"]
    readonly_fields = [f.name for f in Escalation._meta.fields]


@admin.register(PushDelivery)
class PushDeliveryAdmin(admin.ModelAdmin):
    """Failed pushes are visible here; the inbox copy of each is never lost."""

    list_display = ["notification", "device", "backend", "status", "attempts", "last_error", "updated_at"]
    list_filter = ["status", "backend"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "title", "created_at", "read_at"]
