from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ooh.accounts"
    label = "accounts"
    verbose_name = "Agencies and people who use ooh"
