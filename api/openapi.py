"""OpenAPI pieces that drf-standardized-errors does not provide out of the box."""

from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers

from api.pagination import StrictCursorPagination


class ConflictErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. 'illegal_transition', 'stale_version', 'incident_closed'")
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ConflictErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ConflictErrorSerializer(many=True)


class AutoSchema(StandardizedErrorsAutoSchema):
    """Documents the 400 a strict paginator raises for a malformed page_size on list endpoints."""

    def _get_extra_validation_errors(self):
        extra = super()._get_extra_validation_errors()
        paginator = self._get_paginator()
        if isinstance(paginator, StrictCursorPagination):
            extra.setdefault(
                paginator.page_size_query_param, {"invalid", "min_value", "max_value", "max_string_length"}
            )
        return extra
