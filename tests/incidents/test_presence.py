"""Who is on scene: each person says so for themselves, or is put on scene when they say their agency is;
left only after on scene; a closed incident refuses. The snapshot lists who is there now, in one query."""

import datetime
import uuid

import pytest
from django.utils import timezone

from ooh.incidents import actions, answers, details
from ooh.incidents.models import Event, Incident, Presence
from ooh.picture import snapshot
from tests.factories import member
from tests.personas import client_for

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)


def at(**delta):
    return T0 + datetime.timedelta(**delta)


def url(incident):
    return f"/api/v1/incidents/{incident.pk}/presence/"


def log(incident):
    return list(
        Event.objects.filter(incident=incident).order_by("seq").values_list("type", "data", "actor_id")
    )


def rows():
    return list(Presence.objects.order_by("id").values_list("user_id", "status", "since"))


@pytest.fixture
def asked(alice, incident, ambulance):
    """The ambulance service is asked to attend: its paramedic sees the incident."""
    actions.request_attendance(actor=alice, incident=incident, agency=ambulance, respond_within_minutes=10)
    return incident


def test_on_scene_then_left_each_an_event_and_the_snapshot_follows(asked, bob, alice):
    client = client_for(bob)
    arrived = client.post(url(asked), {"status": "on_scene"})
    assert arrived.status_code == 200, arrived.content
    body = arrived.json()
    assert (body["user"]["id"], body["agency"], body["status"]) == (
        str(bob.pk),
        str(bob.membership.agency_id),
        "on_scene",
    )
    shown = client_for(alice).get(f"/api/v1/incidents/{asked.pk}/").json()["on_scene"]
    assert [(p["user"]["id"], p["agency"]["code"], p["since"]) for p in shown] == [
        (str(bob.pk), "ambulance", body["since"])
    ]
    gone = client.post(url(asked), {"status": "left"})
    assert gone.status_code == 200
    assert client_for(alice).get(f"/api/v1/incidents/{asked.pk}/").json()["on_scene"] == []
    [(t1, d1, a1), (t2, d2, a2)] = log(asked)[-2:]
    assert (t1, t2, a1, a2) == ("presence.updated", "presence.updated", bob.pk, bob.pk)
    assert d1 == {
        "user": {"id": str(bob.pk), "username": "bob", "display_name": bob.display_name},
        "agency": str(bob.membership.agency_id),
        "status": "on_scene",
        "at": body["since"],
    }
    assert (d2["status"], d2["at"]) == ("left", gone.json()["since"])


def test_back_on_scene_after_leaving_starts_a_new_since(asked, bob):
    answers.report_presence(actor=bob, incident=asked, status="on_scene", now=at(minutes=1))
    answers.report_presence(actor=bob, incident=asked, status="left", now=at(minutes=20))
    row = answers.report_presence(actor=bob, incident=asked, status="on_scene", now=at(minutes=40))
    assert (row.status, row.since) == ("on_scene", at(minutes=40))
    assert Presence.objects.count() == 1  # one row per person per incident


