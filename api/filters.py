"""django-filter, strict: `?person=` (empty) is refused rather than silently meaning "no filter"."""

import django_filters
from django.core.exceptions import ValidationError


class StrictFilterSet(django_filters.FilterSet):
    def is_valid(self):
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if self.data.get(name) == "" and not isinstance(filter_, django_filters.CharFilter):
                # The code the field would give for a malformed value, so the schema documents it.
                codes = filter_.field.error_messages
                code = next((c for c in ("invalid", "invalid_choice") if c in codes), "required")
                error = ValidationError("Give a value or leave the parameter out.", code=code)
                self.form.add_error(name, error)
                valid = False
        return valid
