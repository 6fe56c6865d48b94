"""People, addresses, links and flags through the API: bad input refused, writes permitted, reads audited."""

import datetime

import pytest
from django.utils import timezone
from fhir.resources.R4B.flag import Flag as FhirFlag

from ooh.accounts.models import Role
from ooh.audit.models import AccessedPerson, AccessLog
from ooh.flags.models import Flag, FlagVersion
from ooh.people.models import Address, Person, PersonIdentifier, Relationship
from tests import factories
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def _error(response, status=400):
    assert response.status_code == status, response.content
    return response.json()["errors"][0]


def _counts():
    return (
        Person.objects.count(),
        Address.objects.count(),
        Relationship.objects.count(),
        Flag.objects.count(),
    )


class TestBadInputIsRefusedNamingTheField:
    def _flag_body(self, **overrides):
        body = {
            "category": "violence",
            "severity": "medium",
            "summary": "Assaulted a neighbour",
            "valid_from": timezone.now().isoformat(),
        }
        return {**body, **overrides}

    def test_flag_with_both_or_neither_subject(self, alice, alice_client):
        kerry = factories.person(alice, given_name="Kerry")
        home = factories.address(alice)
        before = _counts()
        both = self._flag_body(subject_person=str(kerry.pk), subject_address=str(home.pk))
        assert _error(alice_client.post("/api/v1/flags/", both))["attr"] == "subject_person"
        assert _error(alice_client.post("/api/v1/flags/", self._flag_body()))["attr"] == "subject_person"
        assert _counts() == before

    @pytest.mark.parametrize(("field", "value"), [("category", "gossip"), ("severity", "extreme")])
    def test_flag_with_unknown_category_or_severity(self, alice, alice_client, field, value):
        kerry = factories.person(alice)
        before = _counts()
        body = self._flag_body(subject_person=str(kerry.pk), **{field: value})
        error = _error(alice_client.post("/api/v1/flags/", body))
        assert (error["attr"], error["code"]) == (field, "invalid_choice")
        assert _counts() == before

    def test_flag_valid_until_before_valid_from(self, alice, alice_client):
        kerry = factories.person(alice)
        now = timezone.now()
        body = self._flag_body(
            subject_person=str(kerry.pk),
            valid_from=now.isoformat(),
            valid_until=(now - datetime.timedelta(hours=1)).isoformat(),
        )
        assert _error(alice_client.post("/api/v1/flags/", body))["attr"] == "valid_until"
        assert not Flag.objects.exists()

    @pytest.mark.parametrize("severity", ["high", "critical"])
    def test_high_or_critical_flag_without_review_by(self, alice, alice_client, severity):
        kerry = factories.person(alice)
        body = self._flag_body(subject_person=str(kerry.pk), severity=severity)
        assert _error(alice_client.post("/api/v1/flags/", body))["attr"] == "review_by"
        assert not Flag.objects.exists()

    def test_summary_over_200_characters(self, alice, alice_client):
        kerry = factories.person(alice)
        body = self._flag_body(subject_person=str(kerry.pk), summary="x" * 201)
        assert _error(alice_client.post("/api/v1/flags/", body))["attr"] == "summary"

    def test_relationship_to_oneself(self, alice, alice_client):
        kerry = factories.person(alice)
        body = {"from_person": str(kerry.pk), "to_person": str(kerry.pk), "kind": "partner_of"}
        assert _error(alice_client.post("/api/v1/relationships/", body))["attr"] == "to_person"
        assert not Relationship.objects.exists()

    def test_duplicate_identifier(self, alice, alice_client):
        factories.person(alice, identifiers=[{"scheme": "nhs_number", "value": "9434765919"}])
        before = _counts()
        body = {"family_name": "Other", "identifiers": [{"scheme": "nhs_number", "value": "9434765919"}]}
        assert _error(alice_client.post("/api/v1/people/", body))["attr"] == "identifiers.0.value"
        assert _counts() == before
        # The same value under another scheme is a different identifier.
        body["identifiers"][0]["scheme"] = "local"
        assert alice_client.post("/api/v1/people/", body).status_code == 201

    def test_unborn_person_with_a_date_of_birth(self, alice_client):
        body = {
            "family_name": "Vale",
            "status": "unborn",
            "date_of_birth": "2026-01-01",
            "expected_date": str(timezone.localdate() + datetime.timedelta(days=7)),
        }
        assert _error(alice_client.post("/api/v1/people/", body))["attr"] == "date_of_birth"
        assert not Person.objects.exists()

    def test_unborn_person_without_an_expected_date(self, alice_client):
        assert _error(alice_client.post("/api/v1/people/", {"family_name": "Vale", "status": "unborn"}))[
            "attr"
        ] == ("expected_date")

    def test_malformed_postcode(self, alice_client):
        body = {"line1": "1 Road", "postcode": "NOT A CODE"}
        assert _error(alice_client.post("/api/v1/addresses/", body))["attr"] == "postcode"
        assert not Address.objects.exists()


