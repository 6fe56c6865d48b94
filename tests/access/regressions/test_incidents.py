"""Nobody outside an incident takes it over; a flag, its owner and an agency's stake stay where they belong."""

import datetime

import pytest
from django.utils import timezone

from ooh.flags.models import Flag
from ooh.incidents.models import Attendance, Decision, Event, IncidentAgency
from tests import factories
from tests.access.feeds import FeedRecorder
from tests.answers import errors
from tests.vale_world import open_vale_incident

pytestmark = pytest.mark.django_db


# --- 4. Incidents -----------------------------------------------------------------------------------


class TestAnOutsiderCannotTakeOverAnIncident:
    def test_an_outsider_cannot_declare_attendance_on_an_incident_it_cannot_see(self, world, incident):
        sam = world.client("sam")
        seq = Event.objects.filter(incident=incident).count()
        eta = (timezone.now() + datetime.timedelta(minutes=20)).isoformat()
        declared = sam.post(
            f"/api/v1/incidents/{incident.pk}/attendance/", {"status": "attending", "eta": eta}
        )
        assert declared.status_code == 404, declared.content
        assert not Attendance.objects.filter(incident=incident, agency=world.agencies["csc2"]).exists()
        assert not IncidentAgency.objects.filter(incident=incident, agency=world.agencies["csc2"]).exists()
        assert Event.objects.filter(incident=incident).count() == seq

        # ... so the rest of the takeover finds nothing either.
        base = f"/api/v1/incidents/{incident.pk}"
        takeover = {
            "decision-maker": sam.post(
                f"{base}/decision-maker/", {"user": str(world.sam.pk), "reason": "Me"}
            ),
            "decisions": sam.post(f"{base}/decisions/", {"decision": "Go home", "rationale": "Because"}),
            "stand-down": sam.post(
                f"{base}/stand-down/", {"agency": str(world.agencies["ambulance"].pk), "reason": "Not needed"}
            ),
            "close": sam.post(f"{base}/close/", {"outcome": "Nothing to see"}),
        }
        assert {k: r.status_code for k, r in takeover.items()} == dict.fromkeys(takeover, 404)
        incident.refresh_from_db()
        assert (incident.status, incident.decision_maker_id) == ("open", None)
        assert not Decision.objects.filter(incident=incident).exists()
        assert (
            Attendance.objects.get(incident=incident, agency=world.agencies["ambulance"]).status
            == "requested"
        )
        assert Event.objects.filter(incident=incident).count() == seq

    def test_a_requested_agency_that_does_not_decide_cannot_close_the_incident(self, world, incident):
        for name in ("bob", "amy"):  # a requested responder; another service's control room
            response = world.client(name).post(f"/api/v1/incidents/{incident.pk}/close/", {"outcome": "Done"})
            assert response.status_code == 403, (name, response.content)
        incident.refresh_from_db()
        assert incident.status == "open"

    def test_an_appointee_must_belong_to_an_agency_on_the_incident(self, world, incident):
        alice = world.client("alice")
        refused = errors(
            alice.post(
                f"/api/v1/incidents/{incident.pk}/decision-maker/",
                {"user": str(world.sam.pk), "reason": "Duty manager"},
            )
        )
        assert set(refused) == {"user"}
        incident.refresh_from_db()
        assert incident.decision_maker_id is None

    def test_the_decision_maker_and_the_opening_control_room_still_run_the_night(self, world):
        """The control beside the refusals: the legitimate chain of appointment, decision and close."""
        incident = open_vale_incident(world, request=("ambulance", "edt"))
        appointed = world.client("alice").post(
            f"/api/v1/incidents/{incident.pk}/decision-maker/",
            {"user": str(world.omar.pk), "reason": "EDT duty manager"},
        )
        assert appointed.status_code == 201, appointed.content
        omar = world.client("omar")
        decided = omar.post(
            f"/api/v1/incidents/{incident.pk}/decisions/", {"decision": "Stay", "rationale": "Safe tonight"}
        )
        assert decided.status_code == 201, decided.content
        closed = omar.post(f"/api/v1/incidents/{incident.pk}/close/", {"outcome": "Mother and baby safe"})
        assert closed.status_code == 200, closed.content


# --- 10. Smaller --------------------------------------------------------------------------------------


class TestSmallerFindings:
    def test_acknowledging_a_flag_unrelated_to_the_incident_writes_nothing_to_its_timeline(
        self, world, incident
    ):
        events = list(Event.objects.filter(incident=incident).values_list("seq", flat=True))
        refused = errors(
            world.client("alice").post(
                f"/api/v1/incidents/{incident.pk}/flag-acknowledgements/",
                {"flag": str(world.flags["lena"].pk)},
            )
        )
        assert set(refused) == {"flag"}
        assert list(Event.objects.filter(incident=incident).values_list("seq", flat=True)) == events
        # A flag in the picture is acknowledged.
        ok = world.client("alice").post(
            f"/api/v1/incidents/{incident.pk}/flag-acknowledgements/",
            {"flag": str(world.flags["violence"].pk)},
        )
        assert ok.status_code == 201, ok.content

    def test_a_flag_is_not_owned_by_a_user_of_another_agency(self, world):
        dana = world.client("dana")
        body = {
            "subject_person": str(world.kerry.pk),
            "category": "other",
            "severity": "low",
            "summary": "Owned elsewhere",
            "valid_from": timezone.now().isoformat(),
            "owner_id": str(world.sam.pk),
        }
        flags = Flag.objects.count()
        assert set(errors(dana.post("/api/v1/flags/", body))) == {"owner_id"}
        assert Flag.objects.count() == flags
        flag = world.flags["violence"]
        assert set(errors(dana.patch(f"/api/v1/flags/{flag.pk}/", {"owner_id": str(world.sam.pk)}))) == {
            "owner_id"
        }
        flag.refresh_from_db()
        assert flag.owner == world.dana
        # A colleague may own it.
        assert dana.post("/api/v1/flags/", {**body, "owner_id": str(world.carol.pk)}).status_code == 201

    def test_raising_a_low_flag_does_not_make_an_agency_a_stakeholder_of_later_incidents(
        self, world, monkeypatch, django_capture_on_commit_callbacks
    ):
        # Health visiting raised a low flag on Dean long ago; tonight police open an incident for the Vales.
        factories.flag(world.hana, on=world.dean, category="other", severity="low")
        feeds = FeedRecorder(monkeypatch)
        with django_capture_on_commit_callbacks(execute=True):
            opened = world.client("alice").post(
                "/api/v1/incidents/",
                {
                    "kind": "birth",
                    "summary": "Home birth",
                    "subjects": [str(world.kerry.pk), str(world.baby.pk)],
                    "address": str(world.home.pk),
                },
            )
        assert opened.status_code == 201, opened.content
        incident_id = opened.json()["id"]
        health = world.agencies["health"]
        assert not IncidentAgency.objects.filter(incident_id=incident_id, agency=health).exists()
        assert feeds.heard_by_agency(health) == []
        # North council holds the birth plan: its feed hears (the recorder is not deaf).
        assert "incident.opened" in [m["event"] for m in feeds.heard_by_agency(world.agencies["csc"])]
        client = world.client("hana")
        assert client.get(f"/api/v1/incidents/{incident_id}/").status_code == 404
        assert client.get("/api/v1/incidents/").json()["results"] == []
