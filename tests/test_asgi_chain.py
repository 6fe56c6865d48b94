"""HTTP under ooh's ASGI application: the middleware chain and the view in one thread, entered once.

Django's ASGI handler builds the chain async, and its sync-or-async middleware then run their hooks
through sync_to_async: a dozen hops between the event loop and a thread per request, each queued
behind the websockets on the same loop.
"""

import logging
from unittest import mock

import pytest
from asgiref.sync import AsyncToSync, SyncToAsync
from asgiref.testing import ApplicationCommunicator

from ooh.accounts.actions import issue_token
from ooh.asgi import application
from ooh.observability import RequestIdFilter, current_request_id

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


class Hops:
    def __init__(self):
        self.to_thread, self.to_loop = [], []

    def __enter__(self):
        real_to_thread, real_to_loop = SyncToAsync.__call__, AsyncToSync.__call__
        hops = self

        def to_thread(self, *args, **kwargs):
            hops.to_thread.append(getattr(self.func, "__qualname__", repr(self.func)))
            return real_to_thread(self, *args, **kwargs)

        def to_loop(self, *args, **kwargs):
            hops.to_loop.append(getattr(self.awaitable, "__qualname__", repr(self.awaitable)))
            return real_to_loop(self, *args, **kwargs)

        self.patches = [
            mock.patch.object(SyncToAsync, "__call__", to_thread),
            mock.patch.object(AsyncToSync, "__call__", to_loop),
        ]
        for patch in self.patches:
            patch.start()
        return self

    def __exit__(self, *exc):
        for patch in self.patches:
            patch.stop()


async def _get(path, headers=()):
    """One GET through the ASGI application; the response's status, headers and whole body."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "scheme": "http",
        "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=5)
    response = {"status": start["status"], "headers": dict(start["headers"]), "body": b""}
    while True:
        message = await communicator.receive_output(timeout=5)
        response["body"] += message.get("body", b"")
        if not message.get("more_body"):
            await communicator.wait(timeout=5)
            return response


@pytest.fixture
def token(alice):
    return issue_token(user=alice, device_name="phone")[1]


async def test_an_api_request_enters_a_thread_once_for_the_chain_and_the_view(token):
    with Hops() as hops:
        response = await _get("/api/v1/me/", [(b"authorization", f"Token {token}".encode())])
    assert response["status"] == 200
    assert hops.to_loop == []
    # request_started's receivers, the chain with the view, and the response's close (request_finished)
    assert len(hops.to_thread) == 3, hops.to_thread


# WhiteNoise answers with a file iterator that Django's ASGI handler reads in a thread, and says so.
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_the_request_id_and_static_files_still_work_through_it():
    response = await _get("/static/admin/css/base.css", [(b"x-request-id", b"phone-44-abcdef")])
    assert response["status"] == 200
    assert response["headers"][b"X-Request-ID"] == b"phone-44-abcdef"
    assert b"body" in response["body"]
    missing = await _get("/static/admin/css/no-such-file.css")
    assert missing["status"] == 404


@pytest.fixture
def records(caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    return caplog


@pytest.mark.urls("tests.test_observability")
async def test_log_records_in_a_view_carry_the_request_id_and_it_does_not_leak(records):
    response = await _get("/log-something", [(b"x-request-id", b"trace-0005-abcd")])
    assert response["status"] == 200
    assert response["headers"][b"X-Request-ID"] == b"trace-0005-abcd"
    [record] = [r for r in records.records if r.getMessage() == "inside the view"]
    assert record.request_id == "trace-0005-abcd"
    assert current_request_id() == "-"


async def test_a_refused_request_is_logged_once_with_its_request_id(records):
    response = await _get("/api/v1/me/", [(b"x-request-id", b"trace-0006-abcd")])
    assert response["status"] == 401
    logged = [r for r in records.records if r.name == "django.request"]
    assert [(r.getMessage(), r.request_id) for r in logged] == [
        ("Unauthorized: /api/v1/me/", "trace-0006-abcd")
    ]