def test_left_without_having_been_on_scene_is_a_409_and_writes_nothing(asked, bob):
    before = (rows(), log(asked))
    response = client_for(bob).post(url(asked), {"status": "left"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "not_on_scene"
    answers.report_presence(actor=bob, incident=asked, status="on_scene", now=at(minutes=1))
    answers.report_presence(actor=bob, incident=asked, status="left", now=at(minutes=2))
    assert client_for(bob).post(url(asked), {"status": "left"}).status_code == 409  # left twice
    assert len(log(asked)) == len(before[1]) + 2


def test_on_scene_twice_is_a_409(asked, bob):
    client = client_for(bob)
    assert client.post(url(asked), {"status": "on_scene"}).status_code == 200
    again = client.post(url(asked), {"status": "on_scene"})
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "already_on_scene"


@pytest.mark.parametrize(
    "body", [{}, {"status": "en_route"}, {"status": ""}, {"status": None}, {"status": ["on_scene"]}]
)
def test_bad_input_is_a_400_naming_status_and_writes_nothing(body, asked, bob):
    before = (rows(), log(asked))
    response = client_for(bob).post(url(asked), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "status"
    assert (rows(), log(asked)) == before


def test_a_closed_incident_refuses(asked, alice, bob):
    answers.report_presence(actor=bob, incident=asked, status="on_scene", now=at(minutes=1))
    details.close_incident(actor=alice, incident=asked, outcome="All safe")
    before = (rows(), log(asked))
    response = client_for(bob).post(url(asked), {"status": "left"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "incident_closed"
    assert (rows(), log(asked)) == before


def test_another_agency_and_an_unknown_id_get_404(asked, omar, bob):
    """The EDT is not on this incident; an id never issued reads the same."""
    before = (rows(), log(asked))
    assert client_for(omar).post(url(asked), {"status": "on_scene"}).status_code == 404
    never = f"/api/v1/incidents/{uuid.uuid4()}/presence/"
    assert client_for(bob).post(never, {"status": "on_scene"}).status_code == 404
    assert (rows(), log(asked)) == before


def test_the_action_refuses_a_caller_who_cannot_see_the_incident(asked, omar):
    with pytest.raises(Incident.DoesNotExist):
        answers.report_presence(actor=omar, incident=asked, status="on_scene")
    assert rows() == []


def test_a_role_without_casework_is_refused(asked, ambulance):
    """An agency admin of a service on the incident administers users and sees no casework: the
    incident does not exist for her."""
    admin = member(agency=ambulance, role="admin", username="amb_admin")
    assert client_for(admin).post(url(asked), {"status": "on_scene"}).status_code == 404
    with pytest.raises(Incident.DoesNotExist):
        answers.report_presence(actor=admin, incident=asked, status="on_scene")
    assert rows() == []


def test_each_person_speaks_for_themselves(asked, bob, ambulance):
    """A colleague saying she is on scene puts her there, not Bob."""
    colleague = member(agency=ambulance, role="responder", username="nina")
    answers.report_presence(actor=colleague, incident=asked, status="on_scene", now=at(minutes=1))
    answers.report_presence(actor=bob, incident=asked, status="on_scene", now=at(minutes=2))
    answers.report_presence(actor=colleague, incident=asked, status="left", now=at(minutes=3))
    shown = snapshot.on_scene(asked)
    assert [p["user"]["id"] for p in shown] == [str(bob.pk)]


# --- The agency's on_scene puts its caller there ---------------------------------------------------


def test_an_agency_on_scene_puts_its_caller_on_scene_after_the_attendance_event(asked, bob):
    actions.update_attendance(actor=bob, incident=asked, status="on_scene", now=at(minutes=5))
    [(t1, d1, _), (t2, d2, a2)] = log(asked)[-2:]
    assert (t1, d1["status"]) == ("attendance.updated", "on_scene")
    assert (t2, a2, d2["status"], d2["user"]["id"]) == ("presence.updated", bob.pk, "on_scene", str(bob.pk))
    assert [p["user"]["id"] for p in snapshot.on_scene(asked)] == [str(bob.pk)]
    assert Presence.objects.get(user=bob).since == at(minutes=5)


def test_already_on_scene_the_agency_answer_adds_no_presence_event(asked, bob):
    answers.report_presence(actor=bob, incident=asked, status="on_scene", now=at(minutes=1))
    actions.update_attendance(actor=bob, incident=asked, status="on_scene", now=at(minutes=5))
    assert log(asked)[-1][0] == "attendance.updated"
    assert Presence.objects.get(user=bob).since == at(minutes=1)  # the arrival stands


def test_other_attendance_answers_do_not_touch_presence(asked, bob):
    actions.update_attendance(
        actor=bob, incident=asked, status="attending", eta=at(minutes=20), now=at(minutes=1)
    )
    actions.update_attendance(actor=bob, incident=asked, status="on_scene", now=at(minutes=19))
    actions.update_attendance(actor=bob, incident=asked, status="left", now=at(minutes=50))
    assert [t for t, _, _ in log(asked)].count("presence.updated") == 1
    # Leaving is each person's to say: the agency's `left` leaves Bob's own word as it was.
    assert Presence.objects.get(user=bob).status == "on_scene"


# --- The snapshot --------------------------------------------------------------------------------


def test_the_snapshot_lists_who_is_there_first_arrived_first_in_one_query(
    asked, bob, hale, alice, django_assert_num_queries
):
    answers.report_presence(actor=hale, incident=asked, status="on_scene", now=at(minutes=2))
    answers.report_presence(actor=bob, incident=asked, status="on_scene", now=at(minutes=1))
    answers.report_presence(actor=alice, incident=asked, status="on_scene", now=at(minutes=3))
    answers.report_presence(actor=alice, incident=asked, status="left", now=at(minutes=4))
    with django_assert_num_queries(1):  # the people on scene, with their users and agencies
        shown = snapshot.on_scene(asked)
    assert [(p["user"]["username"], p["agency"]["code"]) for p in shown] == [
        ("bob", "ambulance"),
        ("hale", "police"),
    ]
    assert shown[0]["since"] == at(minutes=1).isoformat().replace("+00:00", "Z")
