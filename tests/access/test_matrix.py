"""The authorisation matrix of issue 13: every route of the URL resolver and every websocket route, for
every persona, inside and outside a legitimate relationship and after break-glass, against one table.

The table is tests/access/matrix/ (one module per area). A route without a row fails here, naming it. Each row is one test;
a failing cell names the route, method, persona and situation, what came back and what the table says.
Every cell runs in a savepoint rolled back afterwards, so the world is built once per row and an allowed
write (sent with a valid body, so it really succeeds) never changes what the next persona meets; a
refused write must leave every record as it was.
"""

import datetime
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from knox.models import AuthToken

from api.routing import websocket_urlpatterns
from ooh.access import actions as access_actions
from ooh.incidents import details as incident_details
from ooh.incidents.models import Incident
from ooh.people.models import Person
from tests.incidents.wsclient import connect, token_for

from .matrix import HELLO, NAMES, PERSONAS, ROWS, SOCKET_ROWS

# The Django admin has its own login, throttle and need-to-know tests (tests/admin/).
NOT_IN_THE_MATRIX = ("admin/",)
# HEAD is GET without the body (DRF routes it to the same handler), so GET's row stands for it.
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Where the records live; the audit is left out because a refusal is itself audited.
RECORD_APPS = (
    "accounts",
    "access",
    "people",
    "flags",
    "plans",
    "incidents",
    "referrals",
    "alerts",
    "records",
)


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(
                pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace
            )
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name or prefix + str(pattern.pattern), pattern.callback


def _methods(callback) -> set:
    """The methods a route answers: a viewset's action map, an APIView's or a class-based view's
    handlers, each only if the view allows it; a plain function view answers GET (the probes)."""
    if getattr(callback, "actions", None) is not None:
        allowed = callback.cls.http_method_names
        return {method.upper() for method in callback.actions if method in allowed and method in HTTP_METHODS}
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return {
            method.upper()
            for method in HTTP_METHODS
            if hasattr(view_class, method) and method in view_class.http_method_names
        }
    return {"GET"}


def discovered_routes() -> set:
    """(route name, method) for every HTTP route but the admin's, and (pattern, "WS") per websocket."""
    routes = set()
    for route, name, callback in _walk(get_resolver().url_patterns):
        if not route.startswith(NOT_IN_THE_MATRIX):
            routes |= {(name, method) for method in _methods(callback)}
    routes |= {(str(p.pattern), "WS") for p in websocket_urlpatterns}
    return routes


def test_every_route_has_a_row_and_every_row_a_route():
    table = [row.key() for row in ROWS] + [(row.route, "WS") for row in SOCKET_ROWS]
    assert len(table) == len(set(table)), "a route and method with two rows in tests/access/matrix/"
    discovered = discovered_routes()
    without_a_row = sorted(discovered - set(table))
    assert not without_a_row, "routes with no row in tests/access/matrix/: " + ", ".join(
        f"{method} {route}" for route, method in without_a_row
    )
    without_a_route = sorted(set(table) - discovered)
    assert not without_a_route, "rows for routes that do not exist: " + ", ".join(
        f"{method} {route}" for route, method in without_a_route
    )


def test_every_row_says_what_every_persona_gets():
    for row in [*ROWS, *SOCKET_ROWS]:
        personas = set(getattr(row, "personas", None) or NAMES)
        assert personas <= set(NAMES), (row.route, personas - set(NAMES))
        for situation, expected in row.situations:
            assert set(expected) == personas, (row.route, situation, personas ^ set(expected))
        if getattr(row, "returns", None) is not None:
            assert set(row.returns) <= set(NAMES), row.route


def _ids_in(situation, row, ids) -> dict:
    """The world's ids, with the row's target replaced by the other family's record, or by one never
    issued, as the situation says."""
    if situation == "other family":
        return {**ids, row.target: ids[row.other_family[0]]}
    if situation == "unknown":
        never_issued = uuid.uuid4().hex[:8] if row.target == "session" else str(uuid.uuid4())
        return {**ids, row.target: never_issued}
    return ids


def _records() -> dict:
    """Every record of the service (tokens by id only), to show that a refused write changed nothing."""
    state = {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.app_label in RECORD_APPS
    }
    state["knox.AuthToken"] = list(AuthToken.objects.order_by("pk").values_list("pk", flat=True))
    return state


def _matches(expected, status) -> bool:
    return status in expected if isinstance(expected, (set, frozenset)) else status == expected


def _prepare(world, persona):
    """What the persona's situation needs before its request: break-glass, or a day gone by."""
    for name in persona.breaks_glass_on:
        access_actions.break_glass(
            actor=world.user(persona.username),
            person=Person.objects.get(pk=world.ids[name]),
            reason="Called to the family tonight",
        )
    if persona.incident_closed_hours_ago is not None:
        incident_details.close_incident(
            actor=world.user("alice"),
            incident=Incident.objects.get(pk=world.ids["incident"]),
            outcome="Mother and baby safe in hospital",
            now=timezone.now() - datetime.timedelta(hours=persona.incident_closed_hours_ago),
        )


