from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Escalations and notifications"

    def ready(self) -> None:
        """Listen on the core's seam, and register the tasks so they can be called by name."""
        from ooh.incidents.signals import event_committed, notice

        from . import tasks  # noqa: F401  (registers alerts.tasks.* with Celery)
        from .notify import on_notice
        from .scheduling import on_incident_event

        event_committed.connect(on_incident_event, dispatch_uid="alerts.schedule_deadlines")
        notice.connect(on_notice, dispatch_uid="alerts.inbox_notices")
