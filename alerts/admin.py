"""Flags, their versions, escalations and notifications in the admin, for support: superusers only,
read-only for everyone (they change only through the domain actions, which version and audit them), and
every page that shows them audited."""

from django.contrib import admin

from ooh.admin_site import CaseworkAdmin

from .models import Escalation, Flag, FlagVersion, Notification, PushDelivery


@admin.register(Flag)
class FlagAdmin(CaseworkAdmin):
    audit_object_type = "flag"
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
    list_select_related = ["source_agency", "owner"]
    search_fields = ["summary"]

    def people_disclosed(self, flag):
        return [flag.subject_person_id] if flag.subject_person_id else []


@admin.register(FlagVersion)
class FlagVersionAdmin(CaseworkAdmin):
    """A flag's history: written only by the flag's domain actions, never added or edited here."""

    audit_object_type = "flag_version"
    list_display = ["flag", "version", "change", "changed_by", "changed_at"]
    list_select_related = ["flag", "changed_by"]

    def people_disclosed(self, version):
        return [version.flag.subject_person_id] if version.flag.subject_person_id else []


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
