"""Bounds on lists and text in people, incidents and birth plans; search folds what is typed."""

import datetime
import importlib
import json
import uuid

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from ooh.incidents.models import Incident
from ooh.people.models import Address, Person, PersonIdentifier
from ooh.people.search import search_form
from ooh.plans.models import BirthPlan, BirthPlanVersion
from tests import factories
from tests.personas import client_for

from .refusals import PEOPLE, PURPOSE, refusal

# --- 8. List and text sizes -----------------------------------------------------------------------


def _identifiers(count):
    return [{"scheme": "local", "value": f"L{i}"} for i in range(count)]


@pytest.mark.django_db
class TestPersonLists:
    def test_more_than_50_identifiers_is_400_naming_the_field_and_writes_nothing(self, alice_client):
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "identifiers": _identifiers(51)})
        assert "50" in refusal(response, 400, "max_length", "identifiers")
        assert not Person.objects.exists()
        assert not PersonIdentifier.objects.exists()

    def test_ten_thousand_identifiers_are_refused_before_any_is_looked_at(
        self, alice_client, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(10):
            response = alice_client.post(PEOPLE, {"family_name": "Vale", "identifiers": _identifiers(10_000)})
        refusal(response, 400, "max_length", "identifiers")

    def test_50_identifiers_are_kept(self, alice_client):
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "identifiers": _identifiers(50)})
        assert response.status_code == 201, response.content
        assert PersonIdentifier.objects.count() == 50

    def test_too_many_aliases_is_400_naming_the_field(self, alice_client):
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "aliases": ["K"] * 10_000})
        refusal(response, 400, "max_length", "aliases")
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "aliases": ["K"] * 51})
        refusal(response, 400, "max_length", "aliases")
        assert not Person.objects.exists()

    def test_fifty_aliases_are_accepted(self, alice_client):
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "aliases": [f"K{n}" for n in range(50)]})
        assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_ten_thousand_incident_subjects_are_refused_before_any_is_looked_up(
    alice_client, django_assert_max_num_queries
):
    subjects = [str(uuid.uuid4()) for _ in range(10_000)]
    with django_assert_max_num_queries(10):
        response = alice_client.post(
            "/api/v1/incidents/", {"kind": "welfare_concern", "summary": "Check", "subjects": subjects}
        )
    refusal(response, 400, "max_length", "subjects")
    assert not Incident.objects.exists()


@pytest.fixture
def plan_body(mia, midwifery):
    kerry = factories.person(mia, given_name="Kerry", family_name="Vale")
    baby = factories.person(
        mia,
        family_name="Vale",
        status="unborn",
        expected_date=timezone.localdate() + datetime.timedelta(days=7),
    )
    factories.link(mia, kerry, "mother_of", baby)
    return {
        "mother": str(kerry.pk),
        "unborn_child": str(baby.pk),
        "expected_date": str(timezone.localdate() + datetime.timedelta(days=7)),
        "key_contacts": [{"agency": str(midwifery.pk), "name": "Mia", "phone_out_of_hours": "01632 960101"}],
    }


def _contacts(agency, count):
    return [
        {"agency": str(agency.pk), "name": f"Contact {i}", "phone_in_hours": "01632 960101"}
        for i in range(count)
    ]


