"""The embedded broker: kombu's filesystem transport, each message written whole before it can be read.

kombu writes a message file in place, in the queue's folder; a worker listing the folder at that moment
moves it away and reads it empty, and stops ("Unrecoverable error: JSONDecodeError"): every task after
that waits for a restart. Here a message is written beside the queue under a name no consumer reads (its
suffix is not the queue's), then renamed into place: a rename within one filesystem is atomic, so a
consumer finds a whole message or none. Registered as `filesystem://` by ooh/celery.py.
"""

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # The stubs disagree with themselves (message in the base, payload here): kombu passes it by position.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        """Put the message on the queue: written to `<name>.part`, then renamed to `<name>`."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


def register() -> None:
    """`filesystem://` means this transport, in every process that imports the Celery app."""
    TRANSPORT_ALIASES["filesystem"] = "ooh.broker:Transport"
