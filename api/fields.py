"""JSON-strict serializer fields: a number where text is expected (or text where a number or a
boolean is expected) is a client bug, so it is refused with a 400 naming the field rather than
coerced. DRF's defaults coerce (0 -> "0", "5" -> 5, "yes" -> True)."""

import uuid
from typing import Any, TypeVar

from django.db import models
from rest_framework import serializers

_M = TypeVar("_M", bound=models.Model)

_CONTROL = {chr(c) for c in range(32)} - {"\n", "\r", "\t"} | {chr(127)}


class StrictCharField(serializers.CharField):
    default_error_messages = {
        "invalid": "Not a valid string.",
        "control_characters": "Contains control characters.",
    }

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if not _CONTROL.isdisjoint(data):
            self.fail("control_characters")
        return super().to_internal_value(data)


class OptionalCharField(StrictCharField):
    """Optional text where null, like leaving it out, means none given (API.md's `| null`): read as "",
    so the rules after the serializer see one empty value (a blank, or only spaces, trims to "" too)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_blank=True, allow_null=True, default="", **kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None:
            return (True, "")
        return super().validate_empty_values(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data: object) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer[_M]):
    """ModelSerializer whose generated fields are the strict ones above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictCharField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.FloatField: StrictFloatField,
        models.BooleanField: StrictBooleanField,
    }
    serializer_choice_field = StrictChoiceField


class UUIDRelatedField(serializers.PrimaryKeyRelatedField[_M]):
    """A related object named by its UUID: anything but a UUID string is refused as the wrong type."""

    def to_internal_value(self, data: object) -> _M:
        if not isinstance(data, str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            uuid.UUID(data)
        except ValueError:
            self.fail("incorrect_type", data_type="non-UUID string")
        return super().to_internal_value(data)  # type: ignore[arg-type]  # the stubs take a model; DRF's a pk

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # DRF turns "" into null for related fields; a client sending "" has a bug worth hearing about.
        if data == "":
            self.fail("incorrect_type", data_type="empty string")
        return super().run_validation(data)


class BoundedListField(serializers.ListField):
    """ListField that refuses a list over max_length before validating any item (an item may cost a
    query: ten thousand ids would be ten thousand lookups before DRF's own length check runs)."""

    def to_internal_value(self, data: Any) -> list[Any]:  # Any: DRF's own check refuses what is no list
        if self.max_length is not None and isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class BoundedListSerializer(serializers.ListSerializer[Any]):
    """A list of nested objects (many=True) whose length limit is the field's own error, `attr:
    "key_contacts"` rather than `"key_contacts.non_field_errors"`, checked before any item."""

    max_length: int | None  # set by ListSerializer.__init__ (max_length=); the stubs leave it out

    def to_internal_value(self, data: object) -> list[Any]:
        if self.max_length is not None and isinstance(data, list) and len(data) > self.max_length:
            message = self.error_messages["max_length"].format(max_length=self.max_length)
            raise serializers.ValidationError(message, code="max_length")
        items: list[Any] = super().to_internal_value(data)
        return items
