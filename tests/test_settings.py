"""Settings fail fast (strict values, no production start without a SECRET_KEY) and write nothing: the
embedded mode's files are made by `manage.py migrate`/`prepare_embedded` and the Celery worker and beat."""

import ast
import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from celery import signals
from django.core.exceptions import ImproperlyConfigured

from ooh.celery import app
from ooh.env import StrictEnv
from ooh.env import env as shared_env

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETUP_DJANGO = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','ooh.settings'); django.setup()"
)


@pytest.fixture
def env():
    return StrictEnv()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("false", False), ("1", True), ("0", False), ("TRUE", True), (" False ", False)],
)
def test_strict_bool_accepts_true_false_1_and_0(env, monkeypatch, raw, expected):
    monkeypatch.setenv("OOH_TEST_FLAG", raw)
    assert env.bool("OOH_TEST_FLAG", default=not expected) is expected


@pytest.mark.parametrize("raw", ["yes", "no", "on", "2", "ture"])
def test_strict_bool_refuses_anything_else_naming_the_variable(env, monkeypatch, raw):
    monkeypatch.setenv("OOH_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=f"OOH_TEST_FLAG must be true, false, 1 or 0, not '{raw}'"):
        env.bool("OOH_TEST_FLAG", default=False)


@pytest.mark.parametrize("default", [True, False])
def test_strict_bool_falls_back_to_the_default_when_unset_or_empty(env, monkeypatch, default):
    monkeypatch.delenv("OOH_TEST_FLAG", raising=False)
    assert env.bool("OOH_TEST_FLAG", default=default) is default
    monkeypatch.setenv("OOH_TEST_FLAG", "")
    assert env.bool("OOH_TEST_FLAG", default=default) is default


def test_strict_bool_without_a_default_requires_the_variable(env, monkeypatch):
    monkeypatch.delenv("OOH_TEST_FLAG", raising=False)
    with pytest.raises(ImproperlyConfigured):
        env.bool("OOH_TEST_FLAG")


def test_the_env_settings_read_through_refuses_yes(monkeypatch):
    monkeypatch.setenv("OOH_TEST_FLAG", "yes")
    with pytest.raises(ImproperlyConfigured, match="OOH_TEST_FLAG must be true, false, 1 or 0, not 'yes'"):
        shared_env.bool("OOH_TEST_FLAG", default=False)


def test_a_choice_must_be_one_of_its_values_as_written(env, monkeypatch):
    monkeypatch.setenv("OOH_TEST_BACKEND", "Redis")
    with pytest.raises(ImproperlyConfigured, match="OOH_TEST_BACKEND must be memory, redis or redis_pubsub"):
        env.choice("OOH_TEST_BACKEND", default="memory", choices=("memory", "redis", "redis_pubsub"))
    monkeypatch.delenv("OOH_TEST_BACKEND")
    assert env.choice("OOH_TEST_BACKEND", default="memory", choices=("memory", "redis")) == "memory"


def test_minutes_may_be_zero_but_not_negative(env, monkeypatch):
    monkeypatch.setenv("OOH_TEST_MINUTES", "0")
    assert env.non_negative_float("OOH_TEST_MINUTES", default=10) == 0
    monkeypatch.setenv("OOH_TEST_MINUTES", "-0.5")
    with pytest.raises(ImproperlyConfigured, match="OOH_TEST_MINUTES must not be negative"):
        env.non_negative_float("OOH_TEST_MINUTES", default=10)


@pytest.mark.parametrize("raw", ["0", "-1"])
def test_positive_float_refuses_zero_and_below(env, monkeypatch, raw):
    monkeypatch.setenv("OOH_TEST_SECONDS", raw)
    with pytest.raises(ImproperlyConfigured, match="OOH_TEST_SECONDS must be a positive number"):
        env.positive_float("OOH_TEST_SECONDS", default=1)


def start_django(tmp_path, _code=SETUP_DJANGO, _argv=None, **overrides):
    """django.setup() (then `_code`), or manage.py with `_argv`, in a fresh interpreter with a
    production-like environment plus `overrides` (None unsets a variable)."""
    child_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
        and not key.startswith(("OOH_", "DATABASE_"))
    }
    child_env.update({"DATABASE_URL": "postgres://x@127.0.0.1/x", "OOH_VAR_DIR": str(tmp_path), **overrides})
    child_env = {key: value for key, value in child_env.items() if value is not None}
    return subprocess.run(
        [sys.executable, *(["manage.py", *_argv] if _argv else ["-c", _code])],
        cwd=PROJECT_ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_secret_key_is_required_with_a_database_url_and_debug_off(tmp_path):
    result = start_django(tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_with_a_secret_key_the_production_settings_load(tmp_path):
    result = start_django(tmp_path, SECRET_KEY="a-real-secret-from-the-orchestrator")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "secret_key").exists(), "no key is generated when one is given"


PRINT_KEY_DIGEST = (
    SETUP_DJANGO
    + "; import hashlib; from django.conf import settings; print(hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest())"
)


def key_digest(tmp_path, **overrides):
    """A digest of the SECRET_KEY a fresh interpreter with `overrides` gets (never the key in a log)."""
    result = start_django(tmp_path, _code=PRINT_KEY_DIGEST, **overrides)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def digest_of_file(path):
    return hashlib.sha256(path.read_text().strip().encode()).hexdigest()


def test_debug_on_uses_the_kept_key_once_prepared(tmp_path):
    var = tmp_path / "var"
    # Before the preparation: a key of the process's own, and nothing written.
    assert key_digest(tmp_path, DJANGO_DEBUG="true", OOH_VAR_DIR=str(var)) != key_digest(
        tmp_path, DJANGO_DEBUG="true", OOH_VAR_DIR=str(var)
    )
    assert not var.exists()
    prepared = start_django(tmp_path, _argv=["prepare_embedded"], DJANGO_DEBUG="true", OOH_VAR_DIR=str(var))
    assert prepared.returncode == 0, prepared.stderr
    assert len((var / "secret_key").read_text().strip()) >= 50
    assert key_digest(tmp_path, DJANGO_DEBUG="true", OOH_VAR_DIR=str(var)) == digest_of_file(
        var / "secret_key"
    )


# Embedded: no DATABASE_URL, no SECRET_KEY, the filesystem broker; var/ and static/ not there yet.
def embedded(tmp_path):
    return {
        "DATABASE_URL": None,
        "OOH_VAR_DIR": str(tmp_path / "var"),
        "OOH_STATIC_ROOT": str(tmp_path / "static"),
    }


def test_importing_settings_and_the_celery_app_writes_nothing(tmp_path):
    code = SETUP_DJANGO + "; import ooh.celery; from django.conf import settings; assert settings.SECRET_KEY"
    result = start_django(tmp_path, _code=code, **embedded(tmp_path))
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_prepare_embedded_makes_what_the_embedded_processes_need_once(tmp_path):
    result = start_django(tmp_path, _argv=["prepare_embedded"], **embedded(tmp_path))
    assert result.returncode == 0, result.stderr
    var = tmp_path / "var"
    key = var / "secret_key"
    assert len(key.read_text().strip()) >= 50
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert all((var / "celery" / folder).is_dir() for folder in ("queue", "control", "processed"))
    assert (tmp_path / "static").is_dir()
    # Every later process reads that key; a second preparation keeps it and makes nothing.
    assert key_digest(tmp_path, **embedded(tmp_path)) == digest_of_file(key)
    again = start_django(tmp_path, _argv=["prepare_embedded"], **embedded(tmp_path))
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert key_digest(tmp_path, **embedded(tmp_path)) == digest_of_file(key)


def test_migrate_on_a_fresh_checkout_prepares_before_opening_the_database(tmp_path):
    """`make migrate` and `make demo` start here: the SQLite folder does not exist yet."""
    result = start_django(tmp_path, _argv=["migrate", "--noinput", "-v0"], **embedded(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "ooh.sqlite3").is_file()
    assert (tmp_path / "var" / "secret_key").is_file()


def test_migrate_check_writes_nothing(tmp_path):
    """The Kubernetes init containers run it on a read-only filesystem."""
    start_django(tmp_path, _argv=["migrate", "--check"], **embedded(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_the_production_settings_need_no_preparation(tmp_path):
    result = start_django(tmp_path, _argv=["prepare_embedded"], SECRET_KEY="x", REDIS_URL="redis://r/0")
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("signal", [signals.celeryd_init, signals.beat_init])
def test_the_worker_and_beat_make_the_filesystem_brokers_folders_as_they_start(tmp_path, monkeypatch, signal):
    folders = {
        option: str(tmp_path / "celery" / name)
        for option, name in [
            ("data_folder_in", "queue"),
            ("data_folder_out", "queue"),
            ("control_folder", "control"),
            ("processed_folder", "processed"),
        ]
    }
    monkeypatch.setattr(app.conf, "broker_url", "filesystem://")
    monkeypatch.setattr(app.conf, "broker_transport_options", folders)
    signal.send(sender=None)
    assert sorted(path.name for path in (tmp_path / "celery").iterdir()) == ["control", "processed", "queue"]


def test_a_malformed_debug_flag_stops_the_start(tmp_path):
    result = start_django(tmp_path, DJANGO_DEBUG="yes", SECRET_KEY="x")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true, false, 1 or 0, not 'yes'" in result.stderr


PRINT_DATABASE_OPTIONS = (
    SETUP_DJANGO + "; from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
)


def database_options(tmp_path, **overrides):
    """The default database's OPTIONS as a fresh interpreter with `overrides` sees them."""
    result = start_django(tmp_path, SECRET_KEY="x", **overrides, _code=PRINT_DATABASE_OPTIONS)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


def test_the_web_gets_a_connection_pool_and_prepared_statements_by_default(tmp_path):
    options = database_options(tmp_path)
    assert options["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10.0}
    assert options["prepare_threshold"] == 5


@pytest.mark.parametrize("overrides", [{"DATABASE_CONN_MAX_AGE": "60"}, {"DATABASE_POOL_MAX_SIZE": "0"}])
def test_a_persistent_connection_or_a_zero_size_turns_the_pool_off(tmp_path, overrides):
    assert "pool" not in database_options(tmp_path, **overrides)


def test_prepared_statements_can_be_turned_off_for_a_pgbouncer(tmp_path):
    assert database_options(tmp_path, DATABASE_PREPARE_THRESHOLD="none")["prepare_threshold"] is None


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("DATABASE_POOL_MAX_SIZE", "-1", "DATABASE_POOL_MAX_SIZE must be 0 or more"),
        ("DATABASE_PREPARE_THRESHOLD", "often", "DATABASE_PREPARE_THRESHOLD must be a whole number or none"),
        ("DATABASE_POOL_TIMEOUT_SECONDS", "0", "DATABASE_POOL_TIMEOUT_SECONDS must be a positive number"),
    ],
)
def test_a_malformed_pool_setting_stops_the_start_naming_it(tmp_path, name, raw, message):
    result = start_django(tmp_path, SECRET_KEY="x", **{name: raw})
    assert result.returncode != 0
    assert message in result.stderr


# --- DATABASE_URL: PostgreSQL or a SQLite file; anything else stops the start -------------------------

PRINT_DATABASE = (
    SETUP_DJANGO
    + "; from django.conf import settings; d = settings.DATABASES['default']"
    + "; print(repr({k: d[k] for k in ('ENGINE', 'NAME', 'OPTIONS')}))"
)


def database(tmp_path, **overrides):
    """The default database's engine, name and options as a fresh interpreter with `overrides` sees them."""
    result = start_django(tmp_path, SECRET_KEY="x", **overrides, _code=PRINT_DATABASE)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


def test_a_sqlite_url_gets_the_embedded_files_options_and_no_postgresql_ones(tmp_path):
    """The psycopg pool and prepare_threshold are PostgreSQL's (SQLite's connect() refuses them with a
    TypeError); the file gets what the embedded one has: the write lock taken at BEGIN, WAL."""
    path = tmp_path / "data" / "ooh.sqlite3"
    found = database(
        tmp_path, DATABASE_URL=f"sqlite:///{path}", DATABASE_POOL_MAX_SIZE="4", DATABASE_PREPARE_THRESHOLD="5"
    )
    assert (found["ENGINE"], found["NAME"]) == ("django.db.backends.sqlite3", str(path))
    assert "pool" not in found["OPTIONS"]
    assert "prepare_threshold" not in found["OPTIONS"]
    assert found["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in found["OPTIONS"]["init_command"]


def test_a_relative_sqlite_path_is_in_the_source_directory_whatever_the_working_directory(tmp_path):
    """sqlite:///var/x.sqlite3 (three slashes) is relative: the web, the worker and manage.py share one file."""
    found = database(tmp_path, DATABASE_URL="sqlite:///var/x.sqlite3")
    assert found["NAME"] == str(PROJECT_ROOT / "var" / "x.sqlite3")


def test_a_sqlite_url_starts_and_migrates_into_its_file(tmp_path):
    path = tmp_path / "data" / "ooh.sqlite3"  # its folder not there yet: migrate makes it
    url = {"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "x"}
    checked = start_django(tmp_path, _argv=["check"], **url)
    assert checked.returncode == 0, checked.stderr
    migrated = start_django(tmp_path, _argv=["migrate", "--noinput", "-v0"], **url)
    assert migrated.returncode == 0, migrated.stderr
    with sqlite3.connect(path) as db:
        applied = {app for (app,) in db.execute("select distinct app from django_migrations")}
        assert {"accounts", "incidents", "plans", "alerts"} <= applied
        assert db.execute("select count(*) from accounts_agency").fetchone() == (0,)
    assert not (tmp_path / "secret_key").exists(), "a given SECRET_KEY is used, none is kept"
    assert start_django(tmp_path, _argv=["migrate", "--check"], **url).returncode == 0, (
        "nothing is left unapplied"
    )


def test_a_sqlite_url_still_needs_a_secret_key_like_any_database_url(tmp_path):
    result = start_django(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'ooh.sqlite3'}")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("url", ["sqlite://:memory:", "sqlite://", "sqlite:///"])
def test_an_in_memory_sqlite_url_stops_the_start(tmp_path, url):
    """Every process would open its own empty database: the service would answer "no such table"."""
    result = start_django(tmp_path, SECRET_KEY="x", DATABASE_URL=url)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL names an in-memory SQLite database" in result.stderr


@pytest.mark.parametrize("url", ["postgres://u@127.0.0.1/ooh", "postgresql://u@127.0.0.1:5432/ooh"])
def test_both_spellings_of_postgresql_are_postgresql(tmp_path, url):
    found = database(tmp_path, DATABASE_URL=url)
    assert found["ENGINE"] == "django.db.backends.postgresql"
    assert found["OPTIONS"]["prepare_threshold"] == 5


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://ooh:hunter2-secret@db/ooh", "'mysql://'"),
        ("oracle://ooh:hunter2-secret@db/ooh", "'oracle://'"),
        ("postgis://ooh:hunter2-secret@db/ooh", "'postgis://'"),
        ("hunter2-secret", "a URL without a scheme"),
        ("//ooh:hunter2-secret@db/ooh", "a URL without a scheme"),
    ],
)
def test_an_unsupported_database_url_stops_the_start_naming_the_supported_schemes(tmp_path, url, named):
    result = start_django(tmp_path, SECRET_KEY="x", DATABASE_URL=url)
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: DATABASE_URL must be a postgres://, postgresql:// or sqlite:// URL, "
        f"not {named}"
    ) in result.stderr
    assert "hunter2" not in result.stderr, "the URL may hold a password: only its scheme is named"


ACCESS_HANDLERS = (
    SETUP_DJANGO + "; import logging; print(len(logging.getLogger('uvicorn.access').handlers),"
    " logging.getLogger('uvicorn.access').hasHandlers())"
)


@pytest.mark.parametrize(("raw", "printed"), [(None, "0 False"), ("true", "1 True")])
def test_uvicorn_access_lines_only_when_asked_for(tmp_path, raw, printed):
    """uvicorn's --no-access-log cannot hold once Django's logging is applied (it resets the logger), and
    uvicorn logs each request while the logger has a handler: OOH_ACCESS_LOG decides."""
    result = start_django(tmp_path, _code=ACCESS_HANDLERS, SECRET_KEY="k", OOH_ACCESS_LOG=raw)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == printed
