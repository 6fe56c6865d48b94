from typing import TYPE_CHECKING, Any

from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

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
