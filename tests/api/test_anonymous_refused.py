"""Every URL under /api/ refuses an anonymous caller, except the public ones API.md lists.

The walk reads the URL resolver, so an endpoint added later is covered without anyone remembering.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC = {"/api/v1/auth/token/", "/api/v1/auth/browser-login/", "/api/schema/", "/api/docs/"}
METHODS = ["get", "post", "put", "patch", "delete"]


def _walk(patterns, prefix="", namespace=""):
    """Yield (route text, name to reverse, names of the URL's arguments) for every pattern."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern):
            converters = getattr(entry.pattern, "converters", {}) or {}
            groups = set(converters) | set(entry.pattern.regex.groupindex)
            yield route, (f"{namespace}{entry.name}" if entry.name else None), converters, groups


def _concrete(route, name, converters, groups) -> str:
    """A real path for a pattern: every argument filled with a value its converter accepts."""
    if not groups:
        return "/" + route.lstrip("^").rstrip("$")
    assert name, f"unnamed URL pattern with arguments cannot be walked: {route}"
    kwargs = {
        g: 1 if type(converters.get(g)).__name__ == "IntConverter" else str(uuid.uuid4()) for g in groups
    }
    return reverse(name, kwargs=kwargs)


API_PATHS = sorted(
    {_concrete(*entry) for entry in _walk(get_resolver().url_patterns) if entry[0].startswith("api/")}
)


def test_the_walk_finds_the_api():
    assert "/api/v1/me/" in API_PATHS
    assert len(API_PATHS) >= 6


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p in API_PATHS if p not in PUBLIC])
@pytest.mark.parametrize("method", METHODS)
def test_anonymous_request_is_refused_with_401(api_client, path, method):
    response = getattr(api_client, method)(path)
    assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"
    assert response.json()["errors"][0]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p in API_PATHS if p not in PUBLIC])
def test_bad_token_is_refused_with_401(api_client, path):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get(path).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_are_public(api_client, path):
    assert api_client.get(path).status_code == 200
