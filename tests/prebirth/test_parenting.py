"""Parental vulnerability: a learning disability or mental health flag in force on a parent of the unborn
baby (linked as mother, father or parent, or the mother of its plan) -> seek specialist advice on
parenting capacity, naming each parent with the need in words."""

import datetime as dt

import pytest
from django.utils import timezone

from ooh.flags.models import Flag
from ooh.people.models import Relationship
from ooh.referrals.parenting import advice_by_plan, advice_line, parenting_capacity_advice
from tests import factories

from .helpers import plan

pytestmark = pytest.mark.django_db


def test_both_parents_are_named_with_their_needs_in_words(baby_a):
    assert parenting_capacity_advice(baby_a.baby) == [
        "Seek specialist advice on parenting capacity: Kyle Ash (learning disability), "
        "Leah Ash (mental health)."
    ]


def test_an_ended_link_or_a_revoked_flag_is_not_advice(baby_a):
    a = baby_a
    Relationship.objects.filter(from_person=a.father, to_person=a.baby).update(ended_at=timezone.now())
    assert parenting_capacity_advice(a.baby) == [
        "Seek specialist advice on parenting capacity: Leah Ash (mental health)."
    ]
    Flag.objects.filter(subject_person=a.mother).update(status="revoked")
    assert parenting_capacity_advice(a.baby) == []


def test_the_mother_of_the_plan_counts_without_a_link(baby_a):
    a = baby_a
    Relationship.objects.filter(to_person=a.baby).update(ended_at=timezone.now())
    assert parenting_capacity_advice(a.baby) == []
    active = plan(a)
    assert parenting_capacity_advice(a.baby) == [
        "Seek specialist advice on parenting capacity: Leah Ash (mental health)."
    ]
    assert advice_by_plan([active]) == {active.pk: parenting_capacity_advice(a.baby)}


def test_other_flags_and_other_relatives_are_not_advice(baby_a):
    a = baby_a
    aunt = factories.person(a.mia, given_name="Rose", family_name="Ash")
    factories.link(a.mia, aunt, "carer_of", a.baby)
    factories.flag(a.mia, on=aunt, category="learning_disability")
    factories.flag(a.mia, on=a.mother, category="substance_misuse")
    assert "Rose" not in parenting_capacity_advice(a.baby)[0]
    assert "substance" not in parenting_capacity_advice(a.baby)[0]


def test_a_flag_not_yet_in_force_is_not_advice(baby_a):
    later = timezone.now() + dt.timedelta(days=3)
    other = factories.person(
        baby_a.mia, family_name="Ash", status="unborn", expected_date=timezone.localdate()
    )
    parent = factories.person(baby_a.mia, given_name="Ann", family_name="Ash")
    factories.link(baby_a.mia, parent, "parent_of", other)
    factories.flag(baby_a.mia, on=parent, category="mental_health", valid_from=later)
    assert parenting_capacity_advice(other) == []
    assert parenting_capacity_advice(other, now=later) == [
        "Seek specialist advice on parenting capacity: Ann Ash (mental health)."
    ]


def test_the_wording_is_the_incident_pictures():
    assert advice_line([]) == ""
    assert advice_line([("Kyle Ash", "learning_disability"), ("Kyle Ash", "learning_disability")]) == (
        "Seek specialist advice on parenting capacity: Kyle Ash (learning disability)."
    )
