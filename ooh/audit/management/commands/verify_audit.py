"""`python manage.py verify_audit`: walk the access log's hash chain and name the first broken link."""

import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ooh.audit.chain import verify_chain

ANCHOR = re.compile(r"^(?P<seq>[1-9][0-9]*):(?P<hash>[0-9a-f]{64})$")


class Command(BaseCommand):
    help = (
        "Verify the access log's hash chain: every row's hash over its content and people, its link to the "
        "row before, and no gap or duplicate in chain_seq. Prints '<N> rows verified' and exits 0, or prints "
        "the first broken row and exits 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            metavar="CHAIN_SEQ:HASH",
            help="A chain_seq and hash printed by an earlier run (kept outside the database): that row must "
            "still carry that hash, which also finds a log cut short or re-hashed after the anchor was taken.",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=1000, help="Rows read per query (default 1000)."
        )

    def handle(self, *args: Any, anchor: str | None = None, chunk_size: int = 1000, **options: Any) -> None:
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        expected = None
        if anchor is not None:
            match = ANCHOR.match(anchor.strip().lower())
            if match is None:
                raise CommandError("--anchor must be CHAIN_SEQ:HASH, e.g. 42:<64 hex digits>")
            expected = (int(match["seq"]), match["hash"])
        verdict = verify_chain(chunk_size=chunk_size, anchor=expected)
        if not verdict.intact:
            self.stderr.write(str(verdict.broken))
            sys.exit(1)
        self.stdout.write(
            f"{verdict.rows} rows verified; last chain_seq {verdict.last_seq} hash {verdict.last_hash}"
        )
