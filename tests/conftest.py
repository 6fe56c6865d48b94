import pytest
from django.core.cache import cache
from django.db import connection

# The named personas and agencies (alice, bob, police, ...) and the need-to-know world, as fixtures.
pytest_plugins = ["tests.personas", "tests.vale_world", "tests.baby_a"]


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL: run in CI's second pass, deselected (not skipped) on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and idempotency records live in the cache: start every test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def is_postgres(db):
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_in_process():
    """Unit and API tests run tasks in-process (a scheduled check runs at once, and its guard decides);
    the e2e and reliability tests start real workers on a real broker instead."""
    from ooh.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
