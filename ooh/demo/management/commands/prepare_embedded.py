from typing import Any

from django.core.management.base import BaseCommand

from ooh import runtime_files


class Command(BaseCommand):
    help = (
        "Make the files and folders the embedded mode keeps under OOH_VAR_DIR (SQLite folder, secret key, "
        "filesystem broker) and STATIC_ROOT. Settings only read them; `migrate` runs this first."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for path in runtime_files.prepare():
            self.stdout.write(f"Made {path}")
