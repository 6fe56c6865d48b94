"""The pre-birth protocol: each milestone's due date from the expected date (local days, across the end
of British Summer Time), and what meets each."""

import datetime as dt

import pytest

from ooh.errors import Conflict
from ooh.flags.models import Flag
from ooh.plans.models import PlanStatus
from ooh.referrals import prebirth
from ooh.referrals.models import Milestone, MilestoneRecord
from tests import factories

from .helpers import (
    DUE_AT,
    DUE_ON,
    EXPECTED,
    ORDER,
    SECOND,
    UTC,
    acknowledge,
    concern,
    plan,
    readers,
    referral,
    share,
    world,
)

pytestmark = pytest.mark.django_db
EARLY = dt.datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def states(baby, now):
    return {s.milestone: s for s in prebirth.protocols_for([baby], now=now)[baby.pk]}


def test_each_milestone_is_due_its_weeks_before_the_expected_date():
    for milestone, due in DUE_ON.items():
        assert prebirth.due_on(EXPECTED, milestone) == due
    assert [m.value for m in Milestone] == ORDER


def test_the_weeks_come_from_settings(settings):
    settings.PREBIRTH_MILESTONE_WEEKS = {**settings.PREBIRTH_MILESTONE_WEEKS, "pre_birth_assessment": 20}
    assert prebirth.due_on(EXPECTED, "pre_birth_assessment") == EXPECTED - dt.timedelta(weeks=20)


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        # The day before (Friday 23 October, BST), and the last second of the due day in London.
        (dt.datetime(2026, 10, 23, 12, 0, tzinfo=UTC), False),
        (DUE_AT["pre_birth_assessment"] - SECOND, False),  # 23:59:59 BST on Saturday 24 October
        # The first second of Sunday 25 October in London is still the 24th in UTC: overdue all the same.
        (DUE_AT["pre_birth_assessment"], True),
        (dt.datetime(2026, 10, 25, 12, 0, tzinfo=UTC), True),  # the day after (GMT from 02:00)
    ],
)
def test_overdue_turns_at_local_midnight_across_the_end_of_summer_time(now, overdue):
    a = world()
    concern(a.connor, about=a.baby, at=EARLY)
    assert states(a.baby, now)["pre_birth_assessment"].overdue is overdue


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (DUE_AT["initial_conference"] - dt.timedelta(days=1), False),
        (DUE_AT["initial_conference"] - SECOND, False),  # 23:59:59 GMT on Saturday 21 November
        (DUE_AT["initial_conference"], True),
        (DUE_AT["initial_conference"] + dt.timedelta(days=1), True),
    ],
)
def test_overdue_turns_at_local_midnight_in_winter(now, overdue):
    a = world()
    concern(a.connor, about=a.baby, at=EARLY)
    assert states(a.baby, now)["initial_conference"].overdue is overdue


def test_the_due_dates_follow_bst_when_the_expected_date_is_after_the_clocks_go_forward():
    """Expected in May 2027: the shared milestone falls on Saturday 10 April 2027, in BST."""
    assert prebirth.due_on(dt.date(2027, 5, 8), "birth_plan_shared") == dt.date(2027, 4, 10)
    from ooh.referrals.calendar import end_of

    assert end_of(dt.date(2027, 4, 10)) == dt.datetime(2027, 4, 10, 23, 0, tzinfo=UTC)


def test_nothing_is_met_for_a_baby_with_only_a_concern():
    a = world()
    concern(a.connor, about=a.baby, at=EARLY)
    found = states(a.baby, EARLY)
    assert [s.met for s in found.values()] == [False] * 5
    assert all(s.met_on is None and s.met_by is None for s in found.values())


