"""The reconnect storm's floor: the least a uvicorn process can do for a phone's socket.

    uvicorn tests.benchmarks.harness.storm_floor_app:application --port N

A raw ASGI app, no Django and no Channels: a websocket on any path is accepted, sent one text frame the
shape and size of ooh's hello, and held open until the phone closes it; any HTTP request is answered
200 (readiness). What ooh spends beyond this on a connecting phone is its own work: the token lookup,
the access check and its audit row, joining the groups, the replay from the database.
"""

import json

# ooh's hello, as api/consumers.py sends it (an incident id is a UUID; the seq a small number).
HELLO = json.dumps(
    {"type": "hello", "incident": "00000000-0000-4000-8000-000000000000", "last_seq": 5},
    separators=(",", ":"),
)
OK = b'{"ok":true}'


async def _websocket(receive, send):
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": HELLO})
    while (await receive())["type"] != "websocket.disconnect":
        pass  # a phone's frames are read and ignored


async def _http(receive, send):
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body"):
            break
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(OK)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": OK})


async def application(scope, receive, send):
    if scope["type"] == "websocket":
        await _websocket(receive, send)
    elif scope["type"] == "http":
        await _http(receive, send)
