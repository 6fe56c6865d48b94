"""Birth plans on the night: a shared draft is shown as a draft (never dropped), each shared agency's
reading of the current version, key contacts with an out-of-hours number first (the agency's number
when the contact has none), and the legal position in plain words."""

import datetime

import pytest

from ooh.incidents import actions as incidents
from ooh.incidents.models import Event, IncidentAgency
from ooh.plans import actions as plans

from .. import factories
from ..personas import agency, client_for, persona
from .nights import at, s1_night

pytestmark = pytest.mark.django_db


def _family():
    dana = persona("dana")
    mother = factories.person(dana, given_name="Jade", family_name="Holt")
    baby = factories.person(
        dana,
        given_name="Baby",
        family_name="Holt",
        status="unborn",
        expected_date=datetime.date(2026, 12, 20),
    )
    factories.link(dana, mother, "mother_of", baby)
    plan = plans.draft_plan(
        actor=dana,
        mother=mother,
        unborn_child=baby,
        expected_date=datetime.date(2026, 12, 20),
        child_protection_status="unborn_child_protection_plan",
        legal_status="interim_care_order_granted",
        legal_status_since=datetime.date(2026, 11, 30),
        key_contacts=[
            {"agency": agency("csc"), "name": "Dana Reid", "phone_in_hours": "01632 960003"},
            {"agency": agency("edt"), "name": "EDT duty", "phone_out_of_hours": "01632 960004"},
        ],
    )
    return dana, mother, baby, plan


def _picture(user, person):
    response = client_for(user).get(f"/api/v1/people/{person.pk}/network/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_draft_is_not_in_the_picture_until_it_is_shared_then_it_is_marked_a_draft():
    dana, mother, _baby, plan = _family()
    assert _picture(dana, mother)["birth_plans"] == []
    plans.share_plan(actor=dana, plan=plan, agencies=[agency("police")])
    [shown] = _picture(dana, mother)["birth_plans"]
    assert (shown["id"], shown["status"], shown["status_label"]) == (
        str(plan.pk),
        "draft",
        "Draft, not agreed",
    )
    headline = _picture(persona("hale"), mother)["headline"]
    assert any("DRAFT, NOT AGREED" in line["text"] for line in headline)


def test_sharing_a_draft_tells_the_open_incidents_of_the_family():
    dana, mother, baby, plan = _family()
    incident = incidents.open_incident(
        actor=persona("alice"), kind="birth", summary="Labour", subjects=[mother, baby]
    )
    plans.share_plan(actor=dana, plan=plan, agencies=[agency("police")])
    event = Event.objects.filter(incident=incident, type="birth_plan.updated").get()
    assert event.data["change"] == "draft_shared"
    assert event.data["plan"]["status"] == "draft"


def test_a_shared_draft_gives_its_agencies_a_stake_in_the_night():
    dana, mother, baby, plan = _family()
    plans.share_plan(actor=dana, plan=plan, agencies=[agency("edt")])
    incident = incidents.open_incident(
        actor=persona("alice"), kind="birth", summary="Labour", subjects=[mother, baby]
    )
    assert IncidentAgency.objects.filter(
        incident=incident, agency=agency("edt"), reason="stakeholder"
    ).exists()


def test_key_contacts_out_of_hours_first_and_the_agency_number_when_the_contact_has_none():
    dana, mother, _baby, plan = _family()
    csc = agency("csc")
    csc.out_of_hours_phone = "01632 960999"
    csc.save(update_fields=["out_of_hours_phone"])
    plans.share_plan(actor=dana, plan=plan, agencies=[agency("police")])
    [shown] = _picture(dana, mother)["birth_plans"]
    contacts = [
        (c["name"], c["phone_out_of_hours"], c["call_out_of_hours"])
        for c in shown["key_contacts_out_of_hours"]
    ]
    assert contacts == [("EDT duty", "01632 960004", "01632 960004"), ("Dana Reid", "", "01632 960999")]
    assert shown["key_contacts_out_of_hours"][1]["agency"]["out_of_hours_phone"] == "01632 960999"


def test_each_shared_agency_reading_of_the_current_version():
    night = s1_night()
    body = client_for(night.users["bob"]).get(f"/api/v1/incidents/{night.incident.pk}/").json()
    [plan] = body["birth_plans"]
    read = {s["agency"]["code"]: s["read_version"] for s in plan["shared_with"]}
    assert read == {"ambulance": None, "edt": 2, "midwifery": None, "police": 2}
    assert sorted(a["agency"]["code"] for a in plan["not_read_by"]) == ["ambulance", "midwifery"]
    plans.acknowledge_plan(actor=night.users["bob"], plan=night.plan)
    body = client_for(night.users["bob"]).get(f"/api/v1/incidents/{night.incident.pk}/").json()
    assert [a["agency"]["code"] for a in body["birth_plans"][0]["not_read_by"]] == ["midwifery"]


def test_the_legal_position_in_plain_words():
    dana, mother, _baby, plan = _family()
    plans.share_plan(actor=dana, plan=plan, agencies=[agency("police")])
    [shown] = _picture(dana, mother)["birth_plans"]
    assert shown["legal_position"] == {
        "child_protection_status": "unborn_child_protection_plan",
        "child_protection_status_label": "Unborn child protection plan",
        "child_protection_since": None,
        "legal_status": "interim_care_order_granted",
        "legal_status_label": "Interim care order",
        "legal_status_since": "2026-11-30",
        "court_order": True,
        "removal_power": "local_authority",
        "meaning": "An interim care order lets the local authority remove the baby tonight.",
    }
    lines = {line["code"]: line["text"] for line in _picture(persona("omar"), mother)["headline"]}
    assert lines["legal_position"] == (
        "Unborn child protection plan (date not recorded); interim care order since 30 Nov 2026. An interim care "
        "order lets the local authority remove the baby tonight. Your service holds that power: take a copy of "
        "the order."
    )


def test_the_snapshot_lists_every_agency_on_the_incident_with_its_out_of_hours_number():
    night = s1_night()
    body = client_for(night.users["omar"]).get(f"/api/v1/incidents/{night.incident.pk}/").json()
    numbers = {a["code"]: (a["out_of_hours_phone"], a["involvement"]) for a in body["agencies"]}
    assert numbers["edt"] == ("01632 960004", "stakeholder")  # the plan was shared with it
    assert numbers["police"] == ("101", "stakeholder")
    assert numbers["ambulance"] == ("01632 960200", "opened")
    assert at(1, 23, 40).isoformat().replace("+00:00", "Z") == body["opened_at"]
