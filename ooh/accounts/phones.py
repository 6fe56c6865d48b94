"""What a phone number is: the one rule for every number the service stores (an agency's out-of-hours
line, a birth plan's key contacts), checked by the model and the API alike.

UK short and service numbers are numbers people are told to call (101, 111, 999, 112, 116 123,
0800 1111, the 18001 text relay prefix), so three digits is enough. Digits 0-9 only, grouped by single
spaces or hyphens, brackets around a group ("(020) 7946 0000", "+44 (0)20 ..."), one "+" in front.
"""

import re

from django.core.exceptions import ValidationError

PHONE_NUMBER_MAX_LENGTH = 24
PHONE_NUMBER_MIN_DIGITS = 3
PHONE_NUMBER_MESSAGE = (
    "Enter a phone number of at least 3 digits, with spaces, hyphens or ( ) between them and + in front, "
    f"at most {PHONE_NUMBER_MAX_LENGTH} characters (e.g. 999, 116 123, 0300 123 4567, +44 20 7946 0000)."
)

_GROUP = r"(?:[0-9]|\([0-9]+(?:[ -][0-9]+)*\))"  # a digit, or a bracketed group such as (020) or (0)
_NUMBER = re.compile(rf"\+?{_GROUP}(?:(?:[ -]| - )?{_GROUP})*")


def validate_phone_number(value: str) -> None:
    """Refuses anything that is not a phone number (a blank field is the field's own business)."""
    if (
        len(value) > PHONE_NUMBER_MAX_LENGTH
        or sum(c in "0123456789" for c in value) < PHONE_NUMBER_MIN_DIGITS
        or not _NUMBER.fullmatch(value)
    ):
        raise ValidationError(PHONE_NUMBER_MESSAGE, code="invalid_phone_number")
