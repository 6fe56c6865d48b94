"""Incidents over HTTP: open, snapshot, attendance, appointments, decisions, close, events, idempotency."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ooh.audit.models import AccessedPerson, AccessLog
from ooh.incidents import actions
from ooh.incidents.models import Appointment, Event, Incident, IncidentAgency
from ooh.picture import ready
from tests import factories
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def ask(incident_id, agency, *, by):
    """The control room asks an agency to attend (so it is on the incident and its members see it)."""
    actions.request_attendance(
        actor=by,
        incident=actions.Incident.objects.get(pk=incident_id),
        agency=agency,
        respond_within_minutes=10,
    )


# token; incident locked; the agency's row read; row written; seq; event; the audit row's place in the
# chain and the row; and the action's savepoint and its release (the test runs inside a transaction).
ATTENDANCE_UPDATE_QUERIES = 10


@pytest.fixture
def flags(alice, family):
    return {
        "dog": factories.flag(
            alice, on=family["home"], category="dangerous_animal", severity="high", summary="Large dog"
        ),
        "threats": factories.flag(
            alice,
            on=family["dean"],
            category="threats_to_staff",
            severity="critical",
            summary="Threatens staff",
        ),
        "ucpp": factories.flag(
            alice, on=family["baby"], category="unborn_child_protection_plan", severity="critical"
        ),
    }


def _open(client, family, **extra):
    body = {
        "kind": "birth",
        "summary": "Baby born at home",
        "address": str(family["home"].pk),
        "subjects": [str(family["kerry"].pk), str(family["baby"].pk)],
        **extra,
    }
    return client.post("/api/v1/incidents/", body)


def test_opening_gives_a_reference_and_a_snapshot_with_the_father_though_not_a_subject(
    alice, family, flags, amy
):
    response = _open(client_for(amy), family)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith(f"OOH-{timezone.now().year}-")
    assert (body["status"], body["last_seq"]) == ("open", 1)
    relations = {m["person"]["id"]: m["relation"] for m in body["network"]["members"]}
    assert relations[str(family["dean"].pk)] == "father of the unborn child"
    assert [f["category"] for f in body["network"]["flags"]][:2] == ["threats_to_staff", "dangerous_animal"]
    codes = [g["code"] for g in body["guidance"]]
    assert codes[0] == "officer_safety"
    assert "no_decision_maker" in codes
    assert "Large dog" in body["guidance"][0]["message"]


def test_references_count_up(alice, family):
    first = _open(client_for(alice), family).json()["reference"]
    second = _open(client_for(alice), family).json()["reference"]
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1


def test_the_opener_and_control_rooms_read_it_and_others_cannot(alice, family, flags, amy, omar, hale):
    """Police raised the flags (alice is police); ambulance (amy) opens it. Raising a flag makes police no
    party to the incident: its control room reads it (control rooms see every incident), its sergeant and
    EDT, neither asked nor attending, do not."""
    incident = _open(client_for(amy), family).json()
    assert client_for(alice).get(f"/api/v1/incidents/{incident['id']}/").status_code == 200
    assert client_for(omar).get(f"/api/v1/incidents/{incident['id']}/").status_code == 404
    assert client_for(hale).get(f"/api/v1/incidents/{incident['id']}/").status_code == 404
    reasons = dict(
        IncidentAgency.objects.filter(incident_id=incident["id"]).values_list("agency__code", "reason")
    )
    assert reasons == {"ambulance": "opened"}


def test_snapshot_etag_gives_304_until_something_changes(alice, family, edt):
    client = client_for(alice)
    incident = _open(client, family).json()
    first = client.get(f"/api/v1/incidents/{incident['id']}/")
    tag = first["ETag"]
    assert client.get(f"/api/v1/incidents/{incident['id']}/", HTTP_IF_NONE_MATCH=tag).status_code == 304
    client.post(
        f"/api/v1/incidents/{incident['id']}/attendance-requests/",
        {"agency": str(edt.pk), "respond_within_minutes": 10},
    )
    changed = client.get(f"/api/v1/incidents/{incident['id']}/", HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert changed["ETag"] != tag


def test_every_snapshot_read_is_audited_under_the_incident(alice, family):
    client = client_for(alice)
    incident = _open(client, family).json()
    client.get(f"/api/v1/incidents/{incident['id']}/")
    log = AccessLog.objects.filter(object_type="incident", action="read").order_by("-at").first()
    assert str(log.incident_id) == incident["id"]
    disclosed = set(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True))
    assert disclosed == {family["kerry"].pk, family["baby"].pk, family["dean"].pk}


def test_snapshot_query_count_does_not_grow_with_the_night(alice, family, edt, ambulance, hale):
    client = client_for(alice)
    incident = _open(client, family).json()
    url = f"/api/v1/incidents/{incident['id']}/"

    def count():
        """Queries of a read that builds the snapshot (nothing kept: the process just started)."""
        ready.shelf().forget()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    quiet = count()
    for agency in (edt, ambulance):
        client.post(f"{url}attendance-requests/", {"agency": str(agency.pk), "respond_within_minutes": 10})
    client.post(f"{url}decision-maker/", {"user": str(hale.pk), "reason": "Sergeant on scene"})
    client.post(f"{url}lead-professional/", {"user": str(hale.pk), "reason": "Until EDT arrives"})
    client_for(hale).post(f"{url}decisions/", {"decision": "To hospital", "rationale": "Safety"})
    client_for(hale).post(f"{url}decisions/", {"decision": "Police protection", "rationale": "Risk"})
    client_for(hale).post(f"{url}lead-professional/accept/")
    for person in (hale, alice):  # the people on scene: one query however many
        assert client_for(person).post(f"{url}presence/", {"status": "on_scene"}).status_code == 200
    assert count() == quiet


def test_a_kept_snapshot_is_served_in_four_or_five_queries_and_still_audited(alice, family, settings):
    """Token, the incident through the access policy, and the audit row (its chain's tail, its insert,
    the people it names): nothing of the build."""
    client = client_for(alice)
    incident = _open(client, family).json()
    url = f"/api/v1/incidents/{incident['id']}/"
    built = client.get(url)
    audited = AccessLog.objects.filter(object_type="incident", action="read").count()
    with CaptureQueriesContext(connection) as queries:
        kept = client.get(url)
    assert kept.content == built.content
    assert kept["ETag"] == built["ETag"]
    # PostgreSQL writes the row and the people it names in one statement.
    assert len(queries) == (4 if connection.vendor == "postgresql" else 5), [q["sql"][:80] for q in queries]
    assert AccessLog.objects.filter(object_type="incident", action="read").count() == audited + 1


def test_cannot_attend_without_agreed_role_is_a_400_and_writes_nothing(alice, family, omar, edt):
    incident = _open(client_for(alice), family).json()
    ask(incident["id"], edt, by=alice)
    client = client_for(omar)
    response = client.post(f"/api/v1/incidents/{incident['id']}/attendance/", {"status": "cannot_attend"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "agreed_role"
    assert Event.objects.filter(incident_id=incident["id"]).count() == 2


def test_an_agency_not_asked_may_declare_itself_attending(alice, family, omar, edt):
    """EDT holds the family's birth plan, so it sees the incident without being asked, and may say it is
    coming before the control room asks."""
    incident = _open(client_for(alice), family).json()
    IncidentAgency.objects.create(
        incident_id=incident["id"], agency=edt, reason="stakeholder", since=timezone.now()
    )
    eta = (timezone.now() + datetime.timedelta(minutes=30)).isoformat()
    response = client_for(omar).post(
        f"/api/v1/incidents/{incident['id']}/attendance/", {"status": "attending", "eta": eta}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "attending"
    assert client_for(omar).get(f"/api/v1/incidents/{incident['id']}/").status_code == 200


def test_an_attendance_update_costs_a_fixed_number_of_queries(
    alice, family, omar, edt, django_assert_num_queries
):
    """The phones' hot write, pinned: the token, the incident locked, the agency's row read and written,
    the incident's seq and its event, and the audit row (its place in the chain, then the row). An agency
    with a row is on the incident already, so no visibility query is needed."""
    incident = _open(client_for(alice), family).json()
    ask(incident["id"], edt, by=alice)
    url = f"/api/v1/incidents/{incident['id']}/attendance/"
    client = client_for(omar)
    assert client.post(url, {"status": "on_scene"}).status_code == 200
    with django_assert_num_queries(ATTENDANCE_UPDATE_QUERIES):
        assert client.post(url, {"status": "left"}).status_code == 200


def test_an_attendance_update_on_an_unknown_incident_is_a_404(omar):
    response = client_for(omar).post(
        "/api/v1/incidents/00000000-0000-0000-0000-000000000000/attendance/", {"status": "on_scene"}
    )
    assert response.status_code == 404


def test_an_illegal_transition_is_a_409(alice, family, omar, edt):
    incident = _open(client_for(alice), family).json()
    ask(incident["id"], edt, by=alice)
    url = f"/api/v1/incidents/{incident['id']}/attendance/"
    eta = (timezone.now() + datetime.timedelta(minutes=30)).isoformat()
    client = client_for(omar)
    assert client.post(url, {"status": "on_scene"}).status_code == 200
    response = client.post(url, {"status": "attending", "eta": eta})
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "illegal_transition"


def test_appointments_replace_the_current_one_and_stay_in_the_timeline(alice, family, hale, bob, ambulance):
    client = client_for(alice)
    incident = _open(client, family).json()
    ask(incident["id"], ambulance, by=alice)
    url = f"/api/v1/incidents/{incident['id']}/decision-maker/"
    assert client.post(url, {"user": str(bob.pk), "reason": "Paramedic first on scene"}).status_code == 201
    assert client.post(url, {"user": str(hale.pk), "reason": "Sergeant on scene"}).status_code == 201
    snapshot = client.get(f"/api/v1/incidents/{incident['id']}/").json()
    assert snapshot["decision_maker"]["user"]["username"] == "hale"
    assert snapshot["decision_maker"]["appointed_by"]["username"] == "alice"
    # Appointed is not deciding: until Hale accepts, the prompt says so and names her.
    prompt = next(g for g in snapshot["guidance"] if g["code"] == "no_decision_maker")
    assert prompt["message"].startswith("Hale is appointed decision maker but has not accepted")
    timeline = Event.objects.filter(incident_id=incident["id"], type="decision_maker.appointed").order_by(
        "seq"
    )
    assert [e.data["user"]["username"] for e in timeline] == ["bob", "hale"]


def test_only_the_current_decision_maker_records_decisions(alice, family, hale, bob, ambulance):
    client = client_for(alice)
    incident = _open(client, family).json()
    client.post(
        f"/api/v1/incidents/{incident['id']}/attendance-requests/",
        {"agency": str(ambulance.pk), "respond_within_minutes": 10},
    )
    url = f"/api/v1/incidents/{incident['id']}/decisions/"
    decision = {"decision": "Baby and mother to hospital", "rationale": "Birth plan; father present"}
    assert client_for(hale).post(url, decision).status_code == 403
    client.post(
        f"/api/v1/incidents/{incident['id']}/decision-maker/", {"user": str(hale.pk), "reason": "On scene"}
    )
    assert client_for(bob).post(url, decision).status_code == 403
    response = client_for(hale).post(url, decision)
    assert response.status_code == 201
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}/").json()["decisions"][0]["decided_by"]["username"]
        == "hale"
    )


def test_flag_read_receipts_show_who_saw_what(alice, family, flags, hale):
    client = client_for(alice)
    incident = _open(client, family).json()
    url = f"/api/v1/incidents/{incident['id']}/flag-acknowledgements/"
    assert client_for(hale).post(url, {"flag": str(flags["dog"].pk)}).status_code == 201
    assert client_for(hale).post(url, {"flag": str(flags["dog"].pk)}).status_code == 201  # once per person
    reads = client.get(f"/api/v1/incidents/{incident['id']}/").json()["flag_acknowledgements"]
    assert [(r["flag"], r["user"]["username"]) for r in reads] == [(str(flags["dog"].pk), "hale")]


def test_a_closed_incident_refuses_changes_with_409(alice, family, omar, edt):
    client = client_for(alice)
    incident = _open(client, family).json()
    ask(incident["id"], edt, by=alice)
    closed = client.post(f"/api/v1/incidents/{incident['id']}/close/", {"outcome": "Baby safe in hospital"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    response = client_for(omar).post(
        f"/api/v1/incidents/{incident['id']}/attendance/", {"status": "cannot_attend", "agreed_role": "x"}
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "incident_closed"


def test_events_after_a_seq_in_order(alice, family, edt, hale):
    client = client_for(alice)
    incident = _open(client, family).json()
    url = f"/api/v1/incidents/{incident['id']}/"
    client.post(f"{url}attendance-requests/", {"agency": str(edt.pk), "respond_within_minutes": 10})
    client.post(f"{url}decision-maker/", {"user": str(hale.pk), "reason": "On scene"})
    events = client.get(f"{url}events/", {"after": 1}).json()
    assert [(e["seq"], e["event"]) for e in events] == [
        (2, "attendance.requested"),
        (3, "decision_maker.appointed"),
    ]
    assert events[0]["actor"]["username"] == "alice"
    assert client.get(f"{url}events/", {"after": "x"}).status_code == 400


class TestIdempotencyKey:
    def test_a_retried_attendance_update_is_recorded_once_and_answered_the_same(
        self, alice, family, omar, edt
    ):
        incident = _open(client_for(alice), family).json()
        ask(incident["id"], edt, by=alice)
        client = client_for(omar)
        url = f"/api/v1/incidents/{incident['id']}/attendance/"
        body = {"status": "cannot_attend", "agreed_role": "Phone advice"}
        first = client.post(url, body, HTTP_IDEMPOTENCY_KEY="3f1c0b7e-5a55-4c1f-9d55-000000000001")
        again = client.post(url, body, HTTP_IDEMPOTENCY_KEY="3f1c0b7e-5a55-4c1f-9d55-000000000001")
        assert (again.status_code, again.json()) == (first.status_code, first.json())
        assert again["Idempotent-Replayed"] == "true"
        assert Event.objects.filter(incident_id=incident["id"], type="attendance.updated").count() == 1

    def test_a_key_reused_for_a_different_request_is_a_409(self, alice, family, omar, edt):
        incident = _open(client_for(alice), family).json()
        ask(incident["id"], edt, by=alice)
        client = client_for(omar)
        url = f"/api/v1/incidents/{incident['id']}/attendance/"
        client.post(url, {"status": "cannot_attend", "agreed_role": "A"}, HTTP_IDEMPOTENCY_KEY="key-0000001")
        response = client.post(
            url, {"status": "cannot_attend", "agreed_role": "B"}, HTTP_IDEMPOTENCY_KEY="key-0000001"
        )
        assert response.status_code == 409

    def test_a_refused_request_is_not_remembered(self, alice, family, omar, edt):
        incident = _open(client_for(alice), family).json()
        ask(incident["id"], edt, by=alice)
        client = client_for(omar)
        url = f"/api/v1/incidents/{incident['id']}/attendance/"
        assert (
            client.post(url, {"status": "cannot_attend"}, HTTP_IDEMPOTENCY_KEY="key-0000002").status_code
            == 400
        )
        ok = client.post(url, {"status": "cannot_attend"}, HTTP_IDEMPOTENCY_KEY="key-0000002")
        assert ok.status_code == 400  # same body, still refused: nothing was stored

    def test_opening_an_incident_twice_with_one_key_opens_one(self, alice, family):
        client = client_for(alice)
        a = client.post(
            "/api/v1/incidents/",
            {"kind": "other", "summary": "Welfare"},
            HTTP_IDEMPOTENCY_KEY="open-000000001",
        )
        b = client.post(
            "/api/v1/incidents/",
            {"kind": "other", "summary": "Welfare"},
            HTTP_IDEMPOTENCY_KEY="open-000000001",
        )
        assert a.json()["id"] == b.json()["id"]
        assert Incident.objects.count() == 1

    def test_a_malformed_key_is_a_400_naming_the_header(self, alice):
        response = client_for(alice).post(
            "/api/v1/incidents/", {"kind": "other", "summary": "x"}, HTTP_IDEMPOTENCY_KEY="a b"
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "Idempotency-Key"


def test_appointments_are_recorded_with_the_appointees_agency(alice, family, omar, edt):
    client = client_for(alice)
    incident = _open(client, family).json()
    ask(incident["id"], edt, by=alice)
    client.post(
        f"/api/v1/incidents/{incident['id']}/lead-professional/", {"user": str(omar.pk), "reason": "EDT"}
    )
    appointment = Appointment.objects.get(incident_id=incident["id"])
    assert appointment.agency.code == "edt"