def _request(client, row, path, body, headers):
    call = getattr(client, row.method.lower())
    if row.method == "GET":
        return call(path, **headers)
    if row.browser:  # Django's test client, as a browser posts JSON
        return call(path, json.dumps(body), content_type="application/json", **headers)
    return call(path, body, format="json", **headers)


def _who(problems) -> str:
    """Who the failing personas are, for the reader of a failure."""
    named = [p for p in PERSONAS if any(f" as {p.name} (" in problem for problem in problems)]
    return "".join(f"\n  {p.name}: {p.who}" for p in named)


def _error_codes(response) -> list:
    try:
        return [error.get("code") for error in response.json().get("errors", [])]
    except ValueError:
        return [None]


def _listed(response, row, ids) -> set:
    """Which of the world's records a list response names."""
    listed = {str(item.get(row.listed_by)) for item in response.json()["results"]}
    return {name for name, pk in ids.items() if pk in listed}


def _cell(world, client, row, persona, situation, expected, unchanged) -> list:
    """Run one request as one persona, rolled back after; what went wrong, if anything. `unchanged`:
    the records as every cell finds them (each is rolled back), for a write's refusal to be checked
    against."""
    ids = _ids_in(situation, row, world.ids)
    path = row.path.format(**ids)
    headers = {key: value.format(**ids) for key, value in row.headers.items()}
    body = row.body(ids, persona.username) if row.body is not None else None
    where = f"{row.method} {path} [{row.route}] as {persona.name} ({situation})"
    problems = []
    cache.clear()  # throttle budgets and idempotency records: each cell starts clean
    with transaction.atomic():
        _prepare(world, persona)
        before = None
        if row.method in WRITES:
            # Every cell is rolled back, so each finds the records as they were, but for what its
            # persona's situation changed first.
            before = _records() if persona.breaks_glass_on or persona.incident_closed_hours_ago else unchanged
        response = _request(client, row, path, body, headers)
        if not _matches(expected, response.status_code):
            problems.append(
                f"{where}: got {response.status_code}, expected {expected}: {response.content[:300]!r}"
            )
        elif response.status_code == 404 and _error_codes(response) != ["not_found"]:
            # Outside need to know reads exactly as never issued: one code, so ids cannot be probed.
            problems.append(f"{where}: a 404 that is not plain not_found: {response.content[:300]!r}")
        elif response.status_code >= 400 and before is not None:
            changed = sorted(label for label, rows in _records().items() if rows != before[label])
            if changed:
                problems.append(f"{where}: refused with {response.status_code} but changed {changed}")
        if row.returns is not None and response.status_code == 200 and persona.name in row.returns:
            listed, wanted = _listed(response, row, ids), row.returns[persona.name]
            if listed != wanted:
                problems.append(
                    f"{where}: listed {sorted(listed)}, expected {sorted(wanted)} "
                    f"(leaked {sorted(listed - wanted)}, missing {sorted(wanted - listed)})"
                )
        transaction.set_rollback(True)
    return problems


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method} {row.route}")
def test_the_route_answers_every_persona_as_the_table_says(row, matrix_world, request):
    clients = request.getfixturevalue("matrix_browsers" if row.browser else "matrix_clients")
    unchanged = _records() if row.method in WRITES else None
    problems = []
    for situation, expected in row.situations:
        for persona in PERSONAS:
            if persona.name in expected:
                client = clients[persona.name]
                problems += _cell(
                    matrix_world, client, row, persona, situation, expected[persona.name], unchanged
                )
    if problems:
        pytest.fail(f"{row.rule}:\n" + "\n".join(problems) + _who(problems), pytrace=False)


# --- Websockets: over the full ASGI stack, on a file-backed database ----------------------------------


async def _answer(path, token):
    """HELLO, or the close code the server sent instead."""
    ws, connected, code = await connect(path, token)
    if not connected:
        return f"handshake refused ({code})"
    message = await ws.receive_output(timeout=5)
    await ws.disconnect()
    if message["type"] == "websocket.close":
        return message.get("code")
    sent = json.loads(message["text"])
    return HELLO if sent.get("type") == "hello" else sent


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_every_websocket_route_answers_every_persona_as_the_table_says(matrix_world, settings):
    settings.WS_RESYNC_SECONDS = 60  # the answer at the handshake is the one tested, not a re-check

    def tokens():
        return {
            p.name: token_for(matrix_world.user(p.username), "matrix") if p.username else None
            for p in PERSONAS
        }

    token = await sync_to_async(tokens)()
    problems = []
    for persona in PERSONAS:
        await sync_to_async(_prepare)(matrix_world, persona)
        for row in SOCKET_ROWS:
            for situation, expected in row.situations:
                path = row.path.format(**_ids_in(situation, row, matrix_world.ids))
                got = await _answer(path, token[persona.name])
                if got != expected[persona.name]:
                    problems.append(
                        f"WS {path} [{row.route}] as {persona.name} ({situation}): got {got}, "
                        f"expected {expected[persona.name]}"
                    )
    if problems:
        pytest.fail("\n".join(problems) + _who(problems), pytrace=False)
