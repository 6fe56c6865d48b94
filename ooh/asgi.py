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

from api.middleware import StreamedBodyLimit  # noqa: E402
from api.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {"http": StreamedBodyLimit(django_asgi_app), "websocket": websocket_application}
)

# What is loaded by now (Django, the apps, every view: the URLconf is imported here rather than on the
# first request) lives as long as the process. Frozen, the collector's full passes skip it: a full pass
# over it stalled every socket and request of the process for ~100 ms on a 2-core server.
get_resolver().url_patterns  # noqa: B018
gc.collect()  # garbage of the imports goes now; frozen, it would stay for good
gc.freeze()
