from django.contrib.admin.apps import AdminConfig


class OohAdminConfig(AdminConfig):
    """The Django admin, served by the site that decides who may use it and audits its logins."""

    default_site = "ooh.admin_site.OohAdminSite"
