"""ASGI entry point: HTTP through Django, websockets through Channels (routing in api/)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from api.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})
