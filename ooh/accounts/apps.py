from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "ooh.accounts"
    label = "accounts"
    verbose_name = "Agencies and people who use ooh"

    def ready(self) -> None:
        from .actions import close_sockets_of_inactive_user
        from .models import User

        post_save.connect(
            close_sockets_of_inactive_user, sender=User, dispatch_uid="close_sockets_of_inactive_user"
        )
