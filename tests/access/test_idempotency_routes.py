"""Every POST route honours Idempotency-Key: a phone that retries gets the first answer, and the change
happens once. Routes come from the URL resolver, so a new POST cannot be missed; the requests are the
authorisation matrix's own (tests/access/matrix/), sent by a persona the matrix allows.

A POST may decline only by naming itself in its view's `not_idempotent` with the reason (the ones that
issue or end a credential: a replay would have to store the secret, or is refused once the token is gone).
"""

import uuid

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import get_resolver

from .matrix import PERSONAS, ROWS
from .test_matrix import NOT_IN_THE_MATRIX, _methods, _prepare, _records, _request, _walk


def _post_handlers():
    """(route name, view class, handler name) for every POST route of the resolver."""
    for route, name, callback in _walk(get_resolver().url_patterns):
        if route.startswith(NOT_IN_THE_MATRIX) or "POST" not in _methods(callback):
            continue
        view_class = getattr(callback, "cls", None) or callback.view_class
        actions = getattr(callback, "actions", None)
        yield name, view_class, actions["post"] if actions else "post"


POST_ROUTES = sorted(_post_handlers(), key=lambda route: route[0])
DECLINED = {name for name, cls, handler in POST_ROUTES if handler in getattr(cls, "not_idempotent", {})}


def test_there_are_post_routes_to_check():
    assert len(POST_ROUTES) >= 20, POST_ROUTES


@pytest.mark.parametrize(("name", "view_class", "handler"), POST_ROUTES, ids=[r[0] for r in POST_ROUTES])
def test_every_post_route_honours_idempotency_key_or_says_why_not(name, view_class, handler):
    declined = getattr(view_class, "not_idempotent", {})
    if handler in declined:
        assert len(declined[handler]) >= 20, f"{name}: say why it declines Idempotency-Key"
    else:
        assert getattr(getattr(view_class, handler), "honours_idempotency_key", False), (
            f"POST {name} ({view_class.__name__}.{handler}) does not honour Idempotency-Key: "
            "derive the view from api.views.base (PolicyViewSet or BaseAPIView)"
        )


def _allowed(row):
    """A persona the matrix lets make this request, and the status it gets."""
    _situation, expected = row.situations[0]
    for persona in PERSONAS:
        status = expected.get(persona.name)
        statuses = status if isinstance(status, (set, frozenset)) else {status}
        if persona.username and any(s is not None and 200 <= s < 300 for s in statuses):
            return persona
    return None


POST_ROWS = [row for row in ROWS if row.method == "POST" and row.route not in DECLINED]


def test_every_honouring_post_route_is_exercised_below():
    honouring = {name for name, _cls, _handler in POST_ROUTES} - DECLINED
    assert honouring == {row.route for row in POST_ROWS}


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda row: row.route)
def test_a_retried_post_gets_the_first_answer_and_changes_nothing_more(row, matrix_world, matrix_clients):
    persona = _allowed(row)
    assert persona is not None, f"no persona may POST {row.route}: the matrix says nobody"
    ids = matrix_world.ids
    path = row.path.format(**ids)
    headers = {key: value.format(**ids) for key, value in row.headers.items()}
    headers["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4())
    body = row.body(ids, persona.username) if row.body is not None else None
    client = matrix_clients[persona.name]
    cache.clear()
    with transaction.atomic():
        _prepare(matrix_world, persona)
        first = _request(client, row, path, body, headers)
        assert 200 <= first.status_code < 300, (row.route, first.status_code, first.content[:300])
        after_first = _records()
        retry = _request(client, row, path, body, headers)
        assert retry.status_code == first.status_code, (row.route, retry.content[:300])
        assert retry.headers.get("Idempotent-Replayed") == "true", row.route
        assert retry.content == first.content or retry.json() == first.json(), row.route
        assert _records() == after_first, f"{row.route}: the retry changed records"
        different = _request(client, row, path, {**(body or {}), "x-different": 1}, headers)
        assert different.status_code == 409, (row.route, different.status_code)
        transaction.set_rollback(True)
