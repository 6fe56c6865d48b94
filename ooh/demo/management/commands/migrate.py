"""`manage.py migrate`, Django's, after making the files the configuration keeps on disk.

Migrate is the first step of every deployment (`make migrate`, `make demo`, the compose and Kubernetes
migrate jobs, pytest-django's test database): the SQLite folder must exist before Django opens the
file, and the embedded secret key before the next process starts. Settings never write them.
"""

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate

from ooh import runtime_files


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Makes the embedded mode's files first (see prepare_embedded)."

    def execute(self, *args: Any, **options: Any) -> str | None:
        # Before the system checks, which already open the database. A check or a plan writes nothing:
        # the Kubernetes init containers run `migrate --check` on a read-only filesystem.
        if not (options["check_unapplied"] or options["plan"]):
            for path in runtime_files.prepare():
                if options["verbosity"] >= 1:
                    self.stdout.write(f"Made {path}")
        return super().execute(*args, **options)
