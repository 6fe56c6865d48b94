"""ASGI entry point: HTTP through Django, websockets through Channels (routing in api/)."""

import gc
import os
from collections.abc import Awaitable, Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")

import django
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase

django.setup(set_prefix=False)


class OneThreadASGIHandler(ASGIHandler):
    """Django's ASGI handler, running the middleware chain and the view together in one worker thread.

    Django builds the ASGI chain async, and each of its sync-or-async middleware (sessions, CSRF, auth,
    messages...) then runs its hooks through sync_to_async: a dozen hops between the event loop and a
    thread per request, each queued behind whatever the loop is doing - under load, 1,000 websockets.
    Every view here is sync, so the chain is built as under WSGI and entered once, in one thread.

    Measured against the stock handler (docs/benchmarks.md, `make bench PYTEST_ARGS="-k asgi_layer"`):
    with 1,000 sockets on an incident, Django's adds 16-24% to the snapshot GET's p99 and triples the
    attendance POST's p50; tests/test_asgi_patches.py pins the Django code this relies on.
    """

    # Django's, built by load_middleware; django-stubs leave it out.
    _middleware_chain: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = self.adapt_method_mode(
            True, self._middleware_chain, False, name="middleware chain (sync, in one thread)"
        )


django_asgi_app = OneThreadASGIHandler()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from api.admission import ReadGate  # noqa: E402
from api.middleware import StreamedBodyLimit  # noqa: E402
from api.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {"http": ReadGate(StreamedBodyLimit(django_asgi_app)), "websocket": websocket_application}
)

# What is loaded by now (Django, the apps, every view: the URLconf is imported here rather than on the
# first request) lives as long as the process. Frozen, the collector's full passes skip it: measured
# with 500-1,000 sockets, a full pass takes 50-100 ms instead of 115-150 ms, and without the freeze the
# p99 of requests and fan-out is 25-58% higher (docs/benchmarks.md; tests/test_asgi_patches.py pins the
# collector it was measured with).
get_resolver().url_patterns  # noqa: B018
gc.collect()  # garbage of the imports goes now; frozen, it would stay for good
gc.freeze()
