from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "ooh.incidents"
    label = "incidents"
    verbose_name = "Incidents"
