"""The appointee answers: accept, or decline with a reason (the role is empty again); recording a
decision accepts implicitly. Only the appointee of the current appointment answers, once; a closed
incident refuses. Through the actions and over HTTP, as the appointee and as everyone who should not."""

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ooh.errors import Conflict
from ooh.incidents import actions, answers, details, events
from ooh.incidents.models import Appointment, Event, Incident
from tests.factories import member
from tests.personas import client_for
from tests.racing import race

pytestmark = pytest.mark.django_db

ROLES = ("decision_maker", "lead_professional")
PATHS = {"decision_maker": "decision-maker", "lead_professional": "lead-professional"}
T0 = timezone.now().replace(microsecond=0)


def at(**delta):
    return T0 + datetime.timedelta(**delta)


def appoint(incident, user, *, role="decision_maker", by, now=None):
    return actions.appoint(
        actor=by, incident=incident, role=role, user=user, reason="Sergeant on scene", now=now or at()
    )


def url(incident, role, answer):
    return f"/api/v1/incidents/{incident.pk}/{PATHS[role]}/{answer}/"


def types(incident):
    return list(Event.objects.filter(incident=incident).order_by("seq").values_list("type", flat=True))


def snapshot(incident, as_user):
    return client_for(as_user).get(f"/api/v1/incidents/{incident.pk}/").json()


def state(incident):
    """What an answer may change: the appointments and the incident's pointers and log."""
    incident = Incident.objects.get(pk=incident.pk)
    return (
        list(Appointment.objects.order_by("at", "id").values_list("id", "accepted_at", "declined_at")),
        incident.decision_maker_id,
        incident.lead_professional_id,
        incident.last_seq,
    )


@pytest.fixture
def published(monkeypatch):
    """(event type, feed users) of every event published after commit."""
    sent = []
    real = events.publish

    def capture(message, **kwargs):
        sent.append((message["event"], {str(u) for u in kwargs.get("feed_users", ())}))
        real(message, **kwargs)

    monkeypatch.setattr(events, "publish", capture)
    return sent


# --- Accepting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_appointee_accepts_and_the_snapshot_says_so(
    role, alice, incident, hale, published, django_capture_on_commit_callbacks
):
    appoint(incident, hale, role=role, by=alice)
    assert snapshot(incident, alice)[role]["accepted"] is False
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(hale).post(url(incident, role, "accept"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["user"]["id"], body["accepted"]) == (str(hale.pk), True)
    assert body["accepted_at"] is not None
    shown = snapshot(incident, alice)[role]
    assert (shown["accepted"], shown["accepted_at"]) == (True, body["accepted_at"])
    assert types(incident)[-2:] == [f"{role}.appointed", f"{role}.accepted"]
    event = Event.objects.get(incident=incident, type=f"{role}.accepted")
    assert event.data["id"] == body["id"]
    assert (event.data["accepted"], event.data["implicit"]) == (True, False)
    assert published == [(f"{role}.accepted", {str(alice.pk)})]  # the appointer hears of it


@pytest.mark.parametrize("role", ROLES)
def test_an_appointment_is_answered_once(role, alice, incident, hale):
    appoint(incident, hale, role=role, by=alice)
    client = client_for(hale)
    assert client.post(url(incident, role, "accept")).status_code == 200
    before = state(incident)
    for answer, body in (("accept", {}), ("decline", {"reason": "Changed my mind"})):
        response = client.post(url(incident, role, answer), body)
        assert response.status_code == 409
        assert response.json()["errors"][0]["code"] == "appointment_already_answered"
    assert state(incident) == before


@pytest.mark.parametrize("role", ROLES)
def test_with_nobody_appointed_there_is_nothing_to_answer(role, incident, hale):
    response = client_for(hale).post(url(incident, role, "accept"))
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "no_current_appointment"


def test_the_actions_name_each_conflict(alice, incident, hale):
    with pytest.raises(Conflict) as empty:
        answers.accept_appointment(actor=hale, incident=incident, role="decision_maker")
    assert empty.value.code == "no_current_appointment"
    appoint(incident, hale, by=alice)
    answers.accept_appointment(actor=hale, incident=incident, role="decision_maker")
    with pytest.raises(Conflict) as twice:
        answers.decline_appointment(actor=hale, incident=incident, role="decision_maker", reason="No")
    assert twice.value.code == "appointment_already_answered"


# --- Declining ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_declining_empties_the_role_and_the_timeline_keeps_it(
    role, alice, incident, hale, published, django_capture_on_commit_callbacks
):
    appointment = appoint(incident, hale, role=role, by=alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(hale).post(url(incident, role, "decline"), {"reason": "  Off duty at 2am  "})
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["accepted"]) == (str(appointment.pk), False)
    assert getattr(Incident.objects.get(pk=incident.pk), f"{role}_id") is None
    appointment.refresh_from_db()
    assert appointment.declined_at is not None
    assert (appointment.accepted_at, appointment.decline_reason) == (None, "Off duty at 2am")
    assert snapshot(incident, alice)[role] is None
    assert types(incident)[-2:] == [f"{role}.appointed", f"{role}.declined"]
    event = Event.objects.get(incident=incident, type=f"{role}.declined")
    assert (event.data["id"], event.data["reason"]) == (str(appointment.pk), "Off duty at 2am")
    assert published == [(f"{role}.declined", {str(alice.pk)})]
    # Declined, the role is empty: nothing left to answer.
    again = client_for(hale).post(url(incident, role, "accept"))
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "no_current_appointment"


