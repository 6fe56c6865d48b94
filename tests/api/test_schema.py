"""The OpenAPI schema is valid OpenAPI 3 and names every endpoint under /api/v1/."""

import re

import pytest
from openapi_spec_validator import validate

from tests.api.test_anonymous_refused import API_PATHS


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_validates_as_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_every_endpoint_is_in_the_schema(schema):
    templates = [re.compile(re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in schema["paths"]]
    for path in API_PATHS:
        if path.startswith("/api/v1/"):
            assert any(t.match(path) for t in templates), f"{path} is missing from the schema"


def test_token_auth_is_declared(schema):
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("type") == "apiKey" and s.get("name") == "Authorization" for s in schemes.values())


def test_schema_generates_without_warnings(tmp_path):
    """A warning here (an unresolvable serializer, an enum name collision) means clients get a vaguer contract."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_malformed_page_size_is_a_400_naming_the_field(alice):
    from tests.personas import client_for

    client = client_for(alice)
    for bad in ["abc", "0", "201", "-1"]:
        response = client.get("/api/v1/agencies/", {"page_size": bad})
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["attr"] == "page_size"
    assert client.get("/api/v1/agencies/", {"page_size": "5"}).status_code == 200
