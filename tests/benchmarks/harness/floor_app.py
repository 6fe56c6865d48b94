"""The floor for the websocket fan-out benchmark: the same work as ooh's attendance update, done as bare
as a Channels app can do it.

    uvicorn tests.benchmarks.harness.floor_app:application --port N     (same env as ooh: ooh.settings)

- websocket /ws/floor/<incident>/: accept, join the group, send {"type":"hello"}, then forward every
  group message's pre-serialised text as it comes - no authentication, no database, no ordering.
- POST /publish/<incident>/?seq=N&pad=B&same_work=1: the same SQL transaction as ooh's attendance update, as raw
  SQL on ooh's own tables (the incident's next seq, the attendance row, the event row), then one
  channel_layer.group_send of {"seq": N, "text": ...} (text a JSON object padded to about B bytes, the
  size of ooh's event), answered 200 once group_send returns. N is the benchmark's count of what it
  posted to this incident (what the phones check); the event row takes the incident's own next seq.

The channel layer is ooh's own (ooh.settings, so OOH_CHANNEL_LAYER and REDIS_URL pick it exactly as for
ooh), and so is the database, so what ooh does beyond the floor is ooh's own work: the HTTP view (DRF,
authentication, validation), the access policy and the audit row, and the consumer's ordering.
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

from channels.consumer import get_handler_name  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.urls import path  # noqa: E402

GROUP_PREFIX = "wsfloor."


class FloorConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.group = GROUP_PREFIX + self.scope["url_route"]["kwargs"]["group"]
        await self.accept()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send(text_data='{"type":"hello"}')

    async def dispatch(self, message):
        """Straight to the handler. Channels' own dispatch first hops to its one sync thread to close stale
        database connections, once per message and socket: work a consumer that reads no database does
        not need (ooh's consumers skip it too, api/consumers.py), and here it would queue 1,000 hops per
        event on the thread that runs the POST's transaction. With it this floor measured slower than
        ooh at 1,000 sockets (p50 134 ms against 84), so it was no floor."""
        await getattr(self, get_handler_name(message))(message)

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


def same_work(incident_id: str, note: str) -> int:
    """ooh's attendance update as raw SQL in one transaction: the incident's next seq (its row locked),
    the attendance row, the event row (with its actor, the attendance's last writer). Returns the seq."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_incident SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",
            [incident_id],
        )
        (seq,) = cursor.fetchone()
        cursor.execute(
            "UPDATE incidents_attendance SET status = 'en_route', note = %s, updated_at = now() "
            "WHERE incident_id = %s RETURNING agency_id::text, updated_by_id::text",
            [note, incident_id],
        )
        agency, actor = cursor.fetchone()
        data = {"agency": agency, "status": "en_route", "note": note, "updated_by": actor}
        cursor.execute(
            "INSERT INTO incidents_event (incident_id, seq, type, at, actor_id, data, request_id) "
            "VALUES (%s, %s, 'attendance.updated', now(), %s, %s, '')",
            [incident_id, seq, actor, json.dumps(data)],
        )
    return seq


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
    if query.get("same_work") == ["1"]:  # the fan-out benchmark's POSTs; the idle check's do no work
        await database_sync_to_async(same_work)(parts[1], f"bench {seq}")
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
