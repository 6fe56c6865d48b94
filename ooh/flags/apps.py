from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "ooh.flags"
    label = "flags"
    verbose_name = "Flags and warning markers"
