"""django-filter, strict: `?person=` (empty) is refused rather than silently meaning "no filter"."""

import datetime
from typing import Any, cast

import django_filters
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
