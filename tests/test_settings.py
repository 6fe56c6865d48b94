"""Settings fail fast: strict booleans, and no production start without a SECRET_KEY."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ooh.settings import StrictEnv

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


@pytest.mark.parametrize("raw", ["0", "-1"])
def test_positive_float_refuses_zero_and_below(env, monkeypatch, raw):
    monkeypatch.setenv("OOH_TEST_SECONDS", raw)
    with pytest.raises(ImproperlyConfigured, match="OOH_TEST_SECONDS must be a positive number"):
        env.positive_float("OOH_TEST_SECONDS", default=1)


def start_django(tmp_path, _code=SETUP_DJANGO, **overrides):
    """django.setup() (then `_code`) in a fresh interpreter with a production-like environment plus
    `overrides`."""
    child_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
        and not key.startswith(("OOH_", "DATABASE_"))
    }
    child_env.update(DATABASE_URL="postgres://x@127.0.0.1/x", OOH_VAR_DIR=str(tmp_path), **overrides)
    return subprocess.run(
        [sys.executable, "-c", _code],
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


def test_debug_on_generates_a_local_key_instead(tmp_path):
    result = start_django(tmp_path, DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "secret_key").read_text().strip()) >= 50


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