class TestPeopleAndAddresses:
    def test_postcode_is_normalised_upper_case_with_one_space(self, alice_client):
        response = alice_client.post(
            "/api/v1/addresses/", {"line1": "14 Larch Close", "postcode": " ne3   2qx "}
        )
        assert response.status_code == 201
        assert response.json()["postcode"] == "NE3 2QX"

    def test_person_is_created_with_identifiers_and_current_address(self, alice, alice_client):
        home = factories.address(alice)
        body = {
            "given_name": "Kerry",
            "family_name": "Vale",
            "identifiers": [{"scheme": "nhs_number", "value": "9434765919"}],
            "current_address": str(home.pk),
        }
        person = alice_client.post("/api/v1/people/", body).json()
        assert person["current_address"] == str(home.pk)
        assert person["identifiers"] == [{"scheme": "nhs_number", "value": "9434765919"}]
        assert person["status"] == "living"

    def test_moving_house_keeps_the_old_address_as_past(self, alice, alice_client):
        old, new = factories.address(alice, line1="1 Old Road"), factories.address(alice, line1="2 New Road")
        kerry = factories.person(alice, current_address=old)
        response = alice_client.patch(f"/api/v1/people/{kerry.pk}/", {"current_address": str(new.pk)})
        assert response.json()["current_address"] == str(new.pk)
        assert list(kerry.residences.order_by("created_at").values_list("current", flat=True)) == [
            False,
            True,
        ]

    def test_a_birth_is_recorded_through_its_own_route_never_by_a_change_of_status(self, alice, alice_client):
        """POST /people/{id}/birth/ tells the lead professional and the plan's agencies; a PATCH would not."""
        baby = factories.person(
            alice, status="unborn", expected_date=timezone.localdate() + datetime.timedelta(days=3)
        )
        refused = alice_client.patch(
            f"/api/v1/people/{baby.pk}/", {"status": "living", "date_of_birth": str(timezone.localdate())}
        )
        assert refused.status_code == 409
        assert refused.json()["errors"][0]["code"] == "record_the_birth"
        baby.refresh_from_db()
        assert (baby.status, baby.date_of_birth) == ("unborn", None)
        born = alice_client.post(
            f"/api/v1/people/{baby.pk}/birth/",
            {"date_of_birth": str(timezone.localdate()), "place": "At home"},
        )
        assert born.status_code == 200
        assert born.json()["status"] == "living"

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("kerry", {"Kerry"}),
            ("KEZ", {"Kerry"}),
            ("vale", {"Kerry", "Dean"}),
            ("9434765919", {"Kerry"}),
            ("ne32qx", {"Kerry", "Dean"}),
        ],
    )
    def test_search_by_name_alias_identifier_or_postcode(self, alice, alice_client, query, expected):
        home = factories.address(alice, postcode="NE3 2QX")
        factories.person(
            alice,
            given_name="Kerry",
            family_name="Vale",
            aliases=["Kez"],
            current_address=home,
            identifiers=[{"scheme": "nhs_number", "value": "9434765919"}],
        )
        factories.person(alice, given_name="Dean", family_name="Vale", current_address=home)
        factories.person(alice, given_name="Someone", family_name="Else")
        results = alice_client.get("/api/v1/people/", {"search": query}).json()["results"]
        assert {p["given_name"] for p in results} == expected

    def test_search_by_date_of_birth(self, alice, alice_client):
        factories.person(alice, given_name="Kerry", date_of_birth=datetime.date(1999, 4, 2))
        factories.person(alice, given_name="Dean", date_of_birth=datetime.date(1996, 11, 20))
        results = alice_client.get("/api/v1/people/", {"date_of_birth": "1999-04-02"}).json()["results"]
        assert [p["given_name"] for p in results] == ["Kerry"]

    def test_address_search_by_any_part_or_postcode(self, alice, alice_client):
        factories.address(alice, line1="14 Larch Close", town="Northshire", postcode="NE3 2QX")
        factories.address(alice, line1="2 Elm Road", postcode="NE1 4ST")
        for query in ["larch", "14 larch close", "NE3 2QX", "ne32qx"]:
            results = alice_client.get("/api/v1/addresses/", {"search": query}).json()["results"]
            assert [a["line1"] for a in results] == ["14 Larch Close"], query

    def test_every_read_of_a_person_is_audited_naming_them(self, alice, alice_client):
        kerry = factories.person(alice, given_name="Kerry")
        alice_client.get(f"/api/v1/people/{kerry.pk}/")
        alice_client.get("/api/v1/people/", {"search": "kerry"})
        logs = AccessLog.objects.filter(object_type="person", action__in=["read", "search"], user=alice)
        assert logs.count() == 2
        for log in logs:
            assert list(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True)) == [
                kerry.pk
            ]

    def test_relationship_can_be_removed_and_the_removal_is_audited(self, alice, alice_client):
        kerry, dean = factories.person(alice), factories.person(alice)
        link = factories.link(alice, dean, "partner_of", kerry)
        assert alice_client.delete(f"/api/v1/relationships/{link.pk}/").status_code == 204
        link.refresh_from_db()
        assert (link.ended_by, link.end_reason) == (alice, "Welfare check after a 999 call")
        assert not Relationship.objects.current().exists()
        assert AccessLog.objects.filter(
            object_type="relationship", action="revoke", object_ids=[str(link.pk)]
        ).exists()


