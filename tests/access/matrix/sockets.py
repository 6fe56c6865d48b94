"""The websocket routes: who may open an incident's socket, and the feed."""

from dataclasses import dataclass

from .cast import MEMBERS, SEES_INCIDENT, overridden

HELLO = "hello"


@dataclass(frozen=True)
class SocketRow:
    route: str  # the pattern in api.routing.websocket_urlpatterns
    path: str
    expect: dict  # persona -> HELLO or a close code
    rule: str = ""
    target: str | None = None
    unknown: dict | None = None

    @property
    def situations(self):
        if self.target is None:
            return [("once", self.expect)]
        return [("family", self.expect), ("unknown", self.unknown)]


def sockets(members_answer, **but) -> dict:
    """Anonymous closed 4401, no membership 4403, members as given."""
    return overridden({"anonymous": 4401, "nobody": 4403, **{n: members_answer for n in MEMBERS}}, but)


SOCKET_ROWS = [
    SocketRow(
        "ws/v1/incidents/<uuid:incident_id>/",
        "/ws/v1/incidents/{incident}/",
        sockets(4404, **{name: HELLO for name in SEES_INCIDENT}),
        "agencies on the incident, and control rooms; break-glass opens a person, not an incident",
        target="incident",
        unknown=sockets(4404),
    ),
    SocketRow("ws/v1/feed/", "/ws/v1/feed/", sockets(HELLO), "any member: their own feed"),
]
