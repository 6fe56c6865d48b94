"""Every route of the Django admin, walked from its URL resolver: nobody but a staff admin gets past the
login page. What agency admins and superusers may do there is pinned in tests/admin/; the API
and websocket routes are the matrix (test_matrix.py)."""

import re
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver

from ooh.accounts.models import Role
from tests.factories import member

pytestmark = pytest.mark.django_db

# The login page answers everyone; logging out by GET only sends you back to the admin (a POST logs out).
OPEN = {"login": 200}


def _patterns(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield pattern.name or "", route


def _path(route):
    """A concrete path: every parameter filled with an id nobody was given."""
    route = re.sub(r"<(?:\w+:)?object_id>", str(uuid.uuid4()), route)
    route = re.sub(r"<(?:int:)?\w+>", "1", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)  # regex routes (the admin's app index)
    return "/admin/" + route.lstrip("^").rstrip("$").replace("\\", "")


def _admin_routes():
    from django.urls import get_resolver

    admin_resolver = next(
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "admin/"
    )
    return sorted(set(_patterns(admin_resolver)))


@pytest.mark.parametrize("persona", ["anonymous", "casework", "manager", "agency_admin_not_staff"])
def test_no_admin_route_lets_anyone_but_a_staff_admin_past_the_login_page(persona):
    client = Client()
    if persona != "anonymous":
        role = {"casework": Role.SOCIAL_WORKER, "manager": Role.MANAGER}.get(persona, Role.ADMIN)
        client.force_login(member(role=role, username=f"admin-walk-{persona}"))
    routes = _admin_routes()
    assert len(routes) > 20  # the walk found the admin
    for name, route in routes:
        path = _path(route)
        response = client.get(path)
        expected = OPEN.get(name, 302)
        assert response.status_code == expected, (name, path, response.status_code)
        if expected == 302:
            login = "/admin/" if name == "logout" else "/admin/login/"
            assert response["Location"].startswith(login), (name, path, response["Location"])
