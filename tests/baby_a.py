"""The world of the second case review (Baby A, scenario S2): the Ash family, recorded by the community
midwives, and the professionals around them.

- Leah Ash, the mother (a `mental_health` flag raised at the hospital by Connor, the consultant
  physician who treats her), Kyle Ash, the father (a `learning_disability` flag raised by the midwives),
  and their unborn baby (a `medical` flag from the hospital: its medication at birth), expected on
  `expected_date`.
- Connor (hospital practitioner) and his manager Harriet; Gail, the GP he consults; Mia the midwife and
  her manager Mandy; North council's children's services: Carol the manager, who reports to Hugo, the
  head of service, and Dana, a social worker; Ada, its admin.

Build it with `build_baby_a(expected_date=...)`, or ask for the `baby_a` fixture (expected in 20 weeks).
"""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from ooh.accounts.models import Membership
from ooh.people.models import Person

from . import factories
from .personas import agency, persona


@dataclass
class BabyA:
    connor: object
    harriet: object
    gail: object
    mia: object
    mandy: object
    carol: object
    hugo: object
    dana: object
    ada: object
    mother: Person
    father: Person
    baby: Person
    agencies: dict


def build_baby_a(*, expected_date: datetime.date) -> BabyA:
    people = {
        name: persona(name)
        for name in ("connor", "harriet", "gail", "mia", "mandy", "carol", "hugo", "dana", "ada")
    }
    Membership.objects.filter(user=people["carol"]).update(reports_to=people["hugo"])
    mia, connor = people["mia"], people["connor"]
    home = factories.address(mia, line1="3 Mill Lane", postcode="NE6 1AB")
    mother = factories.person(mia, given_name="Leah", family_name="Ash", current_address=home)
    father = factories.person(mia, given_name="Kyle", family_name="Ash", current_address=home)
    baby = factories.person(mia, family_name="Ash", status="unborn", expected_date=expected_date)
    factories.link(mia, mother, "mother_of", baby)
    factories.link(mia, father, "father_of", baby)
    factories.link(mia, mother, "partner_of", father)
    factories.flag(connor, on=mother, category="mental_health", severity="medium", summary="Bipolar disorder")
    factories.flag(
        connor, on=baby, category="medical", severity="low", summary="Maternal medication: observe at birth"
    )
    factories.flag(
        mia, on=father, category="learning_disability", severity="low", summary="Learning disability"
    )
    codes = ("hospital", "gp", "midwifery", "csc")
    return BabyA(
        **people,
        mother=mother,
        father=father,
        baby=baby,
        agencies={code: agency(code) for code in codes},
    )


@pytest.fixture
def baby_a(db):
    return build_baby_a(expected_date=timezone.localdate() + datetime.timedelta(weeks=20))