@pytest.mark.django_db
class TestBirthPlanBounds:
    def test_more_than_50_key_contacts_is_400_naming_the_field_and_writes_nothing(
        self, mia, midwifery, plan_body
    ):
        body = {**plan_body, "key_contacts": _contacts(midwifery, 51)}
        refusal(client_for(mia).post("/api/v1/birth-plans/", body), 400, "max_length", "key_contacts")
        assert not BirthPlan.objects.exists()

    def test_8000_key_contacts_are_refused_before_any_agency_is_looked_up(
        self, mia, midwifery, plan_body, django_assert_max_num_queries
    ):
        body = {**plan_body, "key_contacts": _contacts(midwifery, 8_000)}
        client = client_for(mia)
        with django_assert_max_num_queries(10):
            response = client.post("/api/v1/birth-plans/", body)
        refusal(response, 400, "max_length", "key_contacts")

    def test_more_than_50_people_excluded_is_400_naming_the_field(self, mia, plan_body):
        excluded = [{"name": f"Person {i}", "reason": "Threats to staff"} for i in range(51)]
        response = client_for(mia).post("/api/v1/birth-plans/", {**plan_body, "people_excluded": excluded})
        refusal(response, 400, "max_length", "people_excluded")
        assert not BirthPlan.objects.exists()

    @pytest.mark.parametrize(
        ("field", "bound"),
        [
            ("plan_at_birth", 5000),
            ("home_birth_contingency", 5000),
            ("out_of_hours_instructions", 5000),
            ("discharge_arrangements", 5000),
            ("parents_not_aware_reason", 2000),
            ("planned_place_of_birth", 200),
            ("hospital", 200),
        ],
    )
    def test_free_text_over_its_bound_is_400_saying_the_bound(self, mia, plan_body, field, bound):
        response = client_for(mia).post("/api/v1/birth-plans/", {**plan_body, field: "x" * (bound + 1)})
        assert str(bound) in refusal(response, 400, "max_length", field)

    def test_each_stored_version_is_a_bounded_copy(self, mia, midwifery, plan_body):
        """The largest plan the API accepts is stored in well under 100 kB per version."""
        longest = {
            "plan_at_birth": "x" * 5000,
            "home_birth_contingency": "x" * 5000,
            "out_of_hours_instructions": "x" * 5000,
            "discharge_arrangements": "x" * 5000,
            "parents_not_aware_reason": "x" * 2000,
            "planned_place_of_birth": "x" * 200,
            "hospital": "x" * 200,
            "people_excluded": [{"name": "n" * 150, "reason": "r" * 500}] * 50,
            "key_contacts": [
                {
                    "agency": str(midwifery.pk),
                    "name": "n" * 150,
                    "role": "r" * 150,
                    "phone_in_hours": "01632 960101",
                    "phone_out_of_hours": "01632 960101",
                }
            ]
            * 50,
        }
        response = client_for(mia).post("/api/v1/birth-plans/", {**plan_body, **longest})
        assert response.status_code == 201, response.content
        version = BirthPlanVersion.objects.get(plan_id=response.json()["id"])
        assert len(json.dumps(version.snapshot)) < 100_000

    def test_sharing_with_ten_thousand_agencies_is_refused_before_any_is_looked_up(
        self, mia, plan_body, django_assert_max_num_queries
    ):
        client = client_for(mia)
        plan = client.post("/api/v1/birth-plans/", plan_body).json()
        agencies = [str(uuid.uuid4()) for _ in range(10_000)]
        with django_assert_max_num_queries(12):
            response = client.post(f"/api/v1/birth-plans/{plan['id']}/share/", {"agencies": agencies})
        refusal(response, 400, "max_length", "agencies")


# --- 9. Search normalisation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Kerry", "kerry"),
        ("Ke\u200brry", "kerry"),  # zero-width space
        ("Ke\u200crr\u200dy", "kerry"),  # zero-width non-joiner and joiner
        ("\u202eKerry\u202c", "kerry"),  # bidi override and pop
        ("Ker\u00adry", "kerry"),  # soft hyphen
        ("\ufeffKerry", "kerry"),  # byte order mark
        ("\uff2b\uff45\uff52\uff52\uff59", "kerry"),  # full-width letters
        ("KERRY VALE", "kerry vale"),
        ("Stra\u00dfe", "strasse"),  # case folding, not just lower case
        ("Zo\u0065\u0301", "zo\u00e9"),  # a combining accent composes
    ],
)
def test_search_form_folds_names(typed, folded):
    assert search_form(typed) == folded


@pytest.mark.django_db
class TestSearchNormalisation:
    def _found(self, client, query, url=PEOPLE):
        response = client.get(url, {"search": query}, **PURPOSE)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    def test_a_zero_width_character_in_the_query_still_finds_the_name(self, alice, alice_client):
        kerry = factories.person(alice, given_name="Kerry", family_name="Vale")
        assert self._found(alice_client, "Ke\u200brry") == {str(kerry.pk)}

    def test_a_name_stored_with_a_zero_width_character_is_found_typed_plainly(self, alice, alice_client):
        kerry = factories.person(alice, given_name="Ke\u200brry", family_name="Va\u200dle")
        assert self._found(alice_client, "Kerry Vale") == {str(kerry.pk)}

    def test_full_width_letters_match(self, alice, alice_client):
        kerry = factories.person(alice, given_name="Kerry", family_name="Vale", aliases=["\uff2b\uff4c"])
        assert self._found(alice_client, "\uff2b\uff45\uff52\uff52\uff59") == {str(kerry.pk)}
        assert self._found(alice_client, "kl") == {str(kerry.pk)}

    def test_addresses_fold_the_same_way(self, alice, alice_client):
        home = factories.address(alice, line1="14 Larch\u200b Close", postcode="NE3 2QX")
        assert self._found(alice_client, "LARCH", url="/api/v1/addresses/") == {str(home.pk)}

    def test_the_migration_refolds_rows_stored_before(self, alice):
        kerry = factories.person(alice, given_name="Ke\u200brry", family_name="VALE", aliases=["\uff2b"])
        home = factories.address(alice, line1="14 Larch\u200b Close")
        # as the older code stored them: lower-cased only
        Person.objects.filter(pk=kerry.pk).update(search_text="ke\u200brry vale \uff4b")
        Address.objects.filter(pk=home.pk).update(search_text="14 larch\u200b close  ne1 4st")
        migration = importlib.import_module("ooh.people.migrations.0003_search_text_in_search_form")
        migration.fold_search_text(django_apps, None)
        assert Person.objects.get(pk=kerry.pk).search_text == "kerry vale k"
        assert Address.objects.get(pk=home.pk).search_text == "14 larch close   ne1 4st"
