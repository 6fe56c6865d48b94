"""The attendance state machine, every `from -> to` pair, and the rules each answer must follow."""

import datetime
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from ooh.errors import Conflict
from ooh.incidents import actions
from ooh.incidents.models import Attendance, AttendanceStatus, Event, IncidentAgency
from ooh.incidents.rules import TRANSITIONS
from tests.answers import errors
from tests.personas import client_for

pytestmark = pytest.mark.django_db

STATUSES = [None, *AttendanceStatus.values]


def _set(incident, agency, status, user):
    # The agency holds the family's birth plan, so it sees the incident before it has any row.
    IncidentAgency.objects.get_or_create(
        incident=incident, agency=agency, defaults={"reason": "stakeholder", "since": timezone.now()}
    )
    if status is not None:
        Attendance.objects.create(
            incident=incident, agency=agency, status=status, updated_at=timezone.now(), updated_by=user
        )


def _move(incident, to, *, control_room, member_of_agency, agency):
    eta = timezone.now() + datetime.timedelta(minutes=20)
    if to == AttendanceStatus.REQUESTED:
        return actions.request_attendance(
            actor=control_room, incident=incident, agency=agency, respond_within_minutes=10
        )
    if to == AttendanceStatus.STOOD_DOWN:
        return actions.stand_down(actor=control_room, incident=incident, agency=agency, reason="Not needed")
    return actions.update_attendance(
        actor=member_of_agency,
        incident=incident,
        status=to,
        eta=eta if to in ("attending", "en_route") else None,
        agreed_role="Phone advice" if to == "cannot_attend" else "",
    )


@pytest.mark.parametrize(("current", "new"), list(itertools.product(STATUSES, AttendanceStatus.values)))
def test_every_transition_is_allowed_exactly_when_the_table_says(alice, omar, edt, incident, current, new):
    _set(incident, edt, current, omar)
    seq = incident.last_seq
    allowed = new in TRANSITIONS[current] and not (current is None and new == AttendanceStatus.STOOD_DOWN)
    if allowed:
        row = _move(incident, new, control_room=alice, member_of_agency=omar, agency=edt)
        assert row.status == new
        assert Event.objects.filter(incident=incident, seq=seq + 1).exists()
    else:
        with pytest.raises(Conflict):
            _move(incident, new, control_room=alice, member_of_agency=omar, agency=edt)
        assert (
            Attendance.objects.filter(incident=incident, agency=edt).values_list("status", flat=True).first()
            == current
        )
        assert not Event.objects.filter(incident=incident, seq=seq + 1).exists()


def test_the_table_covers_every_status():
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(targets <= set(AttendanceStatus.values) for targets in TRANSITIONS.values())


def test_attending_needs_an_eta(omar, incident):
    with pytest.raises(ValidationError) as error:
        actions.update_attendance(actor=omar, incident=incident, status="attending")
    assert "eta" in error.value.message_dict


def test_cannot_attend_needs_what_the_agency_will_do_instead(omar, incident):
    with pytest.raises(ValidationError) as error:
        actions.update_attendance(actor=omar, incident=incident, status="cannot_attend", agreed_role="  ")
    assert "agreed_role" in error.value.message_dict
    assert not Attendance.objects.exists()


def test_an_eta_in_the_past_is_refused(omar, incident):
    with pytest.raises(ValidationError) as error:
        actions.update_attendance(
            actor=omar,
            incident=incident,
            status="attending",
            eta=timezone.now() - datetime.timedelta(hours=1),
        )
    assert "eta" in error.value.message_dict


@pytest.mark.parametrize("status", ["requested", "stood_down"])
def test_only_the_control_room_asks_or_stands_down(omar, hale, edt, incident, status):
    with pytest.raises(ValidationError):
        actions.update_attendance(actor=omar, incident=incident, status=status)
    with pytest.raises(PermissionDenied):
        actions.request_attendance(actor=hale, incident=incident, agency=edt, respond_within_minutes=10)


