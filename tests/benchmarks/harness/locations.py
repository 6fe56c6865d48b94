"""Where the benchmarks run and what they write: the repository, var/bench, the venv's programs, and
database or Redis URLs pointed at a benchmark's own database (and shown in reports without passwords)."""

import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[3]
OUT_DIR = BASE_DIR / "var" / "bench"
VENV_BIN = Path(sys.executable).parent


def with_db_path(url: str, path: str) -> str:
    """The same server and credentials, another database (or Redis db): path is "/name"."""
    return urlunsplit(urlsplit(url)._replace(path=path))


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)
