from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ooh.audit"
    label = "audit"
    verbose_name = "Audit log"
