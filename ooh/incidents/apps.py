from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "ooh.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        """Flags and plans sit below incidents: they announce their changes, the incidents listen."""
        from ooh.flags.signals import flag_changed
        from ooh.plans.signals import plan_in_force_changed

        from .announce import on_flag_changed, on_plan_in_force_changed

        flag_changed.connect(on_flag_changed, dispatch_uid="incidents.announce_flag")
        plan_in_force_changed.connect(on_plan_in_force_changed, dispatch_uid="incidents.announce_plan")
