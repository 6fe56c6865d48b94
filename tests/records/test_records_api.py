"""The records over HTTP: a chronology's formats, its audit row and its bad input; subject access for
the data protection officer only; legal holds placed and refused. Who may reach each route at all is
the authorisation matrix's (tests/access/matrix/after.py); these are the rules inside it."""

import csv
import io
import json
import subprocess

import pytest

from ooh.audit.models import AccessAction, AccessLog
from ooh.records.models import LegalHold
from tests.answers import errors
from tests.personas import client_for, persona

pytestmark = pytest.mark.django_db

SAR = "SAR-2026-0042: Kerry Vale asked for everything held about her"


def _chronology(night, name="carol", **params):
    return client_for(night.world.users[name]).get(
        f"/api/v1/incidents/{night.incident.pk}/chronology/", params
    )


class TestChronology:
    def test_json_is_read_and_audited_naming_the_family(self, night):
        response = _chronology(night)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["reference"] == night.incident.reference
        assert {"at", "kind", "actor", "agency", "summary", "source", "ids"} <= set(body["items"][0])
        row = AccessLog.objects.filter(object_type="incident_chronology").get()
        assert (row.action, row.user, row.incident_id) == (
            AccessAction.READ,
            night.world.carol,
            night.incident.pk,
        )
        named = {p.person_id for p in row.people.all()}
        assert {night.world.kerry.pk, night.world.baby.pk, night.world.dean.pk} <= named
        assert row.detail == {"format": "json", "pseudonymised": False}

    @pytest.mark.parametrize(("fmt", "content_type"), [("csv", "text/csv"), ("pdf", "application/pdf")])
    def test_a_document_is_an_export(self, night, fmt, content_type):
        response = _chronology(night, format=fmt)
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        assert f'filename="{night.incident.reference}-chronology.{fmt}"' in response["Content-Disposition"]
        row = AccessLog.objects.filter(object_type="incident_chronology").get()
        assert (row.action, row.detail["format"]) == (AccessAction.EXPORT, fmt)

    def test_the_csv_and_the_pdf_say_what_the_json_says(self, night):
        items = _chronology(night).json()["items"]
        rows = list(csv.DictReader(io.StringIO(_chronology(night, format="csv").content.decode())))
        assert [r["summary"] for r in rows][: len(items)] == [i["summary"] for i in items]
        pdf = _chronology(night, format="pdf").content
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
        words = " ".join(text.decode().split())
        assert "OFFICIAL-SENSITIVE" in words
        assert "unanswered for 47 minutes" in words

    def test_pseudonymised_for_publication(self, night):
        response = _chronology(night, pseudonymise="true")
        assert response.status_code == 200
        dumped = json.dumps(response.json())
        for name in ("Kerry", "Vale", "Dana", "alice", "Larch Close", night.incident.reference):
            assert name not in dumped
        assert "Mother" in dumped
        assert response.json()["reference"].startswith("Family ")

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"format": "docx"}, "format"),
            ({"pseudonymise": "perhaps"}, "pseudonymise"),
            ({"fromat": "pdf"}, "fromat"),
        ],
    )
    def test_bad_input_is_a_400_naming_it_and_nothing_is_read(self, night, params, field):
        assert field in errors(_chronology(night, **params))
        assert not AccessLog.objects.filter(object_type="incident_chronology").exists()

    @pytest.mark.parametrize("name", ["dana", "alice", "hale", "omar", "sam", "max"])
    def test_outside_oversight_it_does_not_exist(self, night, name):
        """Casework roles on the incident read the incident, not its chronology; another council's
        manager is not on it."""
        assert _chronology(night, name).status_code == 404

    def test_a_read_costs_a_bounded_number_of_queries(self, night, django_assert_max_num_queries):
        client = client_for(night.world.carol)
        with django_assert_max_num_queries(32):  # token 2, policy 2, chronology ~19, audit ~4
            assert client.get(f"/api/v1/incidents/{night.incident.pk}/chronology/").status_code == 200


class TestConcernChronology:
    def test_the_receiving_agencys_manager_reads_it(self, story):
        response = client_for(story.world.carol).get(f"/api/v1/concerns/{story.concern.pk}/chronology/")
        assert response.status_code == 200, response.content
        kinds = [i["kind"] for i in response.json()["items"]]
        assert (
            kinds.index("concern.raised") < kinds.index("referral.made") < kinds.index("referral.allocated")
        )
        row = AccessLog.objects.filter(object_type="concern_chronology").get()
        assert row.incident_id is None
        named = {p.person_id for p in row.people.all()}
        assert {story.world.mother.pk, story.world.baby.pk, story.world.father.pk} <= named

    def test_the_owner_who_is_not_a_manager_may_not(self, story):
        owner = story.concern.owner
        assert client_for(owner).get(f"/api/v1/concerns/{story.concern.pk}/chronology/").status_code == 404


