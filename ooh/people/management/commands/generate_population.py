"""Generate a synthetic population for load tests and benchmarks (built by ooh.people.population).

    python manage.py generate_population --people 1000000 [--seed 1] [--batch 20000]

A seed can be used once per database; rerun with another seed to add people.
"""

import resource
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ooh.people.population import Population, SeedAlreadyUsed, generate, nhs_check_digit, postcode_for

# Population, nhs_check_digit and postcode_for stay importable from here: the tests and the
# benchmark setup use them under this name.
__all__ = ["Command", "Population", "nhs_check_digit", "postcode_for"]


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Command(BaseCommand):
    help = (
        "Generate a synthetic population (families, links, addresses, identifiers, flags) for load tests. "
        "Streams in batches; memory does not grow with --people. Use a new --seed to add more people."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, required=True, help="How many people to add (about).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; one use per database.")
        parser.add_argument(
            "--batch", type=int, default=20_000, help="People per transaction (memory grows with this)."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")

    def handle(
        self, *args: Any, people: int, seed: int, batch: int, no_progress: bool, **options: Any
    ) -> None:
        if people < 1:
            raise CommandError("--people must be at least 1")
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        show = not no_progress and sys.stderr.isatty() and options.get("verbosity", 1) > 0
        try:
            generated = generate(people=people, seed=seed, batch=batch, show_progress=show)
        except SeedAlreadyUsed as exc:
            raise CommandError(f"--seed {seed} was already used on this database; pick another seed") from exc
        elapsed = generated.seconds
        self.stdout.write(f"generated in {elapsed:.1f} s (seed {seed}, {generated.vendor})")
        for table, rows in generated.rows.items():
            self.stdout.write(f"  {table:<26} {rows:>10,} rows")
        total = sum(generated.rows.values())
        self.stdout.write(f"  {'total':<26} {total:>10,} rows ({total / max(elapsed, 1e-9):,.0f} rows/s)")
        self.stdout.write(f"peak RSS {_peak_rss_kib() / 1024:.1f} MiB")
