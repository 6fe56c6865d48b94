from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ooh.demo"
    label = "demo"
    verbose_name = "Demo scenario"
