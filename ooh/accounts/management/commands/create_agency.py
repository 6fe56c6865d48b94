from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ooh.accounts.actions import upsert_agency
from ooh.accounts.models import AgencyKind


class Command(BaseCommand):
    help = "Create an agency, or update the one with this code (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, help="Short stable code, e.g. police-west")
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, help=f"One of: {', '.join(AgencyKind.values)}")
        parser.add_argument("--out-of-hours-phone", default="")

    def handle(
        self, *args: Any, code: str, name: str, kind: str, out_of_hours_phone: str, **options: Any
    ) -> None:
        if kind not in AgencyKind.values:
            raise CommandError(f"--kind {kind!r} is not known; use one of: {', '.join(AgencyKind.values)}")
        try:
            agency, created = upsert_agency(
                code=code, name=name, kind=kind, out_of_hours_phone=out_of_hours_phone
            )
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from exc
        self.stdout.write(f"{'Created' if created else 'Updated'} agency {agency.code} ({agency.id})")


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(
            f"--{field.replace('_', '-')}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
        )
    return " ".join(exc.messages)
