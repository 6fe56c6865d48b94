"""`python manage.py apply_retention [--dry-run] [--today YYYY-MM-DD]`: list the records past their
retention period and under which rule, and dispose of them (deleted or anonymised, as the rule says).
With --dry-run nothing at all is written: the list only."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ooh.records.models import RunTrigger
from ooh.records.retention import apply_retention, local_date


class Command(BaseCommand):
    help = (
        "Apply the retention schedule: list each record that is due (class, rule, the date its period ran "
        "from, the date it fell due, deleted or anonymised) and dispose of each one no legal hold keeps, "
        "leaving a tombstone and an audit row. --dry-run lists and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what is due; change nothing.")
        parser.add_argument(
            "--today", metavar="YYYY-MM-DD", help="Apply the schedule as of this date (default: today)."
        )

    def handle(self, *args: Any, dry_run: bool = False, today: str | None = None, **options: Any) -> None:
        day = self._day(today)
        report = apply_retention(today=day, dry_run=dry_run, trigger=RunTrigger.COMMAND)
        for due in report.due:
            self.stdout.write(due.describe())
        held = len(report.held) + report.held_since_listing
        if dry_run:
            self.stdout.write(
                f"Dry run for {day}: {len(report.due)} due, {held} of them held; nothing was changed."
            )
            return
        self.stdout.write(
            f"Retention for {day}: {len(report.tombstones)} disposed, {held} kept by a legal hold "
            f"(run {report.run.pk if report.run else '-'})."
        )

    @staticmethod
    def _day(raw: str | None) -> datetime.date:
        if raw is None:
            return local_date(timezone.now())
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            raise CommandError(f"--today must be a date as YYYY-MM-DD, not {raw!r}") from None
