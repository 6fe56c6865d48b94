"""django-filter, strict: `?person=` (empty) is refused rather than silently meaning "no filter"."""

import datetime
from typing import Any, cast

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django_filters.fields import IsoDateTimeField


class StrictFilterSet(django_filters.FilterSet):
    def is_valid(self) -> bool:
        valid = super().is_valid()
        # FilterSet keeps an empty QueryDict when given no data: never None, as the stubs allow.
        data = cast(QueryDict | dict[str, Any], self.data)
        for name, filter_ in self.filters.items():
            if data.get(name) == "" and not isinstance(filter_, django_filters.CharFilter):
                # The code the field would give for a malformed value, so the schema documents it.
                codes = filter_.field.error_messages
                code = next((c for c in ("invalid", "invalid_choice") if c in codes), "required")
                error = ValidationError("Give a value or leave the parameter out.", code=code)
                self.form.add_error(name, error)
                valid = False
        return valid


class _SaneIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time the database can compare: UTC offset within ±14 h, year 1900 to 9000."""

    def clean(self, value: Any) -> datetime.datetime | None:
        result: datetime.datetime | None = super().clean(value)
        if result is None:
            return result
        offset = result.utcoffset()
        if offset is not None and abs(offset.total_seconds()) > 14 * 3600:
            raise ValidationError("The UTC offset must be within ±14 hours.", code="invalid")
        if not 1900 <= result.year <= 9000:
            raise ValidationError("Give a date-time between the years 1900 and 9000.", code="invalid")
        return result.astimezone(datetime.UTC) if offset is not None else result


class SaneIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _SaneIsoDateTimeField


class _StrictBooleanField(forms.NullBooleanField):
    """'true' or 'false' (or 1 and 0); anything else is a 400, where django-filter's NullBooleanField
    (and its select widget) reads it as no filter at all."""

    widget = forms.TextInput
    default_error_messages = {"invalid": "Give true or false."}

    # The stubs give BooleanField's bool; NullBooleanField returns None for no value, as here.
    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField
