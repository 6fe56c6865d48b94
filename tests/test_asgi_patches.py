"""ooh's ASGI layer patches library internals where a benchmark showed it pays; these tests fail when
the patched library changes underneath, so the patch is re-measured rather than silently wrong or
useless.

The figures and the decision: docs/benchmarks.md (ASGI layer) and var/bench/asgi_layer.md, measured by
`make bench PYTEST_ARGS="-k asgi_layer"` (tests/benchmarks/test_asgi_layer.py). A pinned source hash
that no longer matches means the library's code changed: read the new code, check that the patch still
does what its docstring says, re-measure, and record the new hash here.
"""

import gc
import hashlib
import inspect
import json
import sys
from unittest import mock

import pytest
from asgiref.sync import SyncToAsync, sync_to_async
from channels.consumer import AsyncConsumer, get_handler_name
from channels.db import DatabaseSyncToAsync, aclose_old_connections
from channels.layers import get_channel_layer
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler

import ooh.asgi
from api.consumers import AuthenticatedConsumer
from ooh.incidents.actions import open_incident
from ooh.incidents.events import incident_group
from ooh.incidents.models import IncidentKind
from tests.incidents.wsclient import connect, receive, token_for

REMEASURE = (
    "{what} changed underneath ooh's patch: read it, re-measure with "
    '`make bench PYTEST_ARGS="-k asgi_layer"` and update this pin (or drop the patch)'
)


def _source_hash(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def _pinned(pins):
    return pytest.mark.parametrize(("function", "digest"), pins, ids=[f.__qualname__ for f, _ in pins])


# --- gc.freeze() at the end of ooh/asgi.py ------------------------------------------------------------

# Measured on CPython 3.11 with the default thresholds: with the start-up heap (about 115,000 objects)
# frozen, a full collection took about 50 ms with 500 sockets open (75-100 ms with 1,000) instead of
# about 115 ms (140-155 ms). Another CPython's collector (3.14's collects incrementally) or other
# thresholds change that trade.
MEASURED_PYTHON = (3, 11)
MEASURED_THRESHOLDS = (700, 10, 10)


def test_the_collector_is_the_one_the_freeze_was_measured_with():
    assert sys.version_info[:2] == MEASURED_PYTHON, REMEASURE.format(what="CPython's collector (version)")
    assert gc.get_threshold() == MEASURED_THRESHOLDS, REMEASURE.format(what="the collector's thresholds")


def test_the_start_up_heap_is_frozen_out_of_the_collector():
    # Built while ooh.asgi was imported, so frozen: a full pass no longer walks it.
    assert gc.get_freeze_count() > 0
    mapping = ooh.asgi.application.application_mapping
    assert gc.is_tracked(mapping)
    assert not any(o is mapping for o in gc.get_objects()), "the ASGI application is still collected"


# --- OneThreadASGIHandler in ooh/asgi.py --------------------------------------------------------------

# It calls load_middleware(is_async=False) under ASGIHandler.__init__, then adapt_method_mode to hand
# the sync chain to get_response_async, which awaits self._middleware_chain.
HANDLER_PINS = [
    (ASGIHandler.__init__, "41379d4f4b69f900b62a201a442d0721c965e26906a6a64f11c8b846bf3b3a38"),
    (BaseHandler.load_middleware, "a1fb7ee5f8586195da2174d1bbc2bbfc7ca19b9d26ea66412cb434f45bf6d467"),
    (BaseHandler.adapt_method_mode, "1f6383b647ac29590cd04274e8e5e2b356397ee26f8ea81d9a83ac905277283f"),
    (BaseHandler.get_response_async, "ad82c920df0cebbb52b1ebafe6ab8b5541f200c39fa954a148b01f60725b715b"),
]


@_pinned(HANDLER_PINS)
def test_the_django_handler_code_the_one_thread_chain_relies_on_is_unchanged(function, digest):
    assert _source_hash(function) == digest, REMEASURE.format(what=f"Django's {function.__qualname__}")


def test_the_one_thread_chain_is_one_sync_call_behind_one_adapter():
    handler = ooh.asgi.OneThreadASGIHandler()
    assert isinstance(handler._middleware_chain, SyncToAsync)
    assert not inspect.iscoroutinefunction(handler._middleware_chain.func)


# --- The consumers' dispatch in api/consumers.py ------------------------------------------------------

# The override is Channels' dispatch without its aclose_old_connections hop; database_sync_to_async
# (every database read of the consumers) closes stale connections around itself instead.
DISPATCH_PINS = [
    (AsyncConsumer.dispatch, "39f34e7d4fb0f6552de4ade665b943fe78137379702af6b58c79a14c49a75520"),
    (get_handler_name, "c88c7b7d8763fb61b5864b9ee6eb442f1e3f9d5b42b4f7651622d8c33d384193"),
    (aclose_old_connections, "9120822dad6c8e90011cafc1448976dafb0e37d810d925996cd7388bb18c0a3d"),
    (DatabaseSyncToAsync.thread_handler, "00f86b58c522f98e24add023ffd40b25cfeab1cc2007cbc003b63a7677f9cfc7"),
]


@_pinned(DISPATCH_PINS)
def test_the_channels_code_the_dispatch_override_replaces_is_unchanged(function, digest):
    assert _source_hash(function) == digest, REMEASURE.format(what=f"Channels' {function.__qualname__}")


def test_the_consumers_override_dispatch():
    assert "dispatch" in vars(AuthenticatedConsumer)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_live_event_is_delivered_without_a_hop_to_the_sync_thread(alice):
    """What the override is for: a live event goes out without Channels' per-message hop (to its one
    shared sync thread, queued behind every other socket's), and still goes out."""
    incident = await sync_to_async(open_incident)(actor=alice, kind=IncidentKind.OTHER, summary="dispatch")
    ws, connected, _ = await connect(
        f"/ws/v1/incidents/{incident.pk}/", await sync_to_async(token_for)(alice)
    )
    assert connected
    assert (await receive(ws))["type"] == "hello"
    assert (await receive(ws))["seq"] == 1  # the replay
    text = json.dumps({"type": "event", "seq": 2, "event": "test"})
    hop = AssertionError("a thread hop on the live path")
    with (
        mock.patch("channels.consumer.aclose_old_connections", side_effect=hop),
        mock.patch.object(SyncToAsync, "__call__", side_effect=hop),
    ):
        await get_channel_layer().group_send(
            incident_group(incident.pk), {"type": "incident.event", "seq": 2, "text": text}
        )
        assert await receive(ws) == {"type": "event", "seq": 2, "event": "test"}
    await ws.disconnect()
