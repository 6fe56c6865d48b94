"""Flags and their versions in the admin, for support: read-only for everyone (they change only through
the domain actions, which version and audit them), and every page that shows them audited."""

import uuid

from django.contrib import admin

from ooh.admin_site import CaseworkAdmin
from ooh.flags.models import Flag, FlagVersion


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

    def people_disclosed(self, flag: Flag) -> list[uuid.UUID]:
        return [flag.subject_person_id] if flag.subject_person_id else []


@admin.register(FlagVersion)
class FlagVersionAdmin(CaseworkAdmin):
    """A flag's history: written only by the flag's domain actions, never added or edited here."""

    audit_object_type = "flag_version"
    list_display = ["flag", "version", "change", "changed_by", "changed_at"]
    list_select_related = ["flag", "changed_by"]

    def people_disclosed(self, version: FlagVersion) -> list[uuid.UUID]:
        return [version.flag.subject_person_id] if version.flag.subject_person_id else []