def test_changing_ones_mind_keeps_both_answers_in_the_timeline(alice, omar, edt, incident):
    actions.request_attendance(actor=alice, incident=incident, agency=edt, respond_within_minutes=10)
    actions.update_attendance(
        actor=omar, incident=incident, status="attending", eta=timezone.now() + datetime.timedelta(minutes=50)
    )
    actions.update_attendance(
        actor=omar,
        incident=incident,
        status="cannot_attend",
        agreed_role="Phone advice to the decision maker",
    )
    updates = Event.objects.filter(incident=incident, type="attendance.updated").order_by("seq")
    assert [(e.data["previous_status"], e.data["status"]) for e in updates] == [
        ("requested", "attending"),
        ("attending", "cannot_attend"),
    ]
    row = Attendance.objects.get(incident=incident, agency=edt)
    assert (row.status, row.eta, row.agreed_role) == (
        "cannot_attend",
        None,
        "Phone advice to the decision maker",
    )


def test_respond_by_is_set_from_the_minutes_given(alice, edt, incident):
    before = timezone.now()
    row = actions.request_attendance(actor=alice, incident=incident, agency=edt, respond_within_minutes=10)
    assert (
        before + datetime.timedelta(minutes=10)
        <= row.respond_by
        <= timezone.now() + datetime.timedelta(minutes=10)
    )


# --- Over HTTP: `agreed_role | null` and `note` (API.md); null means none given -------------------


def _answer(user, incident, **body):
    return client_for(user).post(f"/api/v1/incidents/{incident.pk}/attendance/", body, format="json")


def test_null_agreed_role_and_note_mean_none_given(omar, edt, incident):
    _set(incident, edt, None, omar)
    eta = (timezone.now() + datetime.timedelta(minutes=20)).isoformat()
    response = _answer(omar, incident, status="attending", eta=eta, agreed_role=None, note=None)
    assert response.status_code == 200, response.content
    assert (response.json()["agreed_role"], response.json()["note"]) == ("", "")
    row = Attendance.objects.get(incident=incident, agency=edt)
    assert (row.status, row.agreed_role, row.note) == ("attending", "", "")


def test_cannot_attend_with_a_null_eta_and_note_keeps_the_agreed_role(omar, edt, incident):
    _set(incident, edt, None, omar)
    response = _answer(
        omar, incident, status="cannot_attend", eta=None, agreed_role="Phone advice", note=None
    )
    assert response.status_code == 200, response.content
    row = Attendance.objects.get(incident=incident, agency=edt)
    assert (row.status, row.agreed_role, row.note) == ("cannot_attend", "Phone advice", "")


@pytest.mark.parametrize(
    "role", [{}, {"agreed_role": None}, {"agreed_role": ""}, {"agreed_role": "   "}, {"agreed_role": "\t\n"}]
)
def test_cannot_attend_without_an_agreed_role_is_a_400_naming_it_and_writes_nothing(
    omar, edt, incident, role
):
    _set(incident, edt, None, omar)
    seq = incident.last_seq
    refused = errors(_answer(omar, incident, status="cannot_attend", note=None, **role))
    assert refused.keys() == {"agreed_role"}
    assert "instead of attending" in refused["agreed_role"]["detail"]
    assert not Attendance.objects.exists()
    assert not Event.objects.filter(incident=incident, seq__gt=seq).exists()


@pytest.mark.parametrize(("field", "value"), [("agreed_role", 5), ("note", False), ("agreed_role", ["x"])])
def test_agreed_role_and_note_are_text_or_null_nothing_else(omar, edt, incident, field, value):
    _set(incident, edt, None, omar)
    body = {"status": "cannot_attend", "agreed_role": "Phone advice", field: value}
    assert errors(_answer(omar, incident, **body)).keys() == {field}
    assert not Attendance.objects.exists()


def test_a_null_body_opens_no_door_to_an_agency_not_on_the_incident(bob, incident):
    response = _answer(bob, incident, status="cannot_attend", eta=None, agreed_role="By phone", note=None)
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_the_schema_says_eta_agreed_role_and_note_may_be_null(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    fields = schema["components"]["schemas"]["AttendanceUpdateRequest"]["properties"]
    assert {name: fields[name].get("nullable") for name in ("eta", "agreed_role", "note")} == {
        "eta": True,
        "agreed_role": True,
        "note": True,
    }
