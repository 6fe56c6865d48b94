import datetime
import json
from base64 import b64decode, b64encode
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

if TYPE_CHECKING:  # rest_framework.views loads this module through its settings: no import back at run time
    from rest_framework.views import APIView


class _PageSizeQuery(serializers.Serializer[Any]):
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class StrictCursorPagination(CursorPagination):
    """Cursor pagination that refuses a malformed page_size with a 400 instead of ignoring it."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        if len(raw) > 1:
            raise serializers.ValidationError({self.page_size_query_param: ["Give page_size once."]})
        query = _PageSizeQuery(data={"page_size": raw[0]})
        query.is_valid(raise_exception=True)
        size: int = query.validated_data["page_size"]
        return size

    def get_schema_operation_parameters(self, view: "APIView") -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


class CreatedCursorPagination(StrictCursorPagination):
    """Newest first unless a view names another unique-enough ordering."""

    ordering = "-created_at"


class CodeCursorPagination(StrictCursorPagination):
    """For reference lists keyed by a unique code (agencies)."""

    ordering = "code"


class KeysetCursorPagination(StrictCursorPagination):
    """Cursor pagination in one of several named orders (`?ordering=`), each a total order of keys whose
    first need not be unique (a severity, a count). The cursor holds every key of the row a page ends at
    and the next page starts strictly after it, so no row is skipped or repeated however many tie on the
    first key (DRF's cursor keeps the first key and an offset, capped at 1000 rows).

    `orderings` maps each name a client may give to the keys, model fields or annotations of the
    paginated queryset, the last one unique; anything else is a 400 naming `ordering`, and a cursor that is
    not one this pagination gave for that ordering a 400 naming `cursor`."""

    ordering_param = "ordering"
    orderings: ClassVar[dict[str, tuple[str, ...]]] = {}
    default_ordering: ClassVar[str] = ""

    def chosen_ordering(self, request: Request) -> str:
        raw = request.query_params.getlist(self.ordering_param)
        if not raw:
            return self.default_ordering
        if len(raw) > 1 or raw[0] not in self.orderings:
            choices = ", ".join(self.orderings)
            raise serializers.ValidationError({self.ordering_param: [f"Give one of: {choices}."]})
        return raw[0]

    def paginate_queryset(
        self, queryset: QuerySet[Any, Any], request: Request, view: "APIView | None" = None
    ) -> list[Any]:
        self.request = request
        page_size = self.get_page_size(request) or self.page_size or 1
        self.page_size = page_size
        self.base_url = self.page_url = request.build_absolute_uri()
        self.ordering_name = self.chosen_ordering(request)
        self.ordering = self.orderings[self.ordering_name]
        self.keyset = self._decode(request)
        reverse = self.keyset is not None and self.keyset.reverse
        order = tuple(_flip(key) for key in self.ordering) if reverse else self.ordering
        queryset = queryset.order_by(*order)
        if self.keyset is not None and self.keyset.position is not None:
            queryset = self._beyond(queryset, order, self.keyset.position)
        results = list(queryset[: page_size + 1])
        more = len(results) > page_size
        self.page = results[:page_size]
        if reverse:
            self.page.reverse()
        # A page reached going back has one after it, unless it is the last; one reached going on has one
        # before it, unless it is the first.
        bounded = self.keyset is not None and self.keyset.position is not None
        self.has_next = bounded if reverse else more
        self.has_previous = more if reverse else bounded
        return self.page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        # After an empty page reached going back, everything is after it: the first page.
        position = self._position(self.page[-1]) if self.page else None
        return self._link(_Keyset(reverse=False, position=position))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        # Before an empty page reached going on, everything is before it: the last page.
        position = self._position(self.page[0]) if self.page else None
        return self._link(_Keyset(reverse=True, position=position))

    def get_schema_operation_parameters(self, view: "APIView") -> list[dict[str, Any]]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"The order of the list (default {self.default_ordering}).",
                "schema": {"type": "string", "enum": list(self.orderings)},
            },
        ]

    def _position(self, row: Any) -> list[Any]:
        return [_cursor_value(getattr(row, key.lstrip("-"))) for key in self.ordering]

    def _link(self, keyset: "_Keyset") -> str:
        body = {"o": self.ordering_name, "r": keyset.reverse, "p": keyset.position}
        encoded = b64encode(json.dumps(body, separators=(",", ":")).encode()).decode("ascii")
        return replace_query_param(self.page_url, self.cursor_query_param, encoded)

    def _decode(self, request: Request) -> "_Keyset | None":
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            body = json.loads(b64decode(encoded.encode("ascii"), validate=True))
        except (ValueError, UnicodeError):
            body = None
        if (
            not isinstance(body, dict)
            or body.get("o") != self.ordering_name
            or body.get("r") not in (True, False)
        ):
            raise self._bad_cursor()
        position = body.get("p")
        if position is not None and not _is_position(position, len(self.ordering)):
            raise self._bad_cursor()
        return _Keyset(reverse=body["r"], position=position)

    def _beyond(
        self, queryset: QuerySet[Any, Any], order: tuple[str, ...], position: list[Any]
    ) -> QuerySet[Any, Any]:
        """The rows strictly after `position` in `order`: (k1 beyond v1) or (k1 = v1 and k2 beyond v2)..."""
        after: Q | None = None
        equal = Q()
        for key, value in zip(order, position, strict=True):
            name = key.lstrip("-")
            step = equal & Q(**{f"{name}__{'lt' if key.startswith('-') else 'gt'}": value})
            after = step if after is None else after | step
            equal &= Q(**{name: value})
        try:
            return queryset.filter(after)
        except (ValueError, TypeError, DjangoValidationError) as malformed:
            raise self._bad_cursor() from malformed

    def _bad_cursor(self) -> serializers.ValidationError:
        return serializers.ValidationError(
            {self.cursor_query_param: ["Not a cursor this list gave for this ordering; start again."]}
        )


@dataclass(frozen=True)
class _Keyset:
    reverse: bool
    position: list[Any] | None  # the keys of the row the page starts beyond; None: from the end


def _is_position(value: Any, keys: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == keys
        and all(
            isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**31)
            for v in value
        )
    )


def _flip(key: str) -> str:
    return key[1:] if key.startswith("-") else f"-{key}"


def _cursor_value(value: Any) -> Any:
    """A key as JSON carries it, and as a filter reads it back: a time in ISO 8601, an id as text."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)
