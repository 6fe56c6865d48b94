"""The public routes (probes, the schema, sign-in) and the caller's own account: devices, sessions."""

from tests.factories import DEFAULT_PASSWORD

from .cast import PUBLIC_SAMPLE, everyone, lists, members
from .rows import Row

ROWS = [
    Row("healthz", "GET", "/healthz", everyone(200), "anyone (a load balancer)"),
    Row("readyz", "GET", "/readyz", everyone(200), "anyone (a load balancer)"),
    # The matrix runs with a metrics token configured (tests/access/conftest.py): no member's login opens it.
    Row(
        "metrics",
        "GET",
        "/metrics",
        everyone(401),
        "only a scraper with the deployment's metrics token (404 when none is configured)",
    ),
    # One document for everyone that takes a second to generate: run as one caller of each kind.
    Row(
        "schema",
        "GET",
        "/api/schema/",
        {name: 200 for name in PUBLIC_SAMPLE},
        "anyone: the contract, no records",
        personas=PUBLIC_SAMPLE,
    ),
    Row("docs", "GET", "/api/docs/", everyone(200), "anyone: the contract, no records"),
    Row(
        "api:token",
        "POST",
        "/api/v1/auth/token/",
        everyone(201),
        "anyone with a member's username and password (a token in the request is ignored)",
        body=lambda ids, me: {"username": "pat", "password": DEFAULT_PASSWORD, "device_name": "Matrix phone"},
    ),
    # --- The caller's own account ------------------------------------------------------------------
    Row("api:logout", "POST", "/api/v1/auth/logout/", members(204), "any member, for their own token"),
    Row(
        "api:logout-all", "POST", "/api/v1/auth/logout-all/", members(204), "any member, for their own tokens"
    ),
    Row("api:me", "GET", "/api/v1/me/", members(200), "any member"),
    Row("api:agency-list", "GET", "/api/v1/agencies/", members(200), "any member: the directory"),
    Row("api:ws-ticket", "POST", "/api/v1/ws-ticket/", members(201), "any member"),
    Row(
        "api:device-list",
        "GET",
        "/api/v1/devices/",
        members(200),
        "any member: their own phones",
        returns=lists(dana={"device"}),
    ),
    Row(
        "api:device-list",
        "POST",
        "/api/v1/devices/",
        members(201),
        "any member registers their phone",
        body=lambda ids, me: {"platform": "fcm", "push_token": "matrix-new-phone", "name": "New phone"},
    ),
    Row(
        "api:device-detail",
        "DELETE",
        "/api/v1/devices/{device}/",
        members(404, dana=204),
        "its owner only",
        target="device",
    ),
    Row(
        "api:session-list",
        "GET",
        "/api/v1/auth/sessions/",
        members(200),
        "any member: their own sessions",
        returns=lists(dana={"session"}),
    ),
    Row(
        "api:session-detail",
        "DELETE",
        "/api/v1/auth/sessions/{session}/",
        members(404, dana=204),
        "its owner only",
        target="session",
    ),
]
