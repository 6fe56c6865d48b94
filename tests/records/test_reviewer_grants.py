"""Reviewer grants: a manager of the lead agency lets one named user read one record's chronology for a
review, until the grant ends; every agency on the record sees it; an expired or revoked grant reads as
if the record did not exist."""

import datetime

import pytest
from django.utils import timezone

from ooh.access import actions as access_actions
from ooh.access import policy
from ooh.access.models import ReviewerGrant
from ooh.audit.models import AccessLog
from ooh.incidents import actions as incident_actions
from ooh.incidents.models import AppointmentRole
from tests.answers import errors
from tests.personas import client_for, persona
from tests.vale_world import open_vale_incident

pytestmark = pytest.mark.django_db

REVIEW = "Child safeguarding practice review, Family C19"
REASON = "Commissioned by the safeguarding partnership"


@pytest.fixture
def incident(world):
    """Police control opened it; Dana (North council) is the lead professional, so North council leads."""
    incident = open_vale_incident(world)
    incident_actions.appoint(
        actor=world.alice,
        incident=incident,
        role=AppointmentRole.LEAD_PROFESSIONAL,
        user=world.dana,
        reason="Leads the birth plan",
    )
    return incident


@pytest.fixture
def rex(world):
    return persona("rex")


def _grant(world, name, record, reviewer, **changes):
    body = {
        "user": str(reviewer.pk),
        "incident": str(record.pk),
        "review": REVIEW,
        "reason": REASON,
        "expires_at": (timezone.now() + datetime.timedelta(days=30)).isoformat(),
        **changes,
    }
    return world.client(name).post("/api/v1/reviewer-grants/", body, format="json")


def _chronology(user, incident):
    return client_for(user).get(f"/api/v1/incidents/{incident.pk}/chronology/")


class TestGranting:
    def test_a_manager_of_the_lead_agency_grants_and_the_reviewer_reads(self, world, incident, rex):
        assert policy.incident_lead_agency_id(incident) == world.agencies["csc"].pk
        assert _chronology(rex, incident).status_code == 404

        granted = _grant(world, "carol", incident, rex)
        assert granted.status_code == 201, granted.content
        body = granted.json()
        assert (body["user"], body["incident"], body["agency"], body["live"]) == (
            str(rex.pk),
            str(incident.pk),
            str(world.agencies["csc"].pk),
            True,
        )
        assert _chronology(rex, incident).status_code == 200
        # ... and only that record: another incident of the same family stays unknown to him.
        other = open_vale_incident(world)
        assert _chronology(rex, other).status_code == 404

    def test_the_grant_is_audited_with_its_reason_and_reviewer(self, world, incident, rex):
        grant = _grant(world, "carol", incident, rex).json()
        row = AccessLog.objects.get(action="create", object_type="reviewer_grant")
        assert (row.user, row.incident_id, row.reason) == (world.carol, incident.pk, REASON)
        assert row.detail["reviewer"] == str(rex.pk)
        assert grant["id"] in row.object_ids

    @pytest.mark.parametrize("name", ["pat", "max"])
    def test_a_manager_of_another_agency_may_not(self, world, incident, rex, name):
        # Pat manages police's control room: police opened the incident and is on it, but does not lead.
        # Max manages South council, which is not on it: the incident reads as unknown to him.
        response = _grant(world, name, incident, rex)
        if name == "pat":
            assert response.status_code == 403, response.content
        else:
            assert "incident" in errors(response)
        assert not ReviewerGrant.objects.exists()

    @pytest.mark.parametrize("name", ["dana", "alice", "hale", "ada"])
    def test_someone_who_is_not_a_manager_may_not(self, world, incident, rex, name):
        assert _grant(world, name, incident, rex).status_code == 403
        assert not ReviewerGrant.objects.exists()

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"reason": "because"}, "reason"),
            ({"review": ""}, "review"),
            ({"expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
            ({"expires_at": "2099-01-01T00:00:00Z"}, "expires_at"),  # past the longest allowed
            ({"expires_at": "tomorrow"}, "expires_at"),
            ({"user": "00000000-0000-0000-0000-000000000000"}, "user"),
            ({"concern": "00000000-0000-0000-0000-000000000000"}, "incident"),  # both named
            ({"incident": None}, "incident"),  # neither
        ],
    )
    def test_bad_input_names_the_field_and_grants_nothing(self, world, incident, rex, changes, field):
        assert field in errors(_grant(world, "carol", incident, rex, **changes))
        assert not ReviewerGrant.objects.exists()

    def test_an_inactive_account_is_not_a_reviewer(self, world, incident, rex):
        rex.is_active = False
        rex.save(update_fields=["is_active"])
        assert "user" in errors(_grant(world, "carol", incident, rex))


class TestEnding:
    def test_an_expired_grant_reads_as_unknown(self, world, incident, rex):
        now = timezone.now() - datetime.timedelta(days=2)  # granted for a day, two days ago
        access_actions.grant_reviewer(
            actor=world.carol,
            user=rex,
            record=incident,
            lead_agency_id=world.agencies["csc"].pk,
            review=REVIEW,
            reason=REASON,
            expires_at=now + datetime.timedelta(days=1),
            now=now,
        )
        assert policy.chronology_incidents(rex, now).filter(pk=incident.pk).exists()
        later = now + datetime.timedelta(days=1)
        assert not policy.chronology_incidents(rex, later).filter(pk=incident.pk).exists()
        assert _chronology(rex, incident).status_code == 404
        assert ReviewerGrant.objects.get().revoked_at is None  # ended by time alone

    def test_revoked_by_a_manager_of_the_lead_agency(self, world, incident, rex):
        grant = _grant(world, "carol", incident, rex).json()
        path = f"/api/v1/reviewer-grants/{grant['id']}/revoke/"
        assert client_for(rex).post(path, {"reason": "I revoke myself"}, format="json").status_code == 403
        revoked = world.client("carol").post(path, {"reason": "The review has been published"}, format="json")
        assert revoked.status_code == 200, revoked.content
        assert revoked.json()["live"] is False
        assert _chronology(rex, incident).status_code == 404
        again = world.client("carol").post(path, {"reason": "The review has been published"}, format="json")
        assert again.status_code == 409
        assert AccessLog.objects.filter(action="revoke", object_type="reviewer_grant").count() == 1


class TestSeeingGrants:
    def test_every_agency_on_the_record_sees_who_was_let_in(self, world, incident, rex):
        grant = _grant(world, "carol", incident, rex).json()

        def listed(user):
            response = client_for(user).get("/api/v1/reviewer-grants/")
            assert response.status_code == 200, response.content
            return [g["id"] for g in response.json()["results"]]

        # Police opened it (Pat manages its control room), North council leads, Rex is the reviewer.
        assert listed(world.pat) == [grant["id"]]
        assert listed(world.carol) == [grant["id"]]
        assert listed(rex) == [grant["id"]]
        # Not on the record: South council's manager; not a manager: the social worker.
        assert listed(world.max) == []
        assert listed(world.dana) == []