class TestFlagOwnership:
    @pytest.fixture
    def kerrys_flag(self, alice):
        return factories.flag(alice, on=factories.person(alice, given_name="Kerry"), category="mental_health")

    def test_anyone_who_can_see_the_subject_may_raise_a_flag_and_owns_it(self, mia):
        """A midwife with Kerry on her agency's caseload raises a flag: her agency's, owned by her."""
        midwife = mia
        kerry = factories.person(midwife)
        response = client_for(midwife).post(
            "/api/v1/flags/",
            {
                "subject_person": str(kerry.pk),
                "category": "medical",
                "severity": "low",
                "summary": "Epilepsy",
                "valid_from": timezone.now().isoformat(),
            },
        )
        assert response.status_code == 201
        body = response.json()
        assert body["owner"]["id"] == str(midwife.pk)
        assert body["source_agency"]["code"] == "midwifery"
        assert body["group"] == "health"
        assert body["status"] == "active"

    def test_the_owner_may_edit_and_every_version_is_kept(self, alice, alice_client, kerrys_flag):
        response = alice_client.patch(f"/api/v1/flags/{kerrys_flag.pk}/", {"summary": "Sectioned in 2024"})
        assert response.status_code == 200
        assert response.json()["version"] == 2
        history = alice_client.get(f"/api/v1/flags/{kerrys_flag.pk}/history/").json()
        assert [(v["version"], v["change"], v["snapshot"]["summary"]) for v in history] == [
            (1, "raised", "mental_health marker"),
            (2, "edited", "Sectioned in 2024"),
        ]

    def test_a_colleague_who_is_not_a_manager_may_not_edit_or_revoke(self, alice, police, kerrys_flag):
        colleague = client_for(factories.member(role=Role.CALL_HANDLER, agency=police))
        assert colleague.patch(f"/api/v1/flags/{kerrys_flag.pk}/", {"summary": "x"}).status_code == 403
        assert colleague.post(f"/api/v1/flags/{kerrys_flag.pk}/revoke/", {"reason": "x"}).status_code == 403
        assert FlagVersion.objects.filter(flag=kerrys_flag).count() == 1

    def test_a_manager_of_the_owners_agency_may_revoke(self, mo, kerrys_flag):
        manager = client_for(mo)
        response = manager.post(f"/api/v1/flags/{kerrys_flag.pk}/revoke/", {"reason": "Recorded in error"})
        assert response.status_code == 200
        assert response.json()["status"] == "revoked"
        assert response.json()["revoked_reason"] == "Recorded in error"

    def test_a_manager_of_another_agency_may_not(self, ambulance, kerrys_flag):
        """Another agency's manager has no case on Kerry: her flag is not even there for them."""
        manager = client_for(factories.member(role=Role.MANAGER, agency=ambulance))
        assert manager.post(f"/api/v1/flags/{kerrys_flag.pk}/revoke/", {"reason": "x"}).status_code == 404

    def test_an_admin_administers_and_does_no_casework(self, ambulance, police, kerrys_flag):
        for agency in (ambulance, police):
            admin = client_for(factories.member(role=Role.ADMIN, agency=agency))
            assert admin.patch(f"/api/v1/flags/{kerrys_flag.pk}/", {"severity": "medium"}).status_code == 404

    def test_revoking_needs_a_reason_and_happens_once(self, alice_client, kerrys_flag):
        assert (
            _error(alice_client.post(f"/api/v1/flags/{kerrys_flag.pk}/revoke/", {"reason": ""}))["attr"]
            == "reason"
        )
        assert (
            alice_client.post(f"/api/v1/flags/{kerrys_flag.pk}/revoke/", {"reason": "Resolved"}).status_code
            == 200
        )
        assert _error(alice_client.post(f"/api/v1/flags/{kerrys_flag.pk}/revoke/", {"reason": "Again"}), 409)
        assert Flag.objects.filter(pk=kerrys_flag.pk).exists()  # never deleted

    def test_flags_are_never_deleted_through_the_api(self, alice_client, kerrys_flag):
        assert alice_client.delete(f"/api/v1/flags/{kerrys_flag.pk}/").status_code == 405

    def test_list_filters_by_person_address_and_status(self, alice, alice_client, kerrys_flag):
        other = factories.flag(alice, on=factories.address(alice), category="dangerous_animal")
        by_person = alice_client.get("/api/v1/flags/", {"person": str(kerrys_flag.subject_person_id)}).json()
        assert [f["id"] for f in by_person["results"]] == [str(kerrys_flag.pk)]
        by_address = alice_client.get("/api/v1/flags/", {"address": str(other.subject_address_id)}).json()
        assert [f["id"] for f in by_address["results"]] == [str(other.pk)]
        alice_client.post(f"/api/v1/flags/{other.pk}/revoke/", {"reason": "Dog rehomed"})
        active = alice_client.get("/api/v1/flags/", {"status": "active"}).json()["results"]
        assert [f["id"] for f in active] == [str(kerrys_flag.pk)]
        assert _error(alice_client.get("/api/v1/flags/", {"status": "sleeping"}))["attr"] == "status"

    def test_every_flag_read_is_audited(self, alice, alice_client, kerrys_flag):
        alice_client.get(f"/api/v1/flags/{kerrys_flag.pk}/", HTTP_X_ACCESS_REASON="review")
        log = AccessLog.objects.get(object_type="flag", action="read")
        assert log.reason == "review"
        assert list(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True)) == [
            kerrys_flag.subject_person_id
        ]


