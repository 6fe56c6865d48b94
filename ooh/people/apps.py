from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "ooh.people"
    label = "people"
    verbose_name = "People and addresses"
