from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ooh.plans"
    label = "plans"
    verbose_name = "Birth plans"
