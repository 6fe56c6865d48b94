from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ooh.demo import scenario


class Command(BaseCommand):
    help = "Load the fictional demo night (agencies, one user per role, the Vale family's open incident) and print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-non-embedded",
            action="store_true",
            help="Load even though DATABASE_URL is set (never on a live service: the password is printed).",
        )
        parser.add_argument(
            "--without-night",
            action="store_true",
            help="Agencies and users only, no Vale family or open incident (the acceptance tests bring their own).",
        )

    def handle(self, *args: Any, allow_non_embedded: bool, without_night: bool, **options: Any) -> None:
        if not settings.EMBEDDED and not allow_non_embedded:
            raise CommandError(
                "DATABASE_URL is set: refusing to load demo users with a printed password. "
                "Use --allow-non-embedded on a throwaway database."
            )
        password = scenario.demo_password()
        users = scenario.load(password, night=not without_night)
        width = max(len(u.username) for u in users)
        self.stdout.write(self.style.SUCCESS("Demo loaded. Every demo user's password: ") + password)
        for user in users:
            self.stdout.write(f"  {user.username:<{width}}  {user.role:<24} {user.agency:<22} {user.does}")
        self.stdout.write(
            "Try:\n"
            "  curl 127.0.0.1:8000/healthz\n"
            "  curl -X POST 127.0.0.1:8000/api/v1/auth/token/ -H 'Content-Type: application/json' \\\n"
            f'       -d \'{{"username": "asha", "password": "{password}", "device_name": "curl"}}\'\n'
            "  curl 127.0.0.1:8000/api/v1/me/ -H 'Authorization: Token <token>'\n"
            "The control room's board: http://127.0.0.1:8000/board/ (sign in as priya)\n"
            "API docs: http://127.0.0.1:8000/api/docs/   Admin: http://127.0.0.1:8000/admin/ (user admin)"
        )
