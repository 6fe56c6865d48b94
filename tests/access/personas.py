"""The people of the need-to-know tests: two councils, the emergency services, and the Vale family.

North council's children's social care (`csc`) holds the Vale family's case: Dana recorded them, raised
the unborn child protection flag on the baby and leads the active birth plan. South council (`csc2`) holds
its own family, the Mosses, and nothing of the Vales. Every persona who should be refused is here, beside
the one who should not (Healthchecks' alice/bob/charlie habit).
"""

import datetime
import json
from dataclasses import dataclass, field

from channels.layers import get_channel_layer
from django.utils import timezone

from ooh.accounts.models import AgencyKind, Role
from ooh.incidents import actions as incident_actions
from ooh.incidents.events import agency_feed_group, user_feed_group
from ooh.plans import actions as plan_actions
from tests import factories
from tests.conftest import client_for
from tests.factories import AgencyFactory, member

# A control room states a purpose for a search or a picture outside its own incidents.
PURPOSE = "Welfare check after a 999 call"


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
    a = world.agencies
    a["police"] = AgencyFactory(code="police", name="Police control", kind=AgencyKind.POLICE)
    a["ambulance"] = AgencyFactory(code="ambulance", name="Ambulance service", kind=AgencyKind.AMBULANCE)
    a["csc"] = AgencyFactory(
        code="csc", name="North council children's services", kind=AgencyKind.CHILDRENS_SOCIAL_CARE
    )
    a["csc2"] = AgencyFactory(
        code="csc2", name="South council children's services", kind=AgencyKind.CHILDRENS_SOCIAL_CARE
    )
    a["edt"] = AgencyFactory(code="edt", name="Emergency Duty Team", kind=AgencyKind.OOH_SOCIAL_CARE)
    a["midwifery"] = AgencyFactory(code="midwifery", name="Community midwives", kind=AgencyKind.MIDWIFERY)
    a["health"] = AgencyFactory(code="health", name="Health visiting", kind=AgencyKind.HEALTH)

    personas = [
        ("alice", Role.CALL_HANDLER, "police"),  # police control room: sees everyone, with a purpose
        ("pat", Role.CONTROL_ROOM_SUPERVISOR, "police"),
        ("hale", Role.RESPONDER, "police"),
        ("amy", Role.CALL_HANDLER, "ambulance"),  # another control room: did not open the incident
        ("bob", Role.RESPONDER, "ambulance"),
        ("dana", Role.SOCIAL_WORKER, "csc"),  # the Vales' social worker and lead professional
        ("carol", Role.MANAGER, "csc"),  # Dana's manager
        ("ada", Role.ADMIN, "csc"),  # administers North council's users, sees no casework
        ("sam", Role.SOCIAL_WORKER, "csc2"),  # a social worker of another council
        ("max", Role.MANAGER, "csc2"),  # Sam's manager
        ("omar", Role.OOH_SOCIAL_WORKER, "edt"),
        ("mia", Role.MIDWIFE, "midwifery"),
        ("hana", Role.PRACTITIONER, "health"),
    ]
    for username, role, agency in personas:
        world.users[username] = member(role=role, agency=a[agency], username=username)
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


def errors(response, status=400) -> dict:
    """{attr: error} of a response in the one error shape, after checking its status."""
    assert response.status_code == status, response.content
    return {e["attr"]: e for e in response.json()["errors"]}


class FeedRecorder:
    """Every message sent to a channel-layer group while installed: what the feed sockets would hear.

    The notices are sent after commit, so a test runs the request inside
    `django_capture_on_commit_callbacks(execute=True)`.
    """

    def __init__(self, monkeypatch):
        self.sent = []
        layer = get_channel_layer()
        real = layer.group_send

        async def group_send(group, message):
            self.sent.append((group, message))
            await real(group, message)

        monkeypatch.setattr(layer, "group_send", group_send)

    def heard_by_agency(self, agency) -> list[dict]:
        return self._decoded(agency_feed_group(agency.pk))

    def heard_by_user(self, user) -> list[dict]:
        return self._decoded(user_feed_group(user.pk))

    def _decoded(self, group):
        return [json.loads(m["text"]) for g, m in self.sent if g == group and m.get("type") == "feed.message"]
