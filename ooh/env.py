"""The typed environment: ooh/settings.py reads every variable through `env`, once, at import.

django-environ, stricter: a value that does not parse stops the start with ImproperlyConfigured naming
the variable, instead of becoming a surprise later (a "yes" read as false, a rate DRF reads only at
the first request). Reading the environment is all this module does: nothing is written anywhere.
"""

import datetime
import re
from collections.abc import Sequence
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")  # RFC 3986's; anything else before :// is not one


class StrictEnv(environ.Env):  # type: ignore[misc]  # django-environ ships no types: Env is Any
    """django-environ with booleans that fail fast (only true/false/1/0) and a few checked types."""

    def bool(self, var: str, default: bool = environ.Env.NOTSET) -> bool:  # NOTSET: no default
        raw: str = self.str(var, default="" if default is not environ.Env.NOTSET else environ.Env.NOTSET)
        if raw == "" and default is not environ.Env.NOTSET:
            return default
        value = raw.strip().lower()
        if value in {"1", "true"}:
            return True
        if value in {"0", "false"}:
            return False
        raise ImproperlyConfigured(f"{var} must be true, false, 1 or 0, not {raw!r}")

    def rate(self, var: str, default: str) -> str:
        """A DRF rate, N/second|minute|hour|day (or s, sec, m, min, h, d): DRF itself fails only at the
        first request, and reads '5/mango' as five a minute."""
        value: str = self.str(var, default=default).strip()
        if not _RATE.match(value) or int(value.split("/")[0]) < 1:
            raise ImproperlyConfigured(f"{var} must be a rate such as 120/min, not {value!r}")
        return value

    def positive_float(self, var: str, default: float) -> float:
        value: float = self.float(var, default=default)
        if value <= 0:
            raise ImproperlyConfigured(f"{var} must be a positive number, not {value!r}")
        return value

    def non_negative_float(self, var: str, default: float) -> float:
        value: float = self.float(var, default=default)
        if value < 0:
            raise ImproperlyConfigured(f"{var} must not be negative, not {value!r}")
        return value

    def non_negative_int(self, var: str, default: int) -> int:
        value: int = self.int(var, default=default)
        if value < 0:
            raise ImproperlyConfigured(f"{var} must be 0 or more, not {value}")
        return value

    def positive_int(self, var: str, default: int) -> int:
        value: int = self.int(var, default=default)
        if value <= 0:
            raise ImproperlyConfigured(f"{var} must be 1 or more, not {value}")
        return value

    def int_or_none(self, var: str, default: str) -> int | None:
        """A whole number, or None for "none" (or an empty value)."""
        value: str = self.str(var, default=default).strip().lower()
        if value in ("none", ""):
            return None
        if not value.isdigit():
            raise ImproperlyConfigured(f"{var} must be a whole number or none, not {value!r}")
        return int(value)

    def choice(self, var: str, default: str, choices: Sequence[str]) -> str:
        """One of `choices`, exactly as written."""
        value: str = self.str(var, default=default)
        if value not in choices:
            raise ImproperlyConfigured(f"{var} must be {', '.join(choices[:-1])} or {choices[-1]}")
        return value

    def database_url(self, var: str, schemes: Sequence[str]) -> dict[str, Any]:
        """A database URL whose scheme is one of `schemes`, as Django's DATABASES entry. The error names
        the scheme alone, never the URL, which may hold a password."""
        value: str = self.str(var)
        scheme, separator, _ = value.partition("://")
        scheme = scheme.lower() if separator and _SCHEME.fullmatch(scheme) else ""
        if scheme not in schemes:
            given = repr(f"{scheme}://") if scheme else "a URL without a scheme"
            supported = ", ".join(f"{s}://" for s in schemes[:-1]) + f" or {schemes[-1]}://"
            raise ImproperlyConfigured(f"{var} must be a {supported} URL, not {given}")
        config: dict[str, Any] = self.db_url_config(value)
        return config

    def dates(self, var: str) -> tuple[datetime.date, ...]:
        """Comma-separated ISO dates (2026-12-24,2026-12-31), or none."""
        raw: str = self.str(var, default="").strip()
        try:
            return tuple(sorted(datetime.date.fromisoformat(p.strip()) for p in raw.split(",") if p.strip()))
        except ValueError:
            raise ImproperlyConfigured(f"{var} must be ISO dates separated by commas, not {raw!r}") from None


env = StrictEnv()
