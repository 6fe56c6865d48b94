"""A database that does not answer is a 503 to retry with Retry-After, in the API's error shape under
/api/ (DRF's views and Django's middleware alike), never a 500 and never an HTML page."""

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from tests.personas import client_for

pytestmark = pytest.mark.django_db

EXPECTED = {
    "type": "server_error",
    "errors": [
        {
            "code": "database_unavailable",
            "detail": "The records are not reachable just now; nothing was changed. Try again in a few seconds.",
            "attr": None,
        }
    ],
}


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("gone")])
def test_an_api_view_whose_database_is_gone_answers_503_in_the_error_shape(alice, error):
    client = client_for(alice)
    with mock.patch("api.views.auth.MeSerializer.to_representation", side_effect=error):
        response = client.get("/api/v1/me/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == EXPECTED


def test_the_database_gone_before_any_view_runs_is_a_503_too(alice):
    client = client_for(alice)
    with mock.patch(
        "api.authentication.TokenAuthentication.authenticate",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get("/api/v1/me/")
    assert response.status_code == 503
    assert response.json() == EXPECTED


def test_outside_the_api_it_is_a_plain_503_not_a_server_error_page():
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load", side_effect=OperationalError("down")
    ):
        client = Client(raise_request_exception=False)
        client.cookies["sessionid"] = "x" * 32
        response = client.get("/board/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/plain")
    assert b"not reachable just now" in response.content
