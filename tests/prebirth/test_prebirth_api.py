"""The routes: `GET|POST /people/{id}/milestones/`, `GET /birth-plans/{id}/milestones/`,
`POST /people/{id}/birth/`, and the parenting-capacity advice on the plan and the milestones."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ooh.audit.models import AccessLog
from ooh.referrals.models import MilestoneRecord
from tests.personas import client_for

from .helpers import ORDER, concern, plan

pytestmark = pytest.mark.django_db
ADVICE = (
    "Seek specialist advice on parenting capacity: Kyle Ash (learning disability), Leah Ash (mental health)."
)


def _social_worker(a):
    """Dana, once North council's children's social care has the baby as a case (the midwife referred
    her concern): the assessment and the conference are children's social care's to record."""
    from ooh.referrals import concerns

    concern = concerns.raise_concern(
        actor=a.mia, subjects=[a.baby, a.mother], summary="Worry", referral_required=True
    )
    concerns.make_referral(actor=a.mia, concern=concern, to_agency=a.agencies["csc"])
    return a.dana


def _url(person, tail="milestones"):
    return f"/api/v1/people/{person.pk}/{tail}/"


def _error(response, status, attr=None, code=None):
    assert response.status_code == status, response.content
    error = response.json()["errors"][0]
    if attr is not None:
        assert error["attr"] == attr
    if code is not None:
        assert error["code"] == code
    return error


def test_the_milestones_of_an_unborn_baby_with_advice_audited(baby_a):
    a = baby_a
    concern(a.connor, about=a.baby, at=timezone.now())
    response = client_for(a.mia).get(_url(a.baby))
    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["code"] for m in body] == ORDER
    first = body[0]
    assert set(first) == {"code", "label", "due", "met", "met_at", "met_by", "overdue", "advice"}
    assert first["label"] == "Referral to children's social care"
    assert first["due"] == (a.baby.expected_date - dt.timedelta(weeks=24)).isoformat()
    assert (first["met"], first["met_at"], first["met_by"]) == (False, None, None)
    assert all(m["advice"] == [ADVICE] for m in body)
    log = AccessLog.objects.filter(object_type="prebirth_milestones").latest("at")
    assert log.action == "read"
    assert log.username == "mia"


def test_someone_never_unborn_is_a_409_and_someone_unseen_a_404(baby_a):
    a = baby_a
    _error(client_for(a.mia).get(_url(a.mother)), 409, code="not_unborn")
    assert client_for(a.gail).get(_url(a.baby)).status_code == 404  # outside need to know


def test_recording_the_assessment_meets_it(baby_a):
    a = baby_a
    met_on = timezone.localdate() - dt.timedelta(days=3)
    body = {"milestone": "pre_birth_assessment", "met_on": met_on.isoformat(), "note": "Signed off"}
    response = client_for(_social_worker(a)).post(_url(a.baby), body, format="json")
    assert response.status_code == 201, response.content
    [assessment] = [m for m in response.json() if m["code"] == "pre_birth_assessment"]
    assert assessment["met"] is True
    assert assessment["met_at"] == met_on.isoformat()
    record = MilestoneRecord.objects.get(person=a.baby)
    assert assessment["met_by"]["ids"] == {"milestone_record": str(record.pk)}
    assert record.recorded_by == a.dana
    assert AccessLog.objects.filter(object_type="milestone", action="create").exists()


@pytest.mark.parametrize(
    ("body", "status", "attr"),
    [
        ({"milestone": "referral"}, 400, "milestone"),  # met by the referral itself, never by hand
        ({"milestone": "birth_plan_shared"}, 400, "milestone"),
        ({"milestone": "assessment"}, 400, "milestone"),  # not a milestone at all
        ({"met_on": "tomorrow"}, 400, "met_on"),
        ({"met_on": None}, 400, "met_on"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(baby_a, body, status, attr):
    tomorrow = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    request = {"milestone": "initial_conference", "met_on": timezone.localdate().isoformat(), **body}
    if request["met_on"] == "tomorrow":
        request["met_on"] = tomorrow
    _error(client_for(_social_worker(baby_a)).post(_url(baby_a.baby), request, format="json"), status, attr)
    assert not MilestoneRecord.objects.exists()


def test_recorded_twice_is_a_409_and_not_allowed_a_403(baby_a):
    a = baby_a
    body = {"milestone": "initial_conference", "met_on": timezone.localdate().isoformat()}
    dana = _social_worker(a)
    assert client_for(dana).post(_url(a.baby), body, format="json").status_code == 201
    _error(client_for(dana).post(_url(a.baby), body, format="json"), 409, code="milestone_recorded")
    # The consultant and the midwife have cases on the baby, but do not mark children's social care's
    # work done.
    assert client_for(a.connor).post(_url(a.baby), body, format="json").status_code == 403
    assert client_for(a.mia).post(_url(a.baby), body, format="json").status_code == 403
    _error(client_for(dana).post(_url(a.mother), body, format="json"), 409, code="not_unborn")
    # Ada, the council's admin, does no casework: the baby is not found (the matrix has the 403s).
    assert client_for(a.ada).post(_url(a.baby), body, format="json").status_code == 404
    assert MilestoneRecord.objects.count() == 1


def test_the_plans_milestones_and_its_advice(baby_a):
    a = baby_a
    active = plan(a, lead=a.dana, agreed_on=timezone.localdate() - dt.timedelta(days=1))
    client = client_for(a.dana)
    response = client.get(f"/api/v1/birth-plans/{active.pk}/milestones/")
    assert response.status_code == 200, response.content
    agreed = response.json()[3]
    assert agreed["code"] == "birth_plan_agreed"
    assert agreed["met_by"]["ids"] == {"birth_plan": str(active.pk)}
    assert response.json()[0]["advice"] == [ADVICE]
    log = AccessLog.objects.filter(object_type="prebirth_milestones").latest("at")
    assert str(a.mother.pk) in {str(p) for p in log.people.values_list("person_id", flat=True)}
    detail = client.get(f"/api/v1/birth-plans/{active.pk}/").json()
    assert detail["advice"] == [ADVICE]
    [listed] = client.get("/api/v1/birth-plans/").json()["results"]
    assert listed["advice"] == [ADVICE]


def test_the_plans_list_reads_the_advice_in_a_fixed_number_of_queries(baby_a):
    a = baby_a
    client = client_for(a.dana)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/birth-plans/").status_code == 200
        return len(queries)

    plan(a, lead=a.dana, status="closed")
    one = count()
    for _ in range(3):
        plan(a, lead=a.dana, status="closed")
    assert count() == one


def test_no_advice_without_a_vulnerable_parent(baby_a):
    a = baby_a
    from ooh.flags.models import Flag

    Flag.objects.filter(category__in=["learning_disability", "mental_health"]).update(status="revoked")
    assert client_for(a.mia).get(_url(a.baby)).json()[0]["advice"] == []


def test_recording_the_birth_returns_the_living_child(baby_a):
    a = baby_a
    today = timezone.localdate().isoformat()
    response = client_for(a.mia).post(
        _url(a.baby, "birth"), {"date_of_birth": today, "place": "Northshire General"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "living"
    assert body["date_of_birth"] == today
    assert body["place_of_birth"] == "Northshire General"
    assert body["expected_date"] == a.baby.expected_date.isoformat()
    # Still a protocol to read afterwards: the child keeps its expected date.
    assert client_for(a.mia).get(_url(a.baby)).status_code == 200


def test_the_births_bad_input(baby_a):
    a = baby_a
    client = client_for(a.mia)
    today = timezone.localdate()
    future = (today + dt.timedelta(days=2)).isoformat()
    _error(
        client.post(_url(a.mother, "birth"), {"date_of_birth": today.isoformat(), "place": "Home"}),
        409,
        code="not_unborn",
    )
    _error(
        client.post(_url(a.baby, "birth"), {"date_of_birth": future, "place": "Home"}), 400, "date_of_birth"
    )
    _error(client.post(_url(a.baby, "birth"), {"date_of_birth": today.isoformat()}), 400, "place")
    _error(
        client_for(a.gail).post(_url(a.baby, "birth"), {"date_of_birth": today.isoformat(), "place": "Home"}),
        404,
    )
    a.baby.refresh_from_db()
    assert a.baby.status == "unborn"
    assert a.baby.date_of_birth is None
    assert a.baby.place_of_birth == ""
