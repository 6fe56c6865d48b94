"""What a phone number is, one rule for the agency's out-of-hours number (the model, so the admin and
create_agency) and a birth plan's key contacts (the API): UK short and service numbers included."""

import pytest
from django.core.exceptions import ValidationError

from ooh.accounts.actions import upsert_agency
from ooh.accounts.models import Agency
from ooh.accounts.phones import PHONE_NUMBER_MAX_LENGTH, validate_phone_number

ACCEPTED = [
    "101",  # police non-emergency
    "111",  # NHS non-emergency
    "999",
    "112",
    "116 123",  # Samaritans
    "116 000",  # missing children
    "0800 1111",  # Childline
    "0300 123 4567",
    "01632 960001",
    "+44 20 7946 0000",
    "+44 (0)20 7946 0000",
    "(020) 7946 0000",
    "020-7946-0000",
    "18001 101",  # text relay
    "18001 020 7946 0000",
    "+" + "4" * (PHONE_NUMBER_MAX_LENGTH - 1),
]
REFUSED = [
    "12",  # fewer than 3 digits
    "1",
    "+",
    "+ 44 20 7946 0000",
    "++44 20 7946 0000",
    "44+20",
    "()",
    "(12)",
    "( )999",
    "(020 7946 0000",  # unbalanced
    "020) 7946 0000",
    "(0(20)) 7946",
    "999-",
    "-999",
    " 999",
    "999 ",
    "0800 CHILDLINE",
    "call 999",
    "999 ext 4",
    "0300.123.4567",
    "0300/123/4567",
    "٩٩٩",  # digits, but not 0-9
    "9" * (PHONE_NUMBER_MAX_LENGTH + 1),
    "0300 123 4567\n",
]


@pytest.mark.parametrize("number", ACCEPTED)
def test_a_phone_number_may_be_short_a_service_or_international(number):
    validate_phone_number(number)


@pytest.mark.parametrize("number", REFUSED)
def test_anything_else_is_refused(number):
    with pytest.raises(ValidationError) as refused:
        validate_phone_number(number)
    assert refused.value.code == "invalid_phone_number"


@pytest.mark.django_db
class TestTheAgencysOutOfHoursPhone:
    @pytest.mark.parametrize("number", [*ACCEPTED, ""])
    def test_accepted_by_the_model(self, number):
        agency, _ = upsert_agency(
            code="police-west", name="West police", kind="police", out_of_hours_phone=number
        )
        assert Agency.objects.get(pk=agency.pk).out_of_hours_phone == number

    @pytest.mark.parametrize("number", REFUSED)
    def test_refused_by_the_model_naming_the_field(self, number):
        with pytest.raises(ValidationError) as refused:
            Agency(
                code="police-west", name="West police", kind="police", out_of_hours_phone=number
            ).full_clean()
        assert set(refused.value.message_dict) == {"out_of_hours_phone"}
        with pytest.raises(ValidationError):
            upsert_agency(code="police-west", name="West police", kind="police", out_of_hours_phone=number)
        assert not Agency.objects.exists()
