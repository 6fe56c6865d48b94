"""A websocket client over the full ASGI application, for the consumer tests."""

import json

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
