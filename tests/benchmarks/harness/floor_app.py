"""The floor for the websocket fan-out benchmark: the same work as ooh's attendance update, done as bare
as a Channels app can do it.

    uvicorn tests.benchmarks.harness.floor_app:application --port N     (same env as ooh: ooh.settings)

- websocket /ws/floor/<incident>/: accept, join the group, send {"type":"hello"}, then forward every
  group message's pre-serialised text as it comes - no authentication, no database, no ordering.
- POST /publish/<incident>/?seq=N&same_work=1&pad=B: the same SQL transaction as ooh's attendance
  update, as raw SQL on ooh's own tables (the incident's next seq, the attendance row, the event row:
  three statements), then one channel_layer.group_send of {"seq": N, "text": ...}, the text the event
  in ooh's own shape and size (padded to at least B bytes, ooh's, should it be shorter), answered 200
  once group_send returns. N is the benchmark's count of what it posted to this incident (what the
  phones check); the event row takes the incident's own next seq. Without same_work=1 (the idle
  check, on no incident) it is the group_send alone.

The channel layer is ooh's own (ooh.settings, so OOH_CHANNEL_LAYER and REDIS_URL pick it exactly as for
ooh), and so is the database, so what ooh does beyond the floor is ooh's own work: the HTTP view (DRF,
authentication, validation), the access policy and the audit row, and the consumer's ordering.
"""

import gc
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


# The attendance row as ooh's attendance.updated event carries it (ooh.incidents.actions.attendance_dict),
# with its writer and agency for the event's actor: one statement, as the row's update is one in ooh.
_UPDATE_ATTENDANCE = """
UPDATE incidents_attendance AS a SET status = 'en_route', note = %s, updated_at = now()
FROM accounts_user AS u, accounts_agency AS g
WHERE a.incident_id = %s AND u.id = a.updated_by_id AND g.id = a.agency_id
RETURNING a.id::text, a.agency_id::text, a.status, a.note, a.eta, a.agreed_role, a.requested_at,
    a.respond_by, a.updated_at, a.updated_by_id::text, u.username, u.display_name, g.code
"""


def _iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def same_work(incident_id: str, note: str) -> dict:
    """ooh's attendance update as raw SQL in one transaction: the incident's next seq (its row locked),
    the attendance row, the event row (its data the row as ooh's event carries it, its actor the row's
    last writer). Returns the event as ooh's websocket message shapes it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_incident SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq, now()",
            [incident_id],
        )
        seq, at = cursor.fetchone()
        cursor.execute(_UPDATE_ATTENDANCE, [note, incident_id])
        row = cursor.fetchone()
        (row_id, agency, status, note, eta, role, requested, respond_by, updated, actor) = row[:10]
        username, display_name, agency_code = row[10:]
        data = {
            "id": row_id,
            "eta": _iso(eta),
            "note": note,
            "agency": agency,
            "status": status,
            "respond_by": _iso(respond_by),
            "updated_at": _iso(updated),
            "updated_by": actor,
            "agreed_role": role,
            "requested_at": _iso(requested),
            "previous_status": "en_route",
        }
        cursor.execute(
            "INSERT INTO incidents_event (incident_id, seq, type, at, actor_id, data, request_id) "
            "VALUES (%s, %s, 'attendance.updated', %s, %s, %s, '')",
            [incident_id, seq, at, actor, json.dumps(data)],
        )
    return {
        "type": "event",
        "incident": incident_id,
        "seq": seq,
        "event": "attendance.updated",
        "at": _iso(at),
        "actor": {"id": actor, "username": username, "display_name": display_name, "agency": agency_code},
        "data": data,
    }


async def publish_app(scope, receive, send):
    """POST /publish/<incident>/?seq=N[&same_work=1][&pad=B] -> (the same work, then) one group_send;
    GET anything else -> 200 (readiness)."""
    await _read_body(receive)
    parts = scope["path"].strip("/").split("/")
    if scope["method"] != "POST" or len(parts) != 2 or parts[0] != "publish":
        await _respond(send, 200, b'{"ok":true}')
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    seq = int(query["seq"][0])
    pad = int(query.get("pad", ["0"])[0])
    if query.get("same_work") == ["1"]:  # the fan-out benchmark's POSTs; the idle check's do no work
        message = await database_sync_to_async(same_work)(parts[1], f"bench {seq}")
    else:
        message = {"type": "event", "incident": parts[1], "seq": seq, "data": ""}
    message["seq"] = seq  # what the phones count: the benchmark's POSTs to this incident
    text = json.dumps(message, separators=(",", ":"))
    if pad > len(text):  # never shorter than ooh's event
        text = json.dumps({**message, "pad": "x" * (pad - len(text) - 9)}, separators=(",", ":"))
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

# The same process set-up as ooh's (ooh/asgi.py): what is loaded by now is frozen, so the collector's
# full passes skip it (without it ooh's fan-out p99 measured 25-58% higher: docs/benchmarks.md), and the
# difference between the two servers stays ooh's work, not the process's tuning.
gc.collect()
gc.freeze()