class TestFhirExport:
    def test_a_person_flag_is_a_valid_fhir_r4_flag(self, alice, alice_client):
        kerry = factories.person(alice, given_name="Kerry", family_name="Vale")
        flag = factories.flag(
            alice,
            on=kerry,
            category="threats_to_staff",
            severity="critical",
            valid_until=timezone.now() + datetime.timedelta(days=365),
        )
        resource = alice_client.get(f"/api/v1/flags/{flag.pk}/fhir/").json()
        parsed = FhirFlag.model_validate(resource)
        assert parsed.status == "active"
        assert parsed.subject.reference == f"Patient/{kerry.pk}"
        assert parsed.category[0].coding[0].code == "safety"
        assert parsed.code.coding[0].code == "threats_to_staff"
        assert parsed.author.reference == f"Organization/{flag.source_agency_id}"
        assert parsed.period.start is not None
        assert parsed.period.end is not None
        assert AccessLog.objects.filter(object_type="flag", action="export").count() == 1

    def test_an_address_flag_refers_to_a_location_and_a_revoked_one_is_inactive(self, alice, alice_client):
        flag = factories.flag(alice, on=factories.address(alice), category="dangerous_animal")
        alice_client.post(f"/api/v1/flags/{flag.pk}/revoke/", {"reason": "Dog rehomed"})
        parsed = FhirFlag.model_validate(alice_client.get(f"/api/v1/flags/{flag.pk}/fhir/").json())
        assert parsed.subject.reference == f"Location/{flag.subject_address_id}"
        assert parsed.status == "inactive"
        assert parsed.period.end is not None


def test_identifiers_are_unique_per_scheme_in_the_database(alice):
    from django.db import IntegrityError, transaction

    kerry = factories.person(alice, identifiers=[{"scheme": "pnc_id", "value": "1"}])
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonIdentifier.objects.create(person=factories.person(alice), scheme="pnc_id", value="1")
    assert kerry.identifiers.count() == 1


def test_a_retried_record_with_one_idempotency_key_is_written_once(alice_client):
    """Phones on bad networks retry: every POST of the picture's records honours Idempotency-Key."""
    body = {"family_name": "Vale", "given_name": "Kerry"}
    first = alice_client.post("/api/v1/people/", body, HTTP_IDEMPOTENCY_KEY="person-0000001")
    again = alice_client.post("/api/v1/people/", body, HTTP_IDEMPOTENCY_KEY="person-0000001")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Person.objects.filter(family_name="Vale").count() == 1
