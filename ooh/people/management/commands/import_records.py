import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ooh.accounts.models import Role, User
from ooh.people.importing import ORDER, RowError, import_file, kind_of

T = TypeVar("T")


class Command(BaseCommand):
    help = (
        "Import people.csv, addresses.csv, relationships.csv and flags.csv (any of them, in any order; "
        "they are imported addresses, people, relationships, flags). Rows are keyed on external_id, so "
        "a rerun updates instead of duplicating. Rejected rows go to <file>.errors.csv with line and reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--user",
            required=True,
            help="Username the import acts as (an admin); it is named in the audit log.",
        )

    def handle(self, *args: Any, files: list[Path], user: str, **options: Any) -> None:
        actor = self.acting_admin(user)
        jobs = self.jobs(files)
        show = sys.stdout.isatty() and options.get("verbosity", 1) > 0
        rejected = sum(self.import_one(path, kind, actor, show=show) for kind, path in jobs)
        if rejected:
            self.stdout.write(
                self.style.WARNING(f"{rejected} row(s) rejected; every other row was imported.")
            )

    def acting_admin(self, username: str) -> User:
        """The user the import acts as: one with an agency membership, and an admin."""
        actor = (
            get_user_model().objects.select_related("membership__agency").filter(username=username).first()
        )
        if actor is None or not hasattr(actor, "membership"):
            raise CommandError(f"--user {username!r}: no user with an agency membership has this name")
        if not (actor.is_superuser or actor.membership.role == Role.ADMIN):
            raise CommandError(f"--user {username!r}: imports need an admin (role {Role.ADMIN})")
        return actor

    def jobs(self, files: list[Path]) -> list[tuple[str, Path]]:
        """(kind, path) for every file, in import order; refused before anything is imported if a name
        says no kind or a file is missing."""
        try:
            jobs = sorted(((kind_of(path), path) for path in files), key=lambda job: ORDER.index(job[0]))
        except RowError as exc:
            raise CommandError(str(exc)) from exc
        for _kind, path in jobs:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        return jobs

    def import_one(self, path: Path, kind: str, actor: User, *, show: bool) -> int:
        """Imports one file and says what became of its rows; returns how many were rejected."""

        def progress(rows: Iterable[T]) -> Iterable[T]:
            return tqdm(rows, desc=path.name, unit=" rows", disable=not show)

        try:
            result = import_file(path, actor=actor, kind=kind, progress=progress)
        except RowError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(result.outcomes.items())) or "no rows"
        self.stdout.write(f"{path.name} ({kind}): {counts}")
        if result.errors_path:
            self.stdout.write(
                self.style.WARNING(f"  rejected rows with line and reason: {result.errors_path}")
            )
        return result.rejected
