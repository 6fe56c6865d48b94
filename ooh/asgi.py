"""ASGI entry point: HTTP through Django, websockets through Channels (routing in api/)."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from api.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})

# What is loaded by now (Django, the apps, every view: the URLconf is imported here rather than on the
# first request) lives as long as the process. Frozen, the collector's full passes skip it: a full pass
# over it stalled every socket and request of the process for ~100 ms on a 2-core server.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
