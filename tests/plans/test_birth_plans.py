"""The whole life of a birth plan: draft, every gap listed, active, shared, acknowledged, revised, superseded."""

import datetime

import pytest
from django.utils import timezone

from ooh.audit.models import AccessedPerson, AccessLog
from ooh.plans.models import BirthPlan, BirthPlanVersion
from tests import factories
from tests.answers import errors
from tests.personas import agency, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def agencies(db):
    return {code: agency(code) for code in ("police", "ambulance", "csc", "edt", "midwifery")}


@pytest.fixture
def family(mia):
    kerry = factories.person(mia, given_name="Kerry", family_name="Vale")
    baby = factories.person(
        mia,
        family_name="Vale",
        status="unborn",
        expected_date=timezone.localdate() + datetime.timedelta(days=7),
    )
    factories.link(mia, kerry, "mother_of", baby)
    return kerry, baby


def complete_body(family, agencies, lead):
    kerry, baby = family
    return {
        "mother": str(kerry.pk),
        "unborn_child": str(baby.pk),
        "expected_date": str(timezone.localdate() + datetime.timedelta(days=7)),
        "planned_place_of_birth": "hospital",
        "hospital": "Northshire General",
        "lead_professional": str(lead.pk),
        "child_protection_status": "unborn_child_protection_plan",
        "legal_status": "pre_proceedings",
        "plan_at_birth": "Baby to remain in hospital with mother; no discharge without a strategy discussion.",
        "home_birth_contingency": "Ambulance to take mother and baby to Northshire General; police to attend.",
        "out_of_hours_instructions": "Call the EDT duty manager; police protection only if the baby is at risk.",
        "parents_aware_of_plan": False,
        "parents_not_aware_reason": "Risk of flight if disclosed before birth.",
        "people_excluded": [{"name": "Dean Vale", "reason": "Threats to staff"}],
        "discharge_arrangements": "Strategy discussion before discharge.",
        "key_contacts": [
            {
                "agency": str(agencies["police"].pk),
                "name": "DS Roe",
                "role": "CAIT",
                "phone_out_of_hours": "01632 960101",
            },
            {
                "agency": str(agencies["edt"].pk),
                "name": "EDT duty manager",
                "phone_out_of_hours": "01632 960004",
            },
            {
                "agency": str(agencies["csc"].pk),
                "name": "Dana Reid",
                "role": "Social worker",
                "phone_in_hours": "01632 960003",
            },
        ],
    }