def test_the_referral_is_met_by_the_earliest_referral_of_a_concern_about_the_baby():
    a = world()
    csc = a.agencies["csc"]
    first = concern(a.connor, about=[a.mother, a.baby], at=EARLY)
    second = concern(a.mia, about=a.baby, at=EARLY)
    referral(second, csc, at=dt.datetime(2026, 8, 20, 9, 0, tzinfo=UTC))
    earliest = referral(first, csc, at=dt.datetime(2026, 8, 10, 23, 30, tzinfo=UTC))  # 00:30 BST, the 11th
    met = states(a.baby, dt.datetime(2026, 9, 1, tzinfo=UTC))["referral"]
    assert met.met
    assert met.met_on == dt.date(2026, 8, 11)
    assert met.met_by.ids == {"referral": str(earliest.pk), "concern": str(first.pk)}
    assert earliest.reference in met.met_by.text
    assert "North council" in met.met_by.text
    assert not met.overdue


def test_a_referral_about_the_mother_alone_does_not_meet_the_babys_milestone():
    a = world()
    about_mother = concern(a.connor, about=a.mother, at=EARLY)
    referral(about_mother, a.agencies["csc"], at=EARLY)
    concern(a.mia, about=a.baby, at=EARLY)
    assert not states(a.baby, EARLY)["referral"].met


def test_the_assessment_is_met_by_its_record():
    a = world()
    concern(a.connor, about=a.baby, at=EARLY)
    record = MilestoneRecord.objects.create(
        person=a.baby,
        milestone="pre_birth_assessment",
        met_on=dt.date(2026, 10, 30),
        note="Assessment signed off",
        recorded_by=a.dana,
        recorded_at=dt.datetime(2026, 10, 31, 9, 0, tzinfo=UTC),
    )
    met = states(a.baby, dt.datetime(2026, 11, 2, tzinfo=UTC))["pre_birth_assessment"]
    assert met.met
    assert met.met_on == dt.date(2026, 10, 30)
    assert not met.overdue
    assert met.met_by.ids == {"milestone_record": str(record.pk)}
    assert "Assessment signed off" in met.met_by.text


def test_the_conference_is_met_by_its_record_or_by_an_unborn_child_protection_plan_flag():
    a = world()
    concern(a.connor, about=a.baby, at=EARLY)
    flag = factories.flag(
        a.dana,
        on=a.baby,
        category="unborn_child_protection_plan",
        severity="high",
        valid_from=dt.datetime(2026, 11, 18, 10, 0, tzinfo=UTC),
    )
    now = dt.datetime(2026, 12, 5, tzinfo=UTC)
    met = states(a.baby, now)["initial_conference"]
    assert met.met_on == dt.date(2026, 11, 18)
    assert met.met_by.ids == {"flag": str(flag.pk)}
    assert "conference's decision" in met.met_by.text
    record = MilestoneRecord.objects.create(
        person=a.baby,
        milestone="initial_conference",
        met_on=dt.date(2026, 11, 17),
        recorded_by=a.dana,
        recorded_at=now,
    )
    assert states(a.baby, now)["initial_conference"].met_by.ids == {"milestone_record": str(record.pk)}


def test_a_revoked_or_future_protection_flag_does_not_meet_the_conference():
    a = world()
    concern(a.connor, about=a.baby, at=EARLY)
    now = dt.datetime(2026, 12, 5, tzinfo=UTC)
    factories.flag(
        a.dana, on=a.baby, category="unborn_child_protection_plan", severity="high", valid_from=now + SECOND
    )
    revoked = factories.flag(
        a.dana,
        on=a.baby,
        category="unborn_child_protection_plan",
        severity="high",
        valid_from=now - dt.timedelta(days=9),
    )
    Flag.objects.filter(pk=revoked.pk).update(status="revoked")
    assert not states(a.baby, now)["initial_conference"].met


def test_the_plan_agreed_is_met_by_the_earliest_agreed_plan_active_or_superseded():
    a = world()
    old = plan(a, status=PlanStatus.SUPERSEDED, agreed_on=dt.date(2026, 12, 1))
    plan(a, status=PlanStatus.ACTIVE, agreed_on=dt.date(2026, 12, 28))
    plan(a, status=PlanStatus.DRAFT, agreed_on=dt.date(2026, 11, 1))  # a draft is not agreed
    met = states(a.baby, dt.datetime(2027, 1, 2, tzinfo=UTC))["birth_plan_agreed"]
    assert met.met_on == dt.date(2026, 12, 1)
    assert met.met_by.ids == {"birth_plan": str(old.pk)}


