import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from ooh.accounts.actions import issue_token
from ooh.accounts.models import AgencyKind, Role

from .factories import AgencyFactory, UserFactory, member


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
def police(db):
    return AgencyFactory(code="police", name="Police control", kind=AgencyKind.POLICE)


@pytest.fixture
def ambulance(db):
    return AgencyFactory(code="ambulance", name="Ambulance service", kind=AgencyKind.AMBULANCE)


@pytest.fixture
def alice(police):
    """A police call handler: the persona who may do most things in her agency."""
    return member(role=Role.CALL_HANDLER, agency=police, username="alice")


@pytest.fixture
def bob(ambulance):
    """A paramedic in another agency."""
    return member(role=Role.RESPONDER, agency=ambulance, username="bob")


@pytest.fixture
def nobody(db):
    """A user with no agency membership: refused everywhere."""
    return UserFactory(username="nobody")


def client_for(user, device_name="test phone", *, reason=None):
    """An API client signed in as `user`; `reason` is sent as X-Access-Reason on every request (the
    purpose a control room states for a search or a picture outside its own incidents)."""
    client = APIClient()
    if user is not None:
        _, token = issue_token(user=user, device_name=device_name)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    if reason:
        client.defaults["HTTP_X_ACCESS_REASON"] = reason  # a request may still say otherwise
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def alice_client(alice):
    return client_for(alice)


@pytest.fixture
def bob_client(bob):
    return client_for(bob)


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
