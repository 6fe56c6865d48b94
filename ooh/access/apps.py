from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "ooh.access"
    label = "access"
    verbose_name = "Need to know"
