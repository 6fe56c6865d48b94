"""Escalations, notifications and push deliveries in the admin, for support: read-only for everyone
(they change only through the domain actions), and every page that shows them audited."""

from django.contrib import admin

from alerts.models import Escalation, Notification, PushDelivery
from ooh.admin_site import CaseworkAdmin


@admin.register(Escalation)
class EscalationAdmin(CaseworkAdmin):
    audit_object_type = "escalation"
    list_display = ["rule", "level", "status", "subject_key", "raised_at", "next_level_at"]
    list_filter = ["rule", "status", "level"]


@admin.register(PushDelivery)
class PushDeliveryAdmin(CaseworkAdmin):
    """Failed pushes are visible here; the inbox copy of each is never lost."""

    audit_object_type = "push_delivery"
    list_display = ["notification", "device", "backend", "status", "attempts", "last_error", "updated_at"]
    list_filter = ["status", "backend"]
    list_select_related = ["notification", "device"]


@admin.register(Notification)
class NotificationAdmin(CaseworkAdmin):
    audit_object_type = "notification"
    list_display = ["user", "title", "created_at", "read_at"]
    list_select_related = ["user"]
