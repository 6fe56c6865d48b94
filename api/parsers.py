"""The JSON parser every view uses: bodies bounded in size and nesting before the decoder sees them.

Python's json module recurses once per level, so a body nested a few thousand deep exhausts the stack
(a 500). The depth is counted first, by a flat scan, and a body is never read past the size limit.
"""

import codecs
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json

MAX_DEPTH = 32

# A whole string literal (so brackets inside text are not counted), or one bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int):
        super().__init__(f"The request body is over the limit of {limit} bytes.")


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether arrays and objects in a JSON text nest deeper than `limit`, counted without recursion."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        found = match.group()
        if found in "[{":
            depth += 1
            if depth > limit:
                return True
        elif found in "]}":
            depth -= 1
    return False


class BoundedJSONParser(parsers.JSONParser):
    """JSONParser that refuses a body over the upload limit (413) or nested deeper than MAX_DEPTH (400)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:  # whatever JSON the body holds: an object, an array, a scalar
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # Content-Length was checked by RequestLimitsMiddleware; a stream that runs on past what it
        # declared is not trusted either: one byte past the limit is enough to know.
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(limit)
        try:
            # get_encoding is DRF 3.18's; the 3.16 stubs (the newest for this mypy) predate it.
            encoding: str = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if nested_deeper_than(text, MAX_DEPTH):
            raise ParseError(f"JSON parse error - arrays and objects nested deeper than {MAX_DEPTH} levels.")
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
