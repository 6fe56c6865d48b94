"""A key contact's numbers follow the one phone number rule (ooh/accounts/phones.py): a short or service
number is a number; anything else is a 400 naming the contact's field, and nothing is written."""

import pytest

from ooh.plans.models import BirthPlan, BirthPlanVersion, KeyContact
from tests.accounts.test_phones import ACCEPTED, REFUSED
from tests.answers import errors
from tests.personas import client_for
from tests.plans.test_birth_plans import agencies, complete_body, family  # noqa: F401  # fixtures

pytestmark = pytest.mark.django_db

FIELDS = ["phone_in_hours", "phone_out_of_hours"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("number", ACCEPTED)
def test_a_key_contact_may_give_any_phone_number(agencies, mia, family, field, number):  # noqa: F811
    body = complete_body(family, agencies, mia)
    body["key_contacts"][1] = {"agency": str(agencies["edt"].pk), "name": "EDT duty manager", field: number}
    response = client_for(mia).post("/api/v1/birth-plans/", body)
    assert response.status_code == 201, response.content
    assert response.json()["key_contacts"][1][field] == number
    assert (
        getattr(KeyContact.objects.get(plan_id=response.json()["id"], name="EDT duty manager"), field)
        == number
    )


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("number", [n for n in REFUSED if n.strip() == n])  # the API trims spaces
def test_anything_else_is_a_400_naming_the_contacts_field(agencies, mia, family, field, number):  # noqa: F811
    body = complete_body(family, agencies, mia)
    body["key_contacts"][1] = {"agency": str(agencies["edt"].pk), "name": "EDT", "phone_in_hours": "999"}
    body["key_contacts"][1][field] = number
    refused = errors(client_for(mia).post("/api/v1/birth-plans/", body))
    assert set(refused) == {f"key_contacts.1.{field}"}
    assert not BirthPlan.objects.exists()
    assert not BirthPlanVersion.objects.exists()


def test_a_patch_is_held_to_the_same_rule(agencies, mia, family):  # noqa: F811
    client = client_for(mia)
    plan = client.post("/api/v1/birth-plans/", complete_body(family, agencies, mia)).json()
    contacts = [{"agency": str(agencies["edt"].pk), "name": "EDT", "phone_out_of_hours": "0800 CHILDLINE"}]
    refused = errors(
        client.patch(f"/api/v1/birth-plans/{plan['id']}/", {"key_contacts": contacts}, HTTP_IF_MATCH="1")
    )
    assert set(refused) == {"key_contacts.0.phone_out_of_hours"}
    assert BirthPlan.objects.get(pk=plan["id"]).version == 1
    contacts[0]["phone_out_of_hours"] = "116 000"
    response = client.patch(
        f"/api/v1/birth-plans/{plan['id']}/", {"key_contacts": contacts}, HTTP_IF_MATCH="1"
    )
    assert response.status_code == 200, response.content
    assert response.json()["key_contacts"][0]["phone_out_of_hours"] == "116 000"
