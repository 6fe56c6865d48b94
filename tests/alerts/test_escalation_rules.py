"""Every rule fires at its boundary and not a moment before; time is injected, nothing sleeps."""

import datetime

import pytest
from django.utils import timezone

from alerts import escalation_rules as rules
from ooh.incidents import actions, answers
from tests import factories
from tests.alerts.night import T0, at
from tests.factories import member
from tests.personas import agency

pytestmark = pytest.mark.django_db


def keys(due):
    return [d.subject_key for d in due]


class TestAttendanceNotAnswered:
    def test_fires_at_respond_by_to_the_agencys_duty_managers(self, alice, incident, edt, morgan, omar):
        actions.request_attendance(
            actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=T0
        )
        assert rules.attendance_not_answered(at(minutes=10) - datetime.timedelta(seconds=1)) == []
        [due] = rules.attendance_not_answered(at(minutes=10))
        assert due.users == {morgan.pk}
        assert due.incident_id == incident.pk
        assert "has not answered" in due.message

    def test_an_answer_ends_it(self, alice, incident, edt, omar):
        actions.request_attendance(
            actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=T0
        )
        actions.update_attendance(actor=omar, incident=incident, status="acknowledged", now=at(minutes=2))
        assert rules.attendance_not_answered(at(minutes=30)) == []

    def test_the_grace_is_a_setting(self, alice, incident, edt, settings):
        settings.ESCALATION_MINUTES = {**settings.ESCALATION_MINUTES, "attendance_not_answered": 5}
        actions.request_attendance(
            actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=T0
        )
        assert rules.attendance_not_answered(at(minutes=14, seconds=59)) == []
        assert len(rules.attendance_not_answered(at(minutes=15))) == 1


class TestEtaOverdue:
    def test_fires_ten_minutes_after_the_eta_to_the_control_room_and_the_agencys_managers(
        self, alice, incident, omar, morgan, pat
    ):
        actions.update_attendance(
            actor=omar, incident=incident, status="attending", eta=at(minutes=30), now=T0
        )
        assert rules.eta_overdue(at(minutes=39, seconds=59)) == []
        [due] = rules.eta_overdue(at(minutes=40))
        assert {morgan.pk, alice.pk, pat.pk} <= due.users

    def test_on_scene_ends_it_and_a_new_eta_starts_again(self, alice, incident, omar):
        actions.update_attendance(
            actor=omar, incident=incident, status="attending", eta=at(minutes=30), now=T0
        )
        actions.update_attendance(
            actor=omar, incident=incident, status="en_route", eta=at(minutes=50), now=at(minutes=25)
        )
        assert rules.eta_overdue(at(minutes=45)) == []
        assert len(rules.eta_overdue(at(minutes=60))) == 1
        actions.update_attendance(actor=omar, incident=incident, status="on_scene", now=at(minutes=55))
        assert rules.eta_overdue(at(minutes=90)) == []


class TestNoDecisionMaker:
    def test_fires_fifteen_minutes_after_opening_when_the_picture_has_safeguarding_flags(
        self, alice, family, incident, pat, midwife_lead
    ):
        factories.flag(alice, on=family["baby"], category="unborn_child_protection_plan", severity="critical")
        midwife_lead.make_plan(family)
        assert rules.no_decision_maker(at(minutes=14, seconds=59)) == []
        [due] = rules.no_decision_maker(at(minutes=15))
        assert due.users == {pat.pk, midwife_lead.pk}
        assert due.subject_key == f"incident:{incident.pk}"

    def test_never_without_safeguarding_or_officer_safety_flags(self, alice, family, incident):
        factories.flag(alice, on=family["kerry"], category="medical")
        assert rules.no_decision_maker(at(hours=5)) == []

    def test_a_decision_maker_who_accepted_ends_it(self, alice, family, incident, hale):
        factories.flag(alice, on=family["home"], category="dangerous_animal")
        actions.appoint(actor=alice, incident=incident, role="decision_maker", user=hale, reason="On scene")
        assert len(rules.no_decision_maker(at(hours=1))) == 1  # named, not yet accepted
        answers.accept_appointment(actor=hale, incident=incident, role="decision_maker")
        assert rules.no_decision_maker(at(hours=1)) == []


