"""One error body for every 4xx and 5xx under /api/, never an HTML page."""

import pytest
from django.test import override_settings
from django.urls import path


def _explode(request):
    raise RuntimeError("boom")


urlpatterns = [path("api/v1/explode/", _explode)]
handler500 = "api.errors.server_error"


def _assert_error_shape(response, status, kind):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == kind
    assert isinstance(body["errors"], list)
    assert body["errors"]
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}


@pytest.mark.django_db
def test_unknown_url_under_api_is_a_json_404(alice_client):
    _assert_error_shape(alice_client.get("/api/v1/no-such-thing/"), 404, "client_error")


@pytest.mark.django_db
def test_method_not_allowed_is_a_json_405(alice_client):
    _assert_error_shape(alice_client.delete("/api/v1/me/"), 405, "client_error")


@pytest.mark.django_db
def test_unsupported_accept_is_a_json_406(alice_client):
    response = alice_client.get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406


@override_settings(ROOT_URLCONF="tests.api.test_errors", DEBUG=False)
def test_unhandled_exception_is_a_json_500(client, db):
    client.raise_request_exception = False
    response = client.get("/api/v1/explode/")
    _assert_error_shape(response, 500, "server_error")


@pytest.mark.django_db
def test_unknown_enum_value_is_400_naming_the_field_and_writes_nothing(alice_client):
    from ooh.accounts.models import Device

    response = alice_client.post("/api/v1/devices/", {"platform": "pager", "push_token": "t", "name": "n"})
    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {"code": "invalid_choice", "detail": '"pager" is not a valid choice.', "attr": "platform"}
        ],
    }
    assert not Device.objects.exists()