def test_the_plan_shared_needs_each_reader_to_acknowledge_the_current_version():
    a = world()
    active = plan(a, agreed_on=dt.date(2026, 12, 1), version=3)
    agencies = readers(a)
    at = dt.datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    now = dt.datetime(2027, 1, 20, tzinfo=UTC)
    for code, reader in agencies.items():
        share(active, reader[0], by=a.dana, at=at)
        if code != "police":
            acknowledge(active, reader, at=at + dt.timedelta(days=1))
    acknowledge(active, agencies["police"], at=at, version=2)  # an older version does not count
    missing = states(a.baby, now)["birth_plan_shared"]
    assert not missing.met
    assert missing.overdue
    acknowledge(active, agencies["police"], at=dt.datetime(2027, 1, 9, 23, 30, tzinfo=UTC))
    met = states(a.baby, now)["birth_plan_shared"]
    assert met.met
    assert met.met_on == dt.date(2027, 1, 9)
    assert met.met_by.ids == {"birth_plan": str(active.pk)}
    assert "Emergency Duty Team" in met.met_by.text
    assert "Police control" in met.met_by.text


def test_the_plan_shared_needs_the_share_too():
    """An acknowledgement from an agency the plan was not shared with does not count."""
    a = world()
    active = plan(a, agreed_on=dt.date(2026, 12, 1))
    at = dt.datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    for code, reader in readers(a).items():
        if code != "midwifery":
            share(active, reader[0], by=a.dana, at=at)
        acknowledge(active, reader, at=at)
    assert not states(a.baby, at)["birth_plan_shared"].met


def test_the_protocol_costs_six_queries_for_one_baby_or_many(django_assert_num_queries):
    a = world()
    active = plan(a, agreed_on=dt.date(2026, 12, 1))
    others = [
        factories.person(a.mia, family_name="Ash", status="unborn", expected_date=EXPECTED) for _ in range(5)
    ]
    for baby in [a.baby, *others]:
        concern(a.connor, about=baby, at=EARLY)
    share(active, readers(a)["edt"][0], by=a.dana, at=EARLY)
    # Referrals, milestone records, protection flags, plans, the plan's shares, its acknowledgements.
    with django_assert_num_queries(6):
        prebirth.protocols_for([a.baby], now=EARLY)
    with django_assert_num_queries(6):
        prebirth.protocols_for([a.baby, *others], now=EARLY)


def test_which_babies_the_protocol_covers():
    a = world()
    concerned, referred, planned, drafted = (
        factories.person(a.mia, family_name="Ash", status="unborn", expected_date=EXPECTED) for _ in range(4)
    )
    closed_unreferred, closed_plan, living = (
        factories.person(a.mia, family_name="Ash", status="unborn", expected_date=EXPECTED) for _ in range(3)
    )
    concern(a.connor, about=concerned, at=EARLY)
    referral(concern(a.mia, about=referred, at=EARLY, status="closed"), a.agencies["csc"], at=EARLY)
    concern(a.mia, about=closed_unreferred, at=EARLY, status="closed")
    for baby, status in ((planned, "active"), (drafted, "draft"), (closed_plan, "closed")):
        a.baby = baby  # the helper plans for a.baby
        plan(a, status=status)
    concern(a.connor, about=[a.mother], at=EARLY)  # the mother is not unborn
    assert set(prebirth.covered_babies()) == {concerned, referred, planned, drafted}
    assert living not in set(prebirth.covered_babies())


def test_a_person_never_unborn_has_no_protocol():
    a = world()
    with pytest.raises(Conflict) as refused:
        prebirth.protocol_for(a.mother)
    assert refused.value.code == "not_unborn"
