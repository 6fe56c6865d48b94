"""GET /audit/: managers and admins see who read what, filtered by person, user or incident."""

import pytest

from ooh.accounts.models import Role
from tests import factories
from tests.factories import member
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def test_a_manager_sees_every_read_of_a_person_their_agency_records(alice, amy, mo):
    """Kerry is a police record: the police manager sees an ambulance call handler open her picture."""
    kerry = factories.person(alice, given_name="Kerry")
    client_for(amy).get(f"/api/v1/people/{kerry.pk}/network/", HTTP_X_ACCESS_REASON="call at 23:40")
    manager = client_for(mo)
    rows = manager.get("/api/v1/audit/", {"person": str(kerry.pk), "action": "read"}).json()["results"]
    assert [(r["username"], r["object_type"], r["reason"]) for r in rows] == [
        ("amy", "network", "call at 23:40")
    ]
    assert rows[0]["people"] == [str(kerry.pk)]


def test_reads_under_an_incident_are_found_by_incident(alice, bob, ambulance):
    from ooh.incidents.actions import open_incident, request_attendance

    kerry = factories.person(alice)
    incident = open_incident(actor=alice, kind="welfare_concern", summary="Welfare", subjects=[kerry])
    request_attendance(actor=alice, incident=incident, agency=ambulance, respond_within_minutes=10)
    assert (
        client_for(bob).get(f"/api/v1/people/{kerry.pk}/", {"incident": str(incident.pk)}).status_code == 200
    )
    admin = client_for(member(role=Role.ADMIN, agency=ambulance))  # bob's agency: what its users did
    rows = admin.get("/api/v1/audit/", {"incident": str(incident.pk), "action": "read"}).json()["results"]
    assert [r["username"] for r in rows] == ["bob"]


def test_others_may_not_read_the_audit_log(alice):
    assert client_for(alice).get("/api/v1/audit/").status_code == 403


def test_reading_the_audit_log_is_audited(mo):
    client_for(mo).get("/api/v1/audit/")
    rows = client_for(mo).get("/api/v1/audit/", {"action": "read"}).json()["results"]
    assert rows[0]["object_type"] == "audit_log"


def test_an_impossible_since_is_a_400_not_a_database_error(mo):
    manager = client_for(mo)
    for since in ["0338-07-15T07:01:31.176-17:03", "1850-01-01T00:00:00Z", "yesterday"]:
        response = manager.get("/api/v1/audit/", {"since": since})
        assert response.status_code == 400, since
        assert response.json()["errors"][0]["attr"] == "since"
    assert manager.get("/api/v1/audit/", {"since": "2026-11-24T00:15:00+01:00"}).status_code == 200
