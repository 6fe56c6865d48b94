import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ooh.accounts.actions import upsert_user
from ooh.accounts.models import Agency, Role

from .create_agency import _describe


class Command(BaseCommand):
    help = "Create a user with one agency and one role, or update them (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--agency", required=True, help="Agency code")
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}")
        parser.add_argument("--display-name", default="")
        parser.add_argument(
            "--password-env",
            default=None,
            help="Name of an environment variable holding the password; without it you are prompted.",
        )
        parser.add_argument(
            "--no-password", action="store_true", help="Keep (or leave unusable) the password."
        )

    def handle(
        self,
        *args: Any,
        username: str,
        agency: str,
        role: str,
        display_name: str,
        password_env: str | None,
        no_password: bool,
        **options: Any,
    ) -> None:
        if role not in Role.values:
            raise CommandError(f"--role {role!r} is not known; use one of: {', '.join(Role.values)}")
        agency_obj = Agency.objects.filter(code=agency).first()
        if agency_obj is None:
            raise CommandError(
                f"--agency {agency!r}: no agency has this code; create it with create_agency first"
            )
        password = None if no_password else self._password(password_env, options.get("interactive", True))
        try:
            user, created = upsert_user(
                username=username, agency=agency_obj, role=role, display_name=display_name, password=password
            )
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from exc
        self.stdout.write(
            f"{'Created' if created else 'Updated'} user {user.username} ({role} at {agency_obj.code})"
        )

    def _password(self, password_env: str | None, interactive: bool) -> str:
        if password_env:
            if password_env not in os.environ:  # the operator names the variable; settings are not involved
                raise CommandError(f"--password-env: the variable {password_env} is not set")
            return os.environ[password_env]
        if not os.isatty(0):
            raise CommandError(
                "No terminal to prompt for a password: use --password-env VAR or --no-password"
            )
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ")
        return first