def test_a_declined_decision_maker_leaves_nobody_deciding(alice, incident, hale):
    appoint(incident, hale, by=alice)
    answers.decline_appointment(actor=hale, incident=incident, role="decision_maker", reason="Called away")
    assert "no_decision_maker" in [g["code"] for g in snapshot(incident, alice)["guidance"]]
    with pytest.raises(PermissionDenied):
        actions.record_decision(actor=hale, incident=incident, decision="To hospital", rationale="Plan")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": 7}, {"reason": "x" * 1001}])
def test_a_decline_without_a_reason_is_a_400_naming_it_and_writes_nothing(body, alice, incident, hale):
    appoint(incident, hale, by=alice)
    before = state(incident)
    response = client_for(hale).post(url(incident, "decision_maker", "decline"), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "reason"
    assert state(incident) == before


def test_the_action_refuses_a_blank_reason_too(alice, incident, hale):
    appoint(incident, hale, by=alice)
    before = state(incident)
    with pytest.raises(ValidationError) as refused:
        answers.decline_appointment(actor=hale, incident=incident, role="decision_maker", reason="   ")
    assert "reason" in refused.value.message_dict
    assert state(incident) == before


# --- Who may answer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_only_the_appointee_answers(answer, alice, amy, incident, hale, ambulance):
    """The control room that appointed, another control room, an officer of the same agency, a paramedic
    whose service is on the incident: all see it, none may answer for the sergeant."""
    actions.request_attendance(actor=alice, incident=incident, agency=ambulance, respond_within_minutes=10)
    appoint(incident, hale, by=alice)
    colleague = member(agency=hale.membership.agency, role=hale.membership.role, username="pc_jones")
    paramedic = member(agency=ambulance, role="responder", username="paramedic")
    before = state(incident)
    for user in (alice, amy, colleague, paramedic):
        response = client_for(user).post(url(incident, "decision_maker", answer), {"reason": "Not me"})
        assert response.status_code == 403, (user.username, response.content)
    assert state(incident) == before


def test_another_agency_and_an_unknown_id_get_404(alice, incident, hale, omar):
    """The EDT is not on this incident: it reads as one that does not exist, as an id never issued does."""
    appoint(incident, hale, by=alice)
    before = state(incident)
    assert client_for(omar).post(url(incident, "decision_maker", "accept")).status_code == 404
    never = f"/api/v1/incidents/{uuid.uuid4()}/decision-maker/accept/"
    assert client_for(hale).post(never).status_code == 404
    assert state(incident) == before


def test_a_replaced_appointee_may_no_longer_answer(alice, incident, hale, pat):
    first = appoint(incident, hale, by=alice)
    appoint(incident, pat, by=alice, now=at(minutes=1))
    with pytest.raises(PermissionDenied):
        answers.accept_appointment(actor=hale, incident=incident, role="decision_maker")
    first.refresh_from_db()
    assert first.accepted_at is None


def test_the_decision_maker_does_not_answer_for_the_lead_professional(alice, incident, hale, pat):
    appoint(incident, hale, by=alice)
    appoint(incident, pat, role="lead_professional", by=hale)
    response = client_for(hale).post(url(incident, "lead_professional", "accept"))
    assert response.status_code == 403


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_a_closed_incident_refuses_an_answer(answer, alice, incident, hale):
    appoint(incident, hale, by=alice)
    details.close_incident(actor=alice, incident=incident, outcome="Resolved on scene")
    before = state(incident)
    response = client_for(hale).post(url(incident, "decision_maker", answer), {"reason": "Too late"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "incident_closed"
    assert state(incident) == before


# --- Deciding accepts ---------------------------------------------------------------------------------


def test_recording_a_decision_accepts_first_in_the_same_transaction(alice, incident, hale):
    appoint(incident, hale, by=alice)
    decision = actions.record_decision(
        actor=hale, incident=incident, decision="To hospital", rationale="The plan", now=at(minutes=3)
    )
    log = list(Event.objects.filter(incident=incident).order_by("seq").values_list("seq", "type", "data"))
    (seq_a, type_a, accepted), (seq_b, type_b, recorded) = log[-2:]
    assert (type_a, type_b, seq_b) == ("decision_maker.accepted", "decision.recorded", seq_a + 1)
    assert (accepted["implicit"], accepted["accepted"]) == (True, True)
    assert recorded["id"] == str(decision.pk)
    assert Incident.objects.get(pk=incident.pk).decision_maker.accepted_at == at(minutes=3)
    # Accepted once: the next decision is only a decision.
    actions.record_decision(actor=hale, incident=incident, decision="Police protection", rationale="Risk")
    assert types(incident).count("decision_maker.accepted") == 1


def test_a_refused_decision_accepts_nothing(alice, incident, hale):
    appoint(incident, hale, by=alice)
    before = state(incident)
    with pytest.raises(ValidationError):
        actions.record_decision(actor=hale, incident=incident, decision="To hospital", rationale=" ")
    assert state(incident) == before


def test_an_accepted_decision_maker_decides_without_a_second_acceptance(alice, incident, hale):
    appoint(incident, hale, by=alice)
    answers.accept_appointment(actor=hale, incident=incident, role="decision_maker")
    actions.record_decision(actor=hale, incident=incident, decision="To hospital", rationale="The plan")
    assert types(incident)[-3:] == [
        "decision_maker.appointed",
        "decision_maker.accepted",
        "decision.recorded",
    ]


def test_accepting_the_lead_professional_does_not_accept_the_decision_maker(alice, incident, hale):
    appoint(incident, hale, by=alice)
    appoint(incident, hale, role="lead_professional", by=alice)
    answers.accept_appointment(actor=hale, incident=incident, role="lead_professional")
    assert Incident.objects.get(pk=incident.pk).decision_maker.accepted_at is None


# --- Racing ----------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(4))
def test_accepting_while_a_new_decision_maker_is_appointed_leaves_one_consistent_current(
    round_, alice, incident, hale, pat
):
    """The sergeant accepts at the moment the control room names the supervisor instead: whichever goes
    first, exactly one decision maker is current afterwards (the supervisor, not yet accepted), and the
    sergeant's acceptance happened only if it came first."""
    mine = appoint(incident, hale, by=alice)
    outcome = {}

    def accept():
        try:
            answers.accept_appointment(actor=hale, incident=incident, role="decision_maker")
            outcome["accept"] = "accepted"
        except PermissionDenied:  # replaced before the lock came round
            outcome["accept"] = "refused"

    def replace():
        outcome["new"] = actions.appoint(
            actor=alice, incident=incident, role="decision_maker", user=pat, reason="Supervisor takes it"
        )

    race(accept, replace)
    incident = Incident.objects.get(pk=incident.pk)
    new = outcome["new"]
    assert incident.decision_maker_id == new.pk
    assert Appointment.objects.get(pk=new.pk).accepted_at is None
    assert Appointment.objects.filter(incident=incident, role="decision_maker").count() == 2
    log = list(Event.objects.filter(incident=incident).order_by("seq").values_list("seq", "type"))
    assert [seq for seq, _ in log] == list(range(1, incident.last_seq + 1))  # no gaps
    mine.refresh_from_db()
    if outcome["accept"] == "accepted":
        assert mine.accepted_at is not None
        assert [t for _, t in log][-2:] == ["decision_maker.accepted", "decision_maker.appointed"]
    else:
        assert mine.accepted_at is None
        assert "decision_maker.accepted" not in [t for _, t in log]
