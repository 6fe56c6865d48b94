"""Responses whose body was rendered before the request came (a kept snapshot, ooh/picture/ready.py)."""

import json
from typing import Any

from rest_framework.response import Response


class RenderedResponse(Response):
    """Serves JSON rendered beforehand, byte for byte: nothing is rendered per request. `data` parses it
    for whoever asks (the idempotency store, tests); serving never does."""

    def __init__(self, content: bytes, status: int) -> None:
        self._ready = content
        super().__init__(status=status)

    @property
    def data(self) -> Any:
        return json.loads(self._ready)

    @data.setter
    def data(self, value: Any) -> None:
        """Response.__init__ sets data to None; the body is the rendered one."""

    @property
    def rendered_content(self) -> Any:  # bytes, as DRF's renderers give (django-stubs say str)
        self["Content-Type"] = "application/json"
        return self._ready
