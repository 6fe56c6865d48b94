"""`python manage.py subject_access <person id> --out <dir>`: everything held about a person, as JSON and
PDF, for their subject access request; audited as a disclosure to the data subject."""

import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import User
from ooh.people.models import Person
from ooh.records.subject_access_files import write_subject_access

DEFAULT_REASON = "Subject access request (manage.py subject_access)"


class Command(BaseCommand):
    help = (
        "Write everything held about a person (and every access to their records) to "
        "<dir>/subject-access-<person id>.json and .pdf. Other people's details are in it, marked "
        "third-party for review before release. The export is audited before the files are written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person_id", help="The person's id (a UUID).")
        parser.add_argument(
            "--out", required=True, type=Path, help="The directory to write the two files to."
        )
        parser.add_argument(
            "--requested-by",
            metavar="USERNAME",
            help="The data protection officer the export is for (an active user with that role); "
            "without it the export is recorded as the operator's.",
        )
        parser.add_argument(
            "--reason", default=DEFAULT_REASON, help="The request's reference and purpose, for the audit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        person = _person(options["person_id"])
        actor = _requester(options["requested_by"])
        reason = (options["reason"] or "").strip() or DEFAULT_REASON
        json_path, pdf_path = write_subject_access(
            person, out_dir=options["out"], actor=actor, reason=reason, now=timezone.now()
        )
        self.stdout.write(f"Wrote {json_path}")
        self.stdout.write(f"Wrote {pdf_path}")
        self.stdout.write("Review every part marked third-party data before anything is released.")


def _person(raw: str) -> Person:
    try:
        person_id = uuid.UUID(raw)
    except ValueError:
        raise CommandError(f"{raw!r} is not a person id: give the person's UUID.") from None
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise CommandError(f"No person with id {person_id} is held.")
    return person


def _requester(username: str | None) -> User | None:
    if username is None:
        return None
    user = User.objects.select_related("membership__agency").filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(f"No active user {username!r}: --requested-by names an active account.")
    if not policy.may_export_subject_access(user):
        raise CommandError(
            f"{username!r} is not a data protection officer: only that role may export subject access."
        )
    return user
