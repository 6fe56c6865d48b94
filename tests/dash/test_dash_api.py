"""The routes: `POST /people/{id}/dash-assessments/` (201 with the score, level, the MARAC recommendation
and why) and `GET /people/{id}/dash-assessments/` (newest first, audited); need to know the person (404
otherwise); every bad input a 400 naming the field, writing nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from ooh.audit.models import AccessedPerson, AccessLog
from ooh.flags.models import Flag
from ooh.incidents import actions as incident_actions
from ooh.referrals import dash
from ooh.referrals.models import DashAssessment
from tests import factories
from tests.personas import client_for, persona

from .helpers import answers

pytestmark = pytest.mark.django_db


def _url(person):
    return f"/api/v1/people/{person.pk}/dash-assessments/"


def _body(yes=0, **more):
    return {
        "answers": answers(yes),
        "professional_judgement_high_risk": False,
        "incidents_last_12_months": 0,
        **more,
    }


def _refused(response, status, attr=None):
    assert response.status_code == status, response.content
    errors = response.json()["errors"]
    if attr is not None:
        assert [e["attr"] for e in errors] == [attr], errors
    return errors[0]


def _written():
    return DashAssessment.objects.count(), Flag.objects.count()


def test_an_assessment_is_recorded_and_answered_with_its_recommendation(baby_a):
    """Sergeant Hale, at tonight's call-out to Leah, completes the checklist with her."""
    a = baby_a
    hale = persona("hale")
    incident = incident_actions.open_incident(
        actor=persona("alice"),
        kind="welfare_concern",
        summary="Neighbour heard shouting",
        subjects=[a.mother],
    )
    response = client_for(hale).post(
        _url(a.mother),
        _body(15, incidents_last_12_months=3, raise_flag=True, incident=str(incident.pk)),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "person",
        "score",
        "risk_level",
        "marac_referral_recommended",
        "reasons",
        "flag",
        "assessor",
        "at",
        "answers",
        "professional_judgement_high_risk",
        "incidents_last_12_months",
        "incident",
    }
    assert (body["person"], body["score"], body["risk_level"]) == (str(a.mother.pk), 15, "high")
    assert body["marac_referral_recommended"] is True
    assert body["reasons"] == [
        "visible high risk: 15 of the 24 answers are yes (14 or more)",
        "potential escalation: 3 police call-outs in the last 12 months (3 or more)",
    ]
    flag = Flag.objects.get(pk=body["flag"])
    assert (flag.category, flag.subject_person_id, flag.owner_id) == ("marac_case", a.mother.pk, hale.pk)
    assert body["assessor"] == {"id": str(hale.pk), "username": "hale", "display_name": hale.display_name}
    assert body["answers"] == answers(15)
    assert body["incident"] == str(incident.pk)
    assert DashAssessment.objects.get().incident_id == incident.pk


def test_the_list_is_newest_first_and_audited(baby_a):
    a = baby_a
    client = client_for(a.mia)
    second = client.post(_url(a.mother), _body(11), format="json").json()
    first = dash.assess(
        actor=a.mia,
        person=a.mother,
        answers=answers(3),
        professional_judgement_high_risk=False,
        incidents_last_12_months=0,
        now=timezone.now() - dt.timedelta(days=2),
    )
    first = {"id": str(first.pk)}
    client.post(_url(a.father), _body(1), format="json")  # someone else's: not listed
    response = client_for(a.connor).get(_url(a.mother))  # the hospital sees Leah too (its flag)
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()] == [second["id"], first["id"]]
    assert response.json()[0]["risk_level"] == "medium"
    log = AccessLog.objects.filter(object_type="dash_assessment", action="read").get()
    assert log.username == "connor"
    assert sorted(log.object_ids) == sorted([first["id"], second["id"]])
    assert list(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True)) == [a.mother.pk]


def test_someone_outside_need_to_know_is_told_the_person_does_not_exist(baby_a):
    a = baby_a
    client_for(a.mia).post(_url(a.mother), _body(15), format="json")
    for user in (persona("sam"), a.ada):  # another council's social worker; the council's admin
        client = client_for(user)
        _refused(client.get(_url(a.mother)), 404)
        _refused(client.post(_url(a.mother), _body(15), format="json"), 404)
    assert DashAssessment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"answers": {k: v for k, v in answers().items() if k != "7"}}, "answers.7"),
        ({"answers": {**answers(), "25": "no"}}, "answers.25"),
        ({"answers": {**answers(), "3": "maybe"}}, "answers.3"),
        ({"answers": {**answers(), "3": 1}}, "answers.3"),
        ({"answers": ["yes"] * 24}, "answers"),
        ({"incidents_last_12_months": -1}, "incidents_last_12_months"),
        ({"incidents_last_12_months": 2.5}, "incidents_last_12_months"),
        ({"incidents_last_12_months": "3"}, "incidents_last_12_months"),
        ({"professional_judgement_high_risk": "no"}, "professional_judgement_high_risk"),
        ({"raise_flag": True}, "raise_flag"),  # nothing to refer: no flag
        ({"incident": "not-an-id"}, "incident"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(baby_a, change, attr):
    before = _written()
    response = client_for(baby_a.mia).post(_url(baby_a.mother), {**_body(2), **change}, format="json")
    _refused(response, 400, attr)
    assert _written() == before


@pytest.mark.parametrize(
    "missing", ["answers", "professional_judgement_high_risk", "incidents_last_12_months"]
)
def test_each_required_field_is_named_when_missing(baby_a, missing):
    body = {k: v for k, v in _body(2).items() if k != missing}
    _refused(client_for(baby_a.mia).post(_url(baby_a.mother), body, format="json"), 400, missing)
    assert not DashAssessment.objects.exists()


def test_an_incident_the_assessor_cannot_see_reads_as_missing(baby_a, alice):
    vales = factories.vale_family(alice)
    unseen = incident_actions.open_incident(
        actor=alice, kind="birth", summary="Home birth", subjects=[vales["kerry"]]
    )
    response = client_for(baby_a.mia).post(
        _url(baby_a.mother), _body(15, incident=str(unseen.pk)), format="json"
    )
    _refused(response, 400, "incident")
    assert not DashAssessment.objects.exists()
