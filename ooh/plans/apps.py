from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ooh.plans"
    label = "plans"
    verbose_name = "Birth plans"

    def ready(self):
        from ooh.people.network import network_extensions
        from ooh.people.network_sql import network_sql_extensions

        from .network import add_birth_plans, plans_sql

        network_extensions.append(add_birth_plans)
        network_sql_extensions["birth_plans"] = plans_sql()
