from django.contrib.admin.apps import AdminConfig


class OohAdminConfig(AdminConfig):
    """The Django admin, served by the site that decides who may use it and audits its logins.

    The admin is an edge, like the API: its pages live in ooh/admin_site/ (one module per app), above
    the domain they show, and are registered here rather than from each app's own admin.py."""

    default_site = "ooh.admin_site.OohAdminSite"

    def ready(self) -> None:
        super().ready()
        from ooh.admin_site import accounts, alerts, audit, flags  # noqa: F401  (registers the pages)
