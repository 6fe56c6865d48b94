"""The need-to-know world: two councils, the emergency services, and the Vale family.

North council's children's social care (`csc`) holds the Vale family's case: Dana recorded them, raised
the unborn child protection flag on the baby and leads the active birth plan. South council (`csc2`) holds
its own family, the Mosses, and nothing of the Vales. The people are tests/personas.py's cast.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from ooh.incidents import actions as incident_actions
from ooh.plans import actions as plan_actions

from . import factories
from .personas import agency, client_for, persona

WORLD_AGENCIES = ("police", "ambulance", "csc", "csc2", "edt", "midwifery", "health")
# Alice: the police control room, sees everyone with a purpose; Amy: another control room, did not open
# the incident; Dana: the Vales' social worker and lead professional; Carol: her manager; Ada: administers
# North council's users, sees no casework; Sam: a social worker of another council; Max: his manager.
WORLD_CAST = (
    "alice",
    "pat",
    "hale",
    "amy",
    "bob",
    "dana",
    "carol",
    "ada",
    "sam",
    "max",
    "omar",
    "mia",
    "hana",
)


@dataclass
class World:
    agencies: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    flags: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    plan: object = None
    home: object = None

    def __getattr__(self, name):
        # world.dana, world.kerry: personas and people by name
        for table in ("users", "people"):
            found = self.__dict__.get(table, {}).get(name)
            if found is not None:
                return found
        raise AttributeError(name)

    def client(self, name, *, reason=None):
        return client_for(self.users[name], reason=reason)


def complete_plan_fields(world, lead) -> dict:
    """Everything a plan needs to be activated, for the Vale baby."""
    return {
        "expected_date": timezone.localdate() + datetime.timedelta(days=7),
        "planned_place_of_birth": "hospital",
        "hospital": "Northshire General",
        "lead_professional": lead,
        "child_protection_status": "unborn_child_protection_plan",
        "legal_status": "pre_proceedings",
        "plan_at_birth": "Baby to remain in hospital with mother; no discharge without a strategy discussion.",
        "home_birth_contingency": "Ambulance to take mother and baby to Northshire General; police to attend.",
        "out_of_hours_instructions": "Call the EDT duty manager; police protection only if the baby is at risk.",
        "parents_aware_of_plan": False,
        "parents_not_aware_reason": "Risk of flight if disclosed before birth.",
        "key_contacts": [
            {"agency": world.agencies["police"], "name": "DS Roe", "phone_out_of_hours": "01632 960101"},
            {"agency": world.agencies["edt"], "name": "EDT duty", "phone_out_of_hours": "01632 960004"},
            {"agency": world.agencies["csc"], "name": "Dana Reid", "phone_in_hours": "01632 960003"},
        ],
    }


def build_world() -> World:
    world = World()
    for code in WORLD_AGENCIES:
        world.agencies[code] = agency(code)
    for username in WORLD_CAST:
        world.users[username] = persona(username)
    dana, sam = world.users["dana"], world.users["sam"]

    # The Vales: North council's case.
    world.home = factories.address(dana, line1="14 Larch Close", postcode="NE3 2QX")
    p = world.people
    p["kerry"] = factories.person(dana, given_name="Kerry", family_name="Vale", current_address=world.home)
    p["dean"] = factories.person(dana, given_name="Dean", family_name="Vale", current_address=world.home)
    p["baby"] = factories.person(
        dana,
        family_name="Vale",
        status="unborn",
        expected_date=timezone.localdate() + datetime.timedelta(days=7),
    )
    world.links["mother"] = factories.link(dana, p["kerry"], "mother_of", p["baby"])
    world.links["father"] = factories.link(dana, p["dean"], "father_of", p["baby"])
    world.links["partner"] = factories.link(dana, p["dean"], "partner_of", p["kerry"])
    world.flags["ucpp"] = factories.flag(
        dana, on=p["baby"], category="unborn_child_protection_plan", severity="critical"
    )
    world.flags["violence"] = factories.flag(dana, on=p["dean"], category="violence", severity="high")
    world.plan = plan_actions.draft_plan(
        actor=dana, mother=p["kerry"], unborn_child=p["baby"], **complete_plan_fields(world, dana)
    )
    world.plan = plan_actions.activate_plan(actor=dana, plan=world.plan, agreed_on=timezone.localdate())

    # The Mosses: South council's case, nothing to do with the Vales.
    p["lena"] = factories.person(sam, given_name="Lena", family_name="Moss")
    p["leo"] = factories.person(
        sam, given_name="Leo", family_name="Moss", date_of_birth=datetime.date(2019, 3, 1)
    )
    world.links["lena_mother"] = factories.link(sam, p["lena"], "mother_of", p["leo"])
    world.flags["lena"] = factories.flag(sam, on=p["lena"], category="other", severity="low")
    return world


def open_vale_incident(world, *, request=("ambulance",), now=None):
    """Police control opens the night's incident for Kerry and the baby and asks agencies to attend."""
    alice = world.users["alice"]
    incident = incident_actions.open_incident(
        actor=alice,
        kind="birth",
        summary="Home birth",
        subjects=[world.people["kerry"], world.people["baby"]],
        address=world.home,
        now=now,
    )
    for code in request:
        incident_actions.request_attendance(
            actor=alice,
            incident=incident,
            agency=world.agencies[code],
            respond_within_minutes=15,
            now=now,
        )
    return incident


@pytest.fixture
def world(db):
    """build_world(), for each test."""
    return build_world()
