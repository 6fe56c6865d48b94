"""Errors the domain actions raise; the API turns them into 400 / 409 in the one error shape.

Actions raise django.core.exceptions.ValidationError({field: message}) for bad input (400, field named)
and Conflict for a request that is well formed but clashes with the current state (409).
"""


class Conflict(Exception):
    def __init__(self, detail: str, *, code: str = "conflict"):
        super().__init__(detail)
        self.detail, self.code = detail, code
