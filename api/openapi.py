"""OpenAPI pieces that drf-standardized-errors does not provide out of the box."""

from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers


class ConflictErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. 'illegal_transition', 'stale_version', 'incident_closed'")
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ConflictErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ConflictErrorSerializer(many=True)
