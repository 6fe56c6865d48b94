"""A DASH assessment that recommended a MARAC referral in the last 12 months puts a `marac_case` guidance
item (a warning, in plain words, naming the assessment and the person) in the picture of any incident
whose people include the victim; "consider a MARAC referral" then goes quiet. One query, whatever the
number of assessments."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ooh.incidents import actions as incident_actions
from ooh.picture.guidance import GuidanceContext, guidance_for
from ooh.picture.snapshot import build
from ooh.referrals import dash
from tests import factories
from tests.personas import persona

from .helpers import NOW, answers

pytestmark = pytest.mark.django_db


def assess(a, person, *, yes=15, now=NOW, **more):
    return dash.assess(
        actor=a.mia,
        person=person,
        answers=answers(yes),
        professional_judgement_high_risk=False,
        incidents_last_12_months=0,
        now=now,
        **more,
    )


def open_for(*subjects):
    return incident_actions.open_incident(
        actor=persona("alice"), kind="welfare_concern", summary="Shouting heard next door", subjects=subjects
    )


def codes(snapshot):
    return [item["code"] for item in snapshot["guidance"]]


def marac_items(snapshot):
    return [item for item in snapshot["guidance"] if item["code"] == "marac_case"]


def test_the_rule_speaks_for_each_recommendation_in_plain_words(baby_a):
    a = baby_a
    assessment = assess(a, a.mother)
    [recommendation] = dash.marac_recommendations([a.mother.pk, a.father.pk], NOW)
    context = GuidanceContext(
        flags=[],
        birth_plans=[],
        edges=[],
        people={a.mother.pk: a.mother},
        marac_recommendations=[recommendation],
    )
    [item] = guidance_for(context)
    assert item.as_dict() == {
        "code": "marac_case",
        "level": "warning",
        "message": "MARAC case: a DASH risk assessment of Leah Ash on 12 Mar 2026 recommended a MARAC "
        "referral (visible high risk: 15 of the 24 answers are yes (14 or more)). Treat it as high-risk "
        "domestic abuse; a new incident within 12 months goes back to the MARAC.",
        "source": {"dash_assessment": str(assessment.pk), "person": str(a.mother.pk)},
    }


def test_the_snapshot_shows_it_for_the_victim_and_for_someone_linked(baby_a):
    a = baby_a
    older = assess(a, a.mother, now=NOW - dt.timedelta(days=60))
    latest = dash.assess(
        actor=a.mia,
        person=a.mother,
        answers=answers(2),
        professional_judgement_high_risk=True,
        incidents_last_12_months=0,
        now=NOW - dt.timedelta(days=1),
    )
    on_father = assess(a, a.father, now=NOW - dt.timedelta(days=3))
    snapshot, _network = build(open_for(a.mother), now=NOW)  # Kyle is in Leah's picture
    items = {item["source"]["person"]: item for item in marac_items(snapshot)}
    assert set(items) == {str(a.mother.pk), str(a.father.pk)}
    assert items[str(a.mother.pk)]["source"]["dash_assessment"] == str(latest.pk)  # the latest, once
    assert "professional judgement" in items[str(a.mother.pk)]["message"]
    assert items[str(a.father.pk)]["source"] == {
        "dash_assessment": str(on_father.pk),
        "person": str(a.father.pk),
    }
    assert items[str(a.mother.pk)]["level"] == "warning"
    assert older.pk != latest.pk


@pytest.mark.parametrize(
    ("ago", "shown"),
    [(dt.timedelta(days=364), True), (dt.timedelta(days=366), False)],
    ids=["within 12 months", "older"],
)
def test_only_a_recommendation_of_the_last_12_months_is_shown(baby_a, ago, shown):
    assess(baby_a, baby_a.mother, now=NOW - ago)
    snapshot, _network = build(open_for(baby_a.mother), now=NOW)
    assert bool(marac_items(snapshot)) is shown


def test_no_item_without_a_recommendation_or_outside_the_picture(baby_a):
    a = baby_a
    assess(a, a.mother, yes=9)  # standard risk, nothing to refer
    stranger = factories.person(a.mia, given_name="Sol", family_name="Reed")
    assess(a, stranger)  # recommended MARAC, but not in this incident's picture
    snapshot, _network = build(open_for(a.mother), now=NOW)
    assert marac_items(snapshot) == []


def test_a_recommendation_quietens_consider_marac(baby_a):
    a = baby_a
    factories.flag(a.mia, on=a.mother, category="domestic_abuse", severity="medium", valid_from=NOW)
    incident = open_for(a.mother)
    assert "consider_marac" in codes(build(incident, now=NOW + dt.timedelta(hours=1))[0])
    assess(a, a.mother, now=NOW + dt.timedelta(hours=2))
    after = codes(build(incident, now=NOW + dt.timedelta(hours=3))[0])
    assert "marac_case" in after
    assert "consider_marac" not in after


def test_the_guidance_costs_one_query_however_many_assessments(baby_a):
    a = baby_a
    incident = open_for(a.mother)
    build(incident, now=NOW)  # caches warmed

    def count():
        with CaptureQueriesContext(connection) as queries:
            build(incident, now=NOW)
        return len(queries)

    none = count()
    for days in (1, 2, 3):
        assess(a, a.mother, now=NOW - dt.timedelta(days=days))
        assess(a, a.father, now=NOW - dt.timedelta(days=days))
    assert count() == none
    with CaptureQueriesContext(connection) as queries:
        dash.marac_recommendations([a.mother.pk, a.father.pk, a.baby.pk], NOW)
    assert len(queries) == 1
