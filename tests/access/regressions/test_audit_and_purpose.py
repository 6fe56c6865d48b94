"""Admins and managers see only what is theirs; every read and refusal is on the record; a control room states a purpose."""

import uuid

import pytest

from ooh.audit.models import AccessedPerson, AccessLog
from tests.answers import errors
from tests.personas import PURPOSE

pytestmark = pytest.mark.django_db


# --- 5. The admin role and the audit -----------------------------------------------------------------


class TestAdminsAndManagersSeeOnlyWhatIsTheirs:
    def test_an_admin_sees_no_casework_even_of_their_own_agency(self, world, incident):
        ada = world.client("ada")
        assert ada.get(f"/api/v1/people/{world.kerry.pk}/").status_code == 404
        assert ada.get(f"/api/v1/people/{world.kerry.pk}/network/").status_code == 404
        assert ada.get(f"/api/v1/flags/{world.flags['ucpp'].pk}/").status_code == 404
        assert ada.get(f"/api/v1/birth-plans/{world.plan.pk}/").status_code == 404
        for path in ("people", "addresses", "flags", "birth-plans", "incidents"):
            response = ada.get(f"/api/v1/{path}/")
            assert response.status_code == 200, (path, response.content)
            assert response.json()["results"] == [], path

    def test_a_manager_sees_what_their_users_did_and_access_to_their_records_not_another_agencys(
        self, world, incident
    ):
        # Sam works his own family; Alice reads the Vales (North council's case) on the night.
        assert world.client("sam").get(f"/api/v1/people/{world.lena.pk}/").status_code == 200
        assert (
            world.client("alice").get(f"/api/v1/people/{world.kerry.pk}/?incident={incident.pk}").status_code
            == 200
        )
        assert world.client("dana").get(f"/api/v1/people/{world.dean.pk}/").status_code == 200

        carol_rows = _all_audit_rows(world.client("carol"))
        assert carol_rows, "a manager's audit is not empty"
        agencies = {row["agency"] for row in carol_rows}
        assert "csc2" not in agencies
        for row in carol_rows:
            # every row is North council's users, or someone touching North council's records
            assert row["agency"] == "csc" or set(row["people"]) & _north_cases(world), row
        assert any(row["username"] == "alice" and str(world.kerry.pk) in row["people"] for row in carol_rows)
        assert any(row["username"] == "dana" for row in carol_rows)

        max_rows = _all_audit_rows(world.client("max"))
        assert any(row["username"] == "sam" for row in max_rows)
        assert not any(row["username"] in ("alice", "dana", "carol") for row in max_rows), max_rows
        assert not set().union(*(set(r["people"]) for r in max_rows)) & _north_cases(world)

    def test_non_managers_read_no_audit(self, world):
        for name in ("dana", "sam", "alice", "bob"):
            assert world.client(name).get("/api/v1/audit/").status_code == 403, name


def _north_cases(world):
    return {str(world.kerry.pk), str(world.baby.pk), str(world.dean.pk)}


def _all_audit_rows(client):
    rows, url = [], "/api/v1/audit/"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


# --- 6. On the record --------------------------------------------------------------------------------


class TestEveryReadAndRefusalIsOnTheRecord:
    def test_reading_escalations_and_notifications_is_audited(self, world):
        dana = world.client("dana")
        for path, object_type in [("escalations", "escalation"), ("notifications", "notification")]:
            before = AccessLog.objects.filter(user=world.dana, object_type=object_type).count()
            assert dana.get(f"/api/v1/{path}/").status_code == 200
            assert AccessLog.objects.filter(user=world.dana, object_type=object_type).count() == before + 1

    @pytest.mark.parametrize("incident_id", ["not-a-uuid", "invisible", str(uuid.uuid4())])
    def test_a_false_purpose_is_refused_and_not_recorded(self, world, incident, incident_id):
        if incident_id == "invisible":
            incident_id = str(incident.pk)  # Sam's agency is not on it
        rows = AccessLog.objects.count()
        for path in (f"/api/v1/people/{world.lena.pk}/", "/api/v1/people/", "/api/v1/notifications/"):
            refused = errors(world.client("sam").get(path, {"incident": incident_id}))
            assert set(refused) == {"purpose"}, path
        assert not AccessLog.objects.filter(incident_id=incident.pk, user=world.sam).exists()
        assert AccessLog.objects.count() == rows

    def test_a_refused_request_is_audited_as_refused(self, world, incident):
        sam, bob = world.client("sam"), world.client("bob")
        assert sam.get(f"/api/v1/people/{world.kerry.pk}/").status_code == 404
        assert bob.patch(f"/api/v1/people/{world.kerry.pk}/", {"status": "deceased"}).status_code == 403
        refused = AccessLog.objects.filter(action="refused").order_by("chain_seq")
        assert [(r.user, r.detail["status"], r.detail["method"]) for r in refused] == [
            (world.sam, 404, "GET"),
            (world.bob, 403, "PATCH"),
        ]
        assert [r.object_ids for r in refused] == [[str(world.kerry.pk)], [str(world.kerry.pk)]]


# --- Control rooms state a purpose -------------------------------------------------------------------


class TestAControlRoomStatesAPurpose:
    def test_a_search_without_a_purpose_is_refused(self, world):
        alice = world.client("alice")
        assert set(errors(alice.get("/api/v1/people/", {"search": "Vale"}))) == {"purpose"}
        assert set(errors(alice.get("/api/v1/addresses/", {"search": "Larch"}))) == {"purpose"}
        found = alice.get("/api/v1/people/", {"search": "Vale"}, HTTP_X_ACCESS_REASON=PURPOSE)
        assert found.status_code == 200, found.content
        assert {p["id"] for p in found.json()["results"]} >= {str(world.kerry.pk), str(world.dean.pk)}
        searched = AccessLog.objects.filter(user=world.alice, action="search").latest("chain_seq")
        assert searched.reason == PURPOSE

    def test_a_short_reason_is_no_purpose(self, world):
        alice = world.client("alice")
        assert set(
            errors(alice.get("/api/v1/people/", {"search": "Vale"}, HTTP_X_ACCESS_REASON="because"))
        ) == {"purpose"}

    def test_a_picture_outside_its_incidents_needs_a_purpose(self, world, incident):
        alice = world.client("alice")
        lena = f"/api/v1/people/{world.lena.pk}/network/"
        assert set(errors(alice.get(lena))) == {"purpose"}
        assert alice.get(lena, {"incident": str(incident.pk)}).status_code == 200
        assert alice.get(lena, HTTP_X_ACCESS_REASON=PURPOSE).status_code == 200
        read = AccessLog.objects.filter(user=world.alice, object_type="network").order_by("chain_seq")
        assert [(r.incident_id, r.reason) for r in read] == [(incident.pk, ""), (None, PURPOSE)]
        assert AccessedPerson.objects.filter(log__in=read, person_id=world.lena.pk).count() == 2

    def test_a_picture_of_its_own_incident_needs_none(self, world, incident):
        response = world.client("alice").get(f"/api/v1/people/{world.kerry.pk}/network/")
        assert response.status_code == 200, response.content
