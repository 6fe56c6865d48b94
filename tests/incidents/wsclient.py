"""A websocket client over the full ASGI application, for the consumer tests."""

import json

from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from ooh.accounts.actions import issue_token, issue_ws_ticket
from ooh.asgi import application


def token_for(user, device_name="phone"):
    return issue_token(user=user, device_name=device_name)[1]


def ticket_for(user, token=None):
    """A ws-ticket issued under `token` (a new one if none), as POST /ws-ticket/ gives it."""
    from api.authentication import TokenAuthentication

    _, auth_token = TokenAuthentication().authenticate_credentials((token or token_for(user)).encode())
    return issue_ws_ticket(user=user, token_digest=auth_token.digest)[0]


async def connect(path, token=None, origin=None):
    """(communicator, connected, code) for a handshake with these credentials and Origin."""
    headers = []
    if token:
        headers.append((b"authorization", f"Token {token}".encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def receive(communicator):
    return json.loads(await communicator.receive_from(timeout=5))


async def closed_with(communicator):
    """The close code the server sent next."""
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.close"
    return message.get("code")


async def act(fn, **kwargs):
    """Call a domain action from an async test."""
    return await sync_to_async(fn)(**kwargs)


async def open_incident_socket(user, incident, *, token=None, ticket=None):
    """An open incident socket, past its hello and replay, authorised by a token or a ticket."""
    path = f"/ws/v1/incidents/{incident.pk}/?after={incident.last_seq}"
    ws, connected, _ = await connect(f"{path}&ticket={ticket}" if ticket else path, token)
    assert connected
    assert (await receive(ws))["type"] == "hello"
    return ws


async def open_feed_socket(*, token=None, ticket=None):
    """An open feed socket, past its hello, authorised by a token or a ticket."""
    ws, connected, _ = await connect(f"/ws/v1/feed/?ticket={ticket}" if ticket else "/ws/v1/feed/", token)
    assert connected
    assert (await receive(ws))["type"] == "hello"
    return ws


async def still_open(ws):
    """The socket has sent nothing more and still answers a ping."""
    assert await ws.receive_nothing(timeout=0.1)
    await ws.send_json_to({"type": "ping"})
    assert await receive(ws) == {"type": "pong"}
