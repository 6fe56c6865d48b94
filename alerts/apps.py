from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Flags, guidance and escalations"

    def ready(self):
        from ooh.incidents import events

        from .scheduling import on_incident_event

        if on_incident_event not in events.listeners:
            events.listeners.append(on_incident_event)
