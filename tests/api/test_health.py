"""/healthz and /readyz: public probes; readiness names the dependency that fails."""

import pytest
from django.test import Client

from api.views import health

ALL_OK = {"database": "ok", "channel_layer": "ok", "broker": "ok"}


@pytest.fixture
def client():
    """No session, no token: what a load balancer sends."""
    return Client()


def refuse(exc):
    def check():
        raise exc

    return check


def test_healthz_is_ok_without_auth_or_a_database(client):
    # No django_db mark: pytest-django fails the test if the view touches the database.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_healthz_accepts_only_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_is_ok_without_auth_when_every_dependency_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": ALL_OK}


@pytest.mark.django_db
@pytest.mark.parametrize("failing", sorted(ALL_OK))
def test_readyz_is_503_naming_the_failing_check(client, monkeypatch, failing):
    monkeypatch.setitem(health.READINESS_CHECKS, failing, refuse(ConnectionError("connection refused")))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"][failing] == "error: ConnectionError: connection refused"
    assert body["checks"] == {**ALL_OK, failing: body["checks"][failing]}, "the other checks still run"


@pytest.mark.django_db
def test_readyz_is_503_when_the_channel_layer_cannot_be_reached(client, monkeypatch):
    class DownLayer:
        async def group_discard(self, group, channel):
            raise OSError("redis is down")

    monkeypatch.setattr(health, "get_channel_layer", DownLayer)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"] == "error: OSError: redis is down"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_cannot_be_reached(client, monkeypatch):
    def no_connection():
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(health.celery_app, "connection_for_write", no_connection)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error: ConnectionRefusedError:")


@pytest.mark.django_db
def test_readyz_keeps_a_long_error_message_short(client, monkeypatch):
    monkeypatch.setitem(health.READINESS_CHECKS, "database", refuse(RuntimeError("x" * 1000)))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert len(response.json()["checks"]["database"]) == 300