def test_the_whole_life_of_a_plan(agencies, mia, meg, omar, family, alice):
    # Meg, a midwife colleague of Mia's, completes it: a plan is kept by the lead professional's agency.
    mia_client, meg_client = client_for(mia), client_for(meg)
    kerry, baby = family

    # A draft may be incomplete.
    draft = mia_client.post(
        "/api/v1/birth-plans/",
        {"mother": str(kerry.pk), "unborn_child": str(baby.pk), "expected_date": str(baby.expected_date)},
    )
    assert draft.status_code == 201, draft.content
    plan = draft.json()
    assert (plan["status"], plan["version"]) == ("draft", 1)

    # Activation lists every missing part at once, and writes nothing.
    gaps = errors(mia_client.post(f"/api/v1/birth-plans/{plan['id']}/activate/", {}))
    assert set(gaps) == {
        "lead_professional",
        "plan_at_birth",
        "home_birth_contingency",
        "out_of_hours_instructions",
        "key_contacts.police",
        "key_contacts.ooh_social_care",
        "parents_aware_of_plan",
        "agreed_on",
    }
    assert BirthPlan.objects.get(pk=plan["id"]).status == "draft"

    # Her colleague completes it: version 2.
    body = complete_body(family, agencies, mia)
    for fixed in ("mother", "unborn_child"):
        body.pop(fixed)
    revised = meg_client.patch(f"/api/v1/birth-plans/{plan['id']}/", body, HTTP_IF_MATCH="1")
    assert revised.status_code == 200, revised.content
    assert revised.json()["version"] == 2
    assert revised["ETag"] == '"2"'

    # A change based on version 1 is now stale.
    stale = meg_client.patch(
        f"/api/v1/birth-plans/{plan['id']}/", {"hospital": "Elsewhere"}, HTTP_IF_MATCH="1"
    )
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["code"] == "stale_version"

    active = mia_client.post(
        f"/api/v1/birth-plans/{plan['id']}/activate/", {"agreed_on": str(timezone.localdate())}
    )
    assert active.status_code == 200, active.content
    assert (active.json()["status"], active.json()["version"]) == ("active", 3)

    # Shared with four agencies; two acknowledge version 3.
    shared_with = [agencies[k].pk for k in ("police", "ambulance", "edt", "midwifery")]
    shared = mia_client.post(
        f"/api/v1/birth-plans/{plan['id']}/share/", {"agencies": [str(a) for a in shared_with]}
    )
    assert shared.status_code == 200
    assert sorted(shared.json()["unacknowledged_agencies"]) == sorted(str(a) for a in shared_with)
    assert client_for(alice).post(f"/api/v1/birth-plans/{plan['id']}/acknowledge/", {}).status_code == 200
    assert (
        client_for(omar).post(f"/api/v1/birth-plans/{plan['id']}/acknowledge/", {"version": 3}).status_code
        == 200
    )
    current = mia_client.get(f"/api/v1/birth-plans/{plan['id']}/").json()
    assert sorted(current["unacknowledged_agencies"]) == sorted(
        str(agencies[k].pk) for k in ("ambulance", "midwifery")
    )
    assert {
        (a["agency"]["code"], a["user"]["username"], a["version"]) for a in current["acknowledgements"]
    } == {
        ("police", "alice", 3),
        ("edt", omar.username, 3),
    }

    # A new version resets what counts as acknowledged; the history keeps who read what.
    mia_client.patch(
        f"/api/v1/birth-plans/{plan['id']}/", {"hospital": "Northshire Royal"}, HTTP_IF_MATCH='"3"'
    )
    current = mia_client.get(f"/api/v1/birth-plans/{plan['id']}/").json()
    assert current["version"] == 4
    assert len(current["unacknowledged_agencies"]) == 4
    assert len(current["acknowledgements"]) == 2
    late = client_for(alice).post(f"/api/v1/birth-plans/{plan['id']}/acknowledge/", {"version": 3})
    assert late.status_code == 409

    # Old versions are readable and never change.
    versions = mia_client.get(f"/api/v1/birth-plans/{plan['id']}/versions/").json()
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    assert versions[0]["snapshot"]["plan_at_birth"] == ""
    v2 = mia_client.get(f"/api/v1/birth-plans/{plan['id']}/versions/2/").json()
    assert v2["snapshot"]["hospital"] == "Northshire General"
    assert v2["author"]["username"] == "meg"

    # A new plan for the same unborn child, once active, supersedes this one.
    second = mia_client.post("/api/v1/birth-plans/", complete_body(family, agencies, mia)).json()
    mia_client.post(f"/api/v1/birth-plans/{second['id']}/activate/", {"agreed_on": str(timezone.localdate())})
    assert mia_client.get(f"/api/v1/birth-plans/{plan['id']}/").json()["status"] == "superseded"
    assert BirthPlan.objects.filter(unborn_child=baby, status="active").count() == 1
    assert (
        mia_client.patch(
            f"/api/v1/birth-plans/{plan['id']}/", {"hospital": "x"}, HTTP_IF_MATCH="4"
        ).status_code
        == 409
    )


def test_parents_not_aware_needs_a_reason(agencies, mia, family):
    body = complete_body(family, agencies, mia)
    body["parents_not_aware_reason"] = ""
    plan = client_for(mia).post("/api/v1/birth-plans/", body).json()
    gaps = errors(
        client_for(mia).post(f"/api/v1/birth-plans/{plan['id']}/activate/", {"agreed_on": "2026-11-01"})
    )
    assert set(gaps) == {"parents_not_aware_reason"}


class TestBadInput:
    def test_a_plan_for_a_person_who_is_not_unborn(self, agencies, mia, family):
        body = complete_body(family, agencies, mia)
        body["unborn_child"] = str(family[0].pk)
        body["mother"] = str(factories.person(mia).pk)
        assert "unborn_child" in errors(client_for(mia).post("/api/v1/birth-plans/", body))
        assert not BirthPlan.objects.exists()

    def test_an_expected_date_in_the_past(self, agencies, mia, family):
        body = complete_body(family, agencies, mia)
        body["expected_date"] = str(timezone.localdate() - datetime.timedelta(days=1))
        assert "expected_date" in errors(client_for(mia).post("/api/v1/birth-plans/", body))
        assert not BirthPlan.objects.exists()

    def test_a_key_contact_without_any_phone(self, agencies, mia, family):
        body = complete_body(family, agencies, mia)
        body["key_contacts"][1] = {"agency": str(agencies["edt"].pk), "name": "EDT"}
        assert "key_contacts.1.phone_out_of_hours" in errors(
            client_for(mia).post("/api/v1/birth-plans/", body)
        )
        assert not BirthPlan.objects.exists()
        assert not BirthPlanVersion.objects.exists()

    def test_an_acknowledgement_from_an_agency_not_shared_with(self, agencies, mia, family, alice):
        plan = client_for(mia).post("/api/v1/birth-plans/", complete_body(family, agencies, mia)).json()
        # Police control rooms see every plan; this one is not shared with police.
        assert client_for(alice).post(f"/api/v1/birth-plans/{plan['id']}/acknowledge/", {}).status_code == 403

    def test_a_change_without_if_match(self, agencies, mia, family):
        plan = client_for(mia).post("/api/v1/birth-plans/", complete_body(family, agencies, mia)).json()
        assert "If-Match" in errors(
            client_for(mia).patch(f"/api/v1/birth-plans/{plan['id']}/", {"hospital": "x"})
        )
        assert BirthPlan.objects.get(pk=plan["id"]).version == 1


