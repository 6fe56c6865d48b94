"""The floor for the websocket fan-out benchmark: the least a Channels app can do to fan one message out.

    uvicorn tests.benchmarks.harness.floor_app:application --port N     (same env as ooh: ooh.settings)

- websocket /ws/floor/<group>/: accept, join the group, send {"type":"hello"}, then forward every
  group message's pre-serialised text as it comes - no authentication, no database, no ordering.
- POST /publish/<group>/?seq=N&pad=B: one channel_layer.group_send of {"seq": N, "text": ...} (text a
  JSON object padded to about B bytes, the size of ooh's event), answered 200 once group_send returns.

The channel layer is ooh's own (ooh.settings, so OOH_CHANNEL_LAYER and REDIS_URL pick it exactly as for
ooh), so the only difference from ooh is ooh's work: the HTTP view, the database and the consumer.
"""

import json
import os
import sys
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")

import django

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

GROUP_PREFIX = "wsfloor."


class FloorConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.group = GROUP_PREFIX + self.scope["url_route"]["kwargs"]["group"]
        await self.accept()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send(text_data='{"type":"hello"}')

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def floor_event(self, message):
        await self.send(text_data=message["text"])


async def _read_body(receive):
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body"):
            return


async def _respond(send, status, body: bytes):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def publish_app(scope, receive, send):
    """POST /publish/<group>/?seq=N&pad=B -> one group_send; GET anything else -> 200 (readiness)."""
    await _read_body(receive)
    parts = scope["path"].strip("/").split("/")
    if scope["method"] != "POST" or len(parts) != 2 or parts[0] != "publish":
        await _respond(send, 200, b'{"ok":true}')
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    seq = int(query["seq"][0])
    pad = int(query.get("pad", ["0"])[0])
    text = json.dumps({"type": "event", "seq": seq, "data": ""}, separators=(",", ":"))
    if pad > len(text):
        text = json.dumps(
            {"type": "event", "seq": seq, "data": "x" * (pad - len(text))}, separators=(",", ":")
        )
    await get_channel_layer().group_send(
        GROUP_PREFIX + parts[1], {"type": "floor.event", "seq": seq, "text": text}
    )
    await _respond(send, 200, json.dumps({"seq": seq}).encode())


application = ProtocolTypeRouter(
    {
        "http": publish_app,
        "websocket": URLRouter([path("ws/floor/<str:group>/", FloorConsumer.as_asgi())]),
    }
)
