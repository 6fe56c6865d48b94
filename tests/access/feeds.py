"""What the feed sockets would hear, recorded at the channel layer (the access tests' notices)."""

import json

from channels.layers import get_channel_layer

from ooh.incidents.events import agency_feed_group, user_feed_group


class FeedRecorder:
    """Every message sent to a channel-layer group while installed: what the feed sockets would hear.

    The notices are sent after commit, so a test runs the request inside
    `django_capture_on_commit_callbacks(execute=True)`.
    """

    def __init__(self, monkeypatch):
        self.sent = []
        layer = get_channel_layer()
        real = layer.group_send

        async def group_send(group, message):
            self.sent.append((group, message))
            await real(group, message)

        monkeypatch.setattr(layer, "group_send", group_send)

    def heard_by_agency(self, agency) -> list[dict]:
        return self._decoded(agency_feed_group(agency.pk))

    def heard_by_user(self, user) -> list[dict]:
        return self._decoded(user_feed_group(user.pk))

    def _decoded(self, group):
        return [json.loads(m["text"]) for g, m in self.sent if g == group and m.get("type") == "feed.message"]