class TestWhoMayWrite:
    def test_police_may_read_but_not_write(self, agencies, mia, family, alice):
        plan = client_for(mia).post("/api/v1/birth-plans/", complete_body(family, agencies, mia)).json()
        police = client_for(alice)
        assert police.get(f"/api/v1/birth-plans/{plan['id']}/").status_code == 200
        assert (
            police.patch(
                f"/api/v1/birth-plans/{plan['id']}/", {"hospital": "x"}, HTTP_IF_MATCH="1"
            ).status_code
            == 403
        )
        assert (
            police.post(
                f"/api/v1/birth-plans/{plan['id']}/activate/", {"agreed_on": "2026-11-01"}
            ).status_code
            == 403
        )
        body = complete_body(family, agencies, mia)
        assert police.post("/api/v1/birth-plans/", body).status_code == 403
        assert BirthPlan.objects.count() == 1

    def test_the_lead_professional_is_a_member_of_the_agency_writing_the_plan(
        self, agencies, mia, family, alice
    ):
        body = complete_body(family, agencies, alice)  # a police officer named as lead professional
        response = client_for(mia).post("/api/v1/birth-plans/", body)
        assert errors(response)["lead_professional"]
        assert not BirthPlan.objects.exists()


def test_every_read_is_audited_naming_mother_and_child(agencies, mia, family, alice):
    plan = client_for(mia).post("/api/v1/birth-plans/", complete_body(family, agencies, mia)).json()
    police = client_for(alice, reason="Welfare check after a 999 call")
    police.get(f"/api/v1/birth-plans/{plan['id']}/")
    police.get(f"/api/v1/birth-plans/{plan['id']}/versions/")
    police.get(f"/api/v1/birth-plans/{plan['id']}/versions/1/")
    police.get("/api/v1/birth-plans/", {"person": str(family[1].pk)})
    logs = AccessLog.objects.filter(user=alice, object_type="birth_plan")
    assert sorted(logs.values_list("action", flat=True)) == ["read", "read", "read", "search"]
    for log in logs:
        people = set(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True))
        assert people == {family[0].pk, family[1].pk}


def test_the_active_plan_is_in_the_linked_picture_of_everyone_linked(agencies, mia, family, alice):
    kerry, baby = family
    dean = factories.person(mia, given_name="Dean", family_name="Vale")
    factories.link(mia, dean, "father_of", baby)
    mia_client = client_for(mia)
    plan = mia_client.post("/api/v1/birth-plans/", complete_body(family, agencies, mia)).json()
    police = client_for(alice, reason="Welfare check after a 999 call")
    assert (
        police.get(f"/api/v1/people/{dean.pk}/network/").json()["birth_plans"] == []
    )  # a draft is not shown
    mia_client.post(f"/api/v1/birth-plans/{plan['id']}/activate/", {"agreed_on": str(timezone.localdate())})
    for person in (kerry, baby, dean):
        plans = police.get(f"/api/v1/people/{person.pk}/network/").json()["birth_plans"]
        assert [p["id"] for p in plans] == [plan["id"]], person
    shown = plans[0]
    assert shown["home_birth_contingency"].startswith("Ambulance to take mother")
    assert shown["out_of_hours_instructions"].startswith("Call the EDT")
    assert shown["parents_aware_of_plan"] is False
    assert {c["agency"]["code"] for c in shown["key_contacts_out_of_hours"]} >= {"police", "edt"}


def test_the_plan_stays_findable_from_the_baby_once_born(agencies, mia, family, alice):
    _mother, baby = family
    mia_client = client_for(mia)
    plan = mia_client.post("/api/v1/birth-plans/", complete_body(family, agencies, mia)).json()
    mia_client.post(f"/api/v1/birth-plans/{plan['id']}/activate/", {"agreed_on": str(timezone.localdate())})
    born = mia_client.post(
        f"/api/v1/people/{baby.pk}/birth/", {"date_of_birth": str(timezone.localdate()), "place": "At home"}
    )
    assert born.status_code == 200, born.content
    police = client_for(alice, reason="Welfare check after a 999 call")
    assert [p["id"] for p in police.get(f"/api/v1/people/{baby.pk}/network/").json()["birth_plans"]] == [
        plan["id"]
    ]
    found = police.get("/api/v1/birth-plans/", {"person": str(baby.pk)}).json()["results"]
    assert [p["id"] for p in found] == [plan["id"]]