class TestBirthPlanNotReady:
    def _ucpp(self, alice, family):
        return factories.flag(
            alice, on=family["baby"], category="unborn_child_protection_plan", severity="critical"
        )

    def test_an_unborn_child_on_a_plan_expected_within_28_days_with_no_birth_plan(self, alice, family, mo):
        self._ucpp(alice, family)
        [due] = rules.birth_plan_not_ready(timezone.now())
        assert due.users == {alice.pk, mo.pk}  # the flag's owner and their manager
        assert "no birth plan" in due.message

    def test_not_before_28_days(self, alice, family):
        self._ucpp(alice, family)
        family["baby"].expected_date = timezone.localdate() + datetime.timedelta(days=29)
        family["baby"].save()
        assert rules.birth_plan_not_ready(timezone.now()) == []
        family["baby"].expected_date = timezone.localdate() + datetime.timedelta(days=28)
        family["baby"].save()
        assert len(rules.birth_plan_not_ready(timezone.now())) == 1

    def test_until_every_night_agency_has_read_the_current_version(
        self, alice, family, midwife_lead, plan_readers
    ):
        from ooh.plans import actions as plans

        self._ucpp(alice, family)
        plan = midwife_lead.make_plan(family)
        plans.share_plan(actor=midwife_lead, plan=plan, agencies=plan_readers.agencies)
        [due] = rules.birth_plan_not_ready(timezone.now())
        assert due.users >= {midwife_lead.pk}
        assert "not yet acknowledged" in due.message
        # The agencies in words, never their codes.
        assert "by police, ambulance service, out-of-hours social care, midwifery." in due.message
        for reader in plan_readers.members:
            plans.acknowledge_plan(actor=reader, plan=plan)
        assert rules.birth_plan_not_ready(timezone.now()) == []
        plan = plans.revise_plan(
            actor=midwife_lead, plan=plan, based_on_version=plan.version, hospital="Royal"
        )
        assert len(rules.birth_plan_not_ready(timezone.now())) == 1  # a new version needs reading again


class TestFlagReviewOverdue:
    def test_a_high_flag_past_review_by_goes_to_its_owner(self, alice, family):
        flag = factories.flag(
            alice,
            on=family["kerry"],
            category="violence",
            severity="high",
            review_by=timezone.localdate() - datetime.timedelta(days=1),
        )
        [due] = rules.flag_review_overdue(timezone.now())
        assert due.users == {alice.pk}
        assert due.subject_key.startswith(f"flag:{flag.pk}:")

    def test_not_on_the_review_date_itself_nor_for_low_flags(self, alice, family):
        factories.flag(
            alice, on=family["kerry"], category="violence", severity="high", review_by=timezone.localdate()
        )
        factories.flag(
            alice,
            on=family["kerry"],
            category="medical",
            severity="low",
            review_by=timezone.localdate() - datetime.timedelta(days=3),
        )
        assert rules.flag_review_overdue(timezone.now()) == []


@pytest.fixture
def midwife_lead(mia, midwifery):
    """The midwife who leads the birth plan; `make_plan(family)` gives an active plan with her as lead."""
    midwife = mia

    def make_plan(family):
        from ooh.people.models import Person
        from ooh.plans import actions as plans

        # Midwifery booked the pregnancy: the unborn child is one of its cases, so it may write the plan.
        Person.objects.filter(pk=family["baby"].pk).update(recorded_by_agency=midwifery)

        police, edt = agency("police"), agency("edt")
        plan = plans.draft_plan(
            actor=midwife,
            mother=family["kerry"],
            unborn_child=family["baby"],
            expected_date=family["baby"].expected_date,
            lead_professional=midwife,
            plan_at_birth="Stay in hospital",
            home_birth_contingency="Ambulance",
            out_of_hours_instructions="Call EDT",
            parents_aware_of_plan=True,
            key_contacts=[
                {"agency": police, "name": "DS Roe", "phone_out_of_hours": "01632 960101"},
                {"agency": edt, "name": "EDT", "phone_out_of_hours": "01632 960004"},
            ],
        )
        return plans.activate_plan(actor=midwife, plan=plan, agreed_on=timezone.localdate())

    midwife.make_plan = make_plan
    return midwife


@pytest.fixture
def plan_readers(police, ambulance, edt, midwifery):
    class Readers:
        pass

    readers = Readers()
    readers.agencies = [police, ambulance, edt, midwifery]
    readers.members = [member(agency=a) for a in readers.agencies]
    return readers


def test_every_rule_has_a_setting():
    """The night's rules wait minutes (ESCALATION_MINUTES); casework rules count working days
    (REFERRAL_DEADLINE_WORKING_DAYS) or weeks of pregnancy (PREBIRTH_MILESTONE_WEEKS)."""
    from django.conf import settings

    casework = set(settings.REFERRAL_DEADLINE_WORKING_DAYS) | {"prebirth_milestone_missed"}
    assert set(rules.RULES) - casework == set(settings.ESCALATION_MINUTES)
    assert set(settings.REFERRAL_DEADLINE_WORKING_DAYS) <= set(rules.RULES)


def test_t0_is_injected_not_read_from_the_clock():
    assert T0.tzinfo is not None
