"""OpenAPI pieces that drf-standardized-errors does not provide out of the box."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers
from rest_framework.request import Request

from api.idempotency import IDEMPOTENCY_KEY
from api.pagination import StrictCursorPagination


class ConflictErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="e.g. 'illegal_transition', 'stale_version', 'incident_closed'")
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ConflictErrorResponseSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    # A field: DRF's metaclass moves declared fields off the class, so the `errors` property stays.
    errors = ConflictErrorSerializer(many=True)  # type: ignore[assignment]


class AutoSchema(StandardizedErrorsAutoSchema):
    """Documents the 400 a strict paginator raises for a malformed page_size on list endpoints, and the
    Idempotency-Key header on every POST that honours it (api.views.base wraps them all)."""

    def get_override_parameters(self) -> list[OpenApiParameter | Any]:
        parameters = super().get_override_parameters()
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        if self.method == "POST" and getattr(handler, "honours_idempotency_key", False):
            named = {getattr(p, "name", None) for p in parameters}
            if IDEMPOTENCY_KEY.name not in named:
                parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def _should_add_validation_error_response(self) -> bool:
        """Also a GET whose query string a serializer checks (`query_serializer_class`: any other
        parameter, or a bad value, is a 400 naming it)."""
        strict_query = getattr(self.view, "query_serializer_class", None) is not None
        return strict_query or bool(super()._should_add_validation_error_response())

    def _get_extra_validation_errors(self) -> dict[str, set[str]]:
        extra = super()._get_extra_validation_errors()
        paginator = self._get_paginator()  # type: ignore[no-untyped-call]  # drf-spectacular's, unannotated
        if isinstance(paginator, StrictCursorPagination):
            extra.setdefault(
                paginator.page_size_query_param, {"invalid", "min_value", "max_value", "max_string_length"}
            )
        query = getattr(self.view, "query_serializer_class", None)
        if query is not None:  # each parameter's own errors, and any other parameter named as invalid
            for name, query_field in query().fields.items():
                extra.setdefault(name, set()).update(query_field.error_messages)
            for name in getattr(self.view, "required_headers", ()):
                extra.setdefault(name, set()).add("invalid")
        return extra


def open_error_codes(
    result: dict[str, Any], generator: object, request: Request | None, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: a validation error item is one open shape, not a closed set.

    drf-standardized-errors enumerates, per operation, the fields and codes serializers can raise, but
    domain rules (an unborn child needs an expected date; a flag needs exactly one subject) add their
    own. The known fields and codes stay in the description; the schema accepts any `attr` and `code`
    so a client does not reject an error it could have shown to its user.
    """
    schemas = result.get("components", {}).get("schemas", {})
    merged: set[str] = set()
    for name, schema in list(schemas.items()):
        refs = [option.get("$ref", "") for option in schema.get("oneOf", [])]
        if not refs or not all(ref.endswith("ErrorComponent") for ref in refs):
            continue
        known: list[str] = []
        for ref in refs:
            component_name = ref.rsplit("/", 1)[-1]
            merged.add(component_name)
            props = schemas.get(component_name, {}).get("properties", {})
            attrs = props.get("attr", {}).get("enum", [])
            codes = props.get("code", {}).get("enum", [])
            known.append(f"`{'/'.join(map(str, attrs))}`: {', '.join(f'`{c}`' for c in codes)}")
        schemas[name] = {
            "type": "object",
            "description": "One problem with the request. Known fields and codes - " + "; ".join(known),
            "properties": {
                "attr": {"type": "string", "description": "The field at fault, dotted for nested fields."},
                "code": {"type": "string"},
                "detail": {"type": "string"},
            },
            "required": ["attr", "code", "detail"],
        }
    for component_name in merged:
        schemas.pop(component_name, None)
    return result


# drf-spectacular registers an extension in its unannotated __init_subclass__.
class TokenAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: SpectacularAutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A device token from POST /api/v1/auth/token/, sent as `Token <token>`.",
        }


class BrowserSessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.BrowserSessionAuthentication"
    name = "browserSession"

    def get_security_definition(self, auto_schema: SpectacularAutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The board's web browser: the session cookie from POST /api/v1/auth/browser-login/, "
            "with the CSRF token in `X-CSRFToken` on every POST, PUT, PATCH and DELETE.",
        }
