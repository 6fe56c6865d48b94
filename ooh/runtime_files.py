"""The files and folders ooh keeps on disk, made by the processes that need them, never by settings.

Importing ooh/settings.py writes nothing (a read-only image, a test, `manage.py check` must not). The
embedded mode keeps its SQLite file, its secret key and kombu's filesystem broker under OOH_VAR_DIR;
`manage.py migrate` (ooh/demo/management/commands/migrate.py) and `manage.py prepare_embedded` make
them all, and the Celery worker and beat make the broker's folders as they start (ooh/celery.py).
"""

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.utils import get_random_secret_key


def _folder(path: Path) -> list[Path]:
    """Make `path` and its parents; returns it if it was not there."""
    if path.is_dir():
        return []
    path.mkdir(parents=True, exist_ok=True)
    return [path]


def make_broker_folders(broker_url: str, transport_options: Mapping[str, Any]) -> list[Path]:
    """kombu's filesystem transport creates none of its folders: a worker would die on start and a
    publisher fail on its first task. Nothing to do for any other broker."""
    if not broker_url.startswith("filesystem"):
        return []
    made = []
    for option in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        if option in transport_options:
            made += _folder(Path(transport_options[option]))
    return made


def write_secret_key(path: Path) -> list[Path]:
    """A random key in `path`, readable by its owner only, unless one is there already: the embedded
    mode's sessions then survive restarts. O_EXCL: two processes preparing at once keep the first key."""
    made = _folder(path.parent)
    with contextlib.suppress(FileExistsError):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(get_random_secret_key())
        made.append(path)
    return made


def prepare() -> list[Path]:
    """Everything the configured processes expect on disk; returns what was made (nothing the second
    time). Under PostgreSQL, Redis and a given SECRET_KEY only the static folder is left to check."""
    made = []
    if settings.SECRET_KEY_FILE:
        made += write_secret_key(Path(settings.SECRET_KEY_FILE))
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and str(database["NAME"]) != ":memory:":
        made += _folder(Path(database["NAME"]).parent)  # SQLite creates the file, never its folder
    made += make_broker_folders(settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    # whitenoise warns at every start when STATIC_ROOT is missing (the demo and the tests never run
    # collectstatic); a read-only image has it already, and whitenoise serves from the packages anyway.
    with contextlib.suppress(OSError):
        made += _folder(Path(settings.STATIC_ROOT))
    return made
