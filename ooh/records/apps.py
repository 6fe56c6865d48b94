from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "ooh.records"
    label = "records"
    verbose_name = "Records: chronology, subject access, retention"