class TestSubjectAccess:
    @pytest.fixture
    def dora(self, night):
        return client_for(persona("dora"), reason=SAR)

    def test_the_data_protection_officer_exports_it_audited(self, night, dora):
        kerry = night.world.kerry
        response = dora.get(f"/api/v1/people/{kerry.pk}/subject-access/")
        assert response.status_code == 200, response.content
        export = response.json()
        assert export["person"]["id"] == str(kerry.pk)
        assert export["sections"]["accesses"]
        row = AccessLog.objects.get(object_type="subject_access")
        assert (row.action, row.reason) == (AccessAction.EXPORT, SAR)
        assert row.detail["disclosed_to"] == "the data subject (subject access request)"
        named = {str(p.person_id) for p in row.people.all()}
        assert named == {str(kerry.pk), *(p["id"] for p in export["third_party_people"])}

    def test_as_pdf(self, night, dora):
        response = dora.get(f"/api/v1/people/{night.world.kerry.pk}/subject-access/", {"format": "pdf"})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"

    def test_the_request_must_be_named(self, night):
        dora = client_for(persona("dora"))
        assert "X-Access-Reason" in errors(dora.get(f"/api/v1/people/{night.world.kerry.pk}/subject-access/"))
        assert not AccessLog.objects.filter(object_type="subject_access").exists()

    @pytest.mark.parametrize("name", ["carol", "dana", "alice", "ada"])
    def test_anyone_else_finds_nothing(self, night, name):
        client = client_for(night.world.users[name], reason=SAR)
        assert client.get(f"/api/v1/people/{night.world.kerry.pk}/subject-access/").status_code == 404
        assert not AccessLog.objects.filter(object_type="subject_access").exists()


class TestLegalHolds:
    def test_placed_by_the_data_protection_officer(self, night):
        dora = client_for(persona("dora"))
        body = {"scope": "incident", "id": str(night.incident.pk), "reason": "The coroner asked for it"}
        response = dora.post("/api/v1/legal-holds/", body, format="json")
        assert response.status_code == 201, response.content
        assert LegalHold.objects.get().target_id == night.incident.pk
        listed = dora.get("/api/v1/legal-holds/").json()["results"]
        assert [h["id"] for h in listed] == [response.json()["id"]]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"scope": "family", "reason": "The coroner asked for it"}, "scope"),
            ({"scope": "incident", "reason": "short"}, "reason"),
            ({"scope": "person", "reason": "The coroner asked for it"}, "id"),  # an incident's id
        ],
    )
    def test_bad_input_is_a_400_naming_it(self, night, body, field):
        dora = client_for(persona("dora"))
        response = dora.post("/api/v1/legal-holds/", {"id": str(night.incident.pk), **body}, format="json")
        assert field in errors(response)
        assert not LegalHold.objects.exists()

    @pytest.mark.parametrize("name", ["carol", "ada", "alice"])
    def test_nobody_else_may(self, night, name):
        body = {"scope": "incident", "id": str(night.incident.pk), "reason": "The coroner asked for it"}
        response = client_for(night.world.users[name]).post("/api/v1/legal-holds/", body, format="json")
        assert response.status_code == 403
        assert not LegalHold.objects.exists()


class TestWhatTheReviewFound:
    """Defects a review of the first version found, each pinned."""

    def test_a_pseudonymised_document_is_named_by_the_family_code_not_the_reference(self, night):
        response = _chronology(night, format="csv", pseudonymise="true")
        disposition = response["Content-Disposition"]
        assert night.incident.reference not in disposition
        assert 'filename="Family-' in disposition
        assert _chronology(night, pseudonymise="true").json()["id"] == ""

    def test_a_read_names_everyone_the_chronology_may_name(self, night):
        """Dean is not a subject, but the chronology names him (the linked picture read that night):
        his own subject access must list this read."""
        _chronology(night)
        row = AccessLog.objects.filter(object_type="incident_chronology").get()
        assert night.world.dean.pk in {p.person_id for p in row.people.all()}
