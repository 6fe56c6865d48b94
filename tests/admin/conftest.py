"""A flag on Mara Vale raised by police control: the casework the admin's pages are tried on."""

import pytest

from tests.factories import flag, person


@pytest.fixture
def subject(alice):
    return person(alice, family_name="Vale", given_name="Mara")


@pytest.fixture
def mara_flag(alice, subject):
    return flag(alice, on=subject, category="weapons", severity="high", summary="Knife at address")
