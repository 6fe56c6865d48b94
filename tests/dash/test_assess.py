"""Recording a DASH assessment (ooh.referrals.dash.assess): scored, levelled and the MARAC referral
recommended for each reason alone; a previous referral counted from the record for 12 months; the
marac_case flag raised only when the assessor chooses to and a referral is recommended; every refusal
writes nothing. Leah Ash (the Baby A world) is the victim; Mia, the midwife whose agency recorded her,
assesses."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ooh.audit.models import AccessedPerson, AccessLog
from ooh.flags.models import Flag, FlagVersion
from ooh.referrals import dash
from ooh.referrals.models import DashAssessment
from tests import factories

from .helpers import NOW, answers

pytestmark = pytest.mark.django_db


def assess(a, *, yes=0, judgement=False, call_outs=0, now=NOW, **more):
    return dash.assess(
        actor=a.mia,
        person=a.mother,
        answers=answers(yes),
        professional_judgement_high_risk=judgement,
        incidents_last_12_months=call_outs,
        now=now,
        **more,
    )


def rows():
    return (
        DashAssessment.objects.count(),
        Flag.objects.count(),
        FlagVersion.objects.count(),
        AccessLog.objects.count(),
    )


@pytest.mark.parametrize(
    ("yes", "score", "level", "marac"),
    [(9, 9, "standard", False), (10, 10, "medium", False), (13, 13, "medium", False), (14, 14, "high", True)],
)
def test_the_score_and_level_at_the_boundaries(baby_a, yes, score, level, marac):
    assessment = assess(baby_a, yes=yes)
    assert (assessment.score, assessment.risk_level, assessment.marac_referral_recommended) == (
        score,
        level,
        marac,
    )
    assert assessment.reasons == ([dash.visible_high_risk(14)] if marac else [])
    assert assessment.answers == answers(yes)
    assert (assessment.assessor, assessment.agency, assessment.at) == (
        baby_a.mia,
        baby_a.mia.membership.agency,
        NOW,
    )
    assert assessment.flag is None


def test_professional_judgement_alone_recommends_marac(baby_a):
    assessment = assess(baby_a, yes=3, judgement=True)
    assert assessment.risk_level == "standard"
    assert assessment.marac_referral_recommended
    assert assessment.reasons == [dash.professional_judgement(True)]


@pytest.mark.parametrize(("call_outs", "marac"), [(2, False), (3, True)])
def test_three_police_call_outs_alone_recommend_marac(baby_a, call_outs, marac):
    assessment = assess(baby_a, yes=5, call_outs=call_outs)
    assert assessment.marac_referral_recommended is marac
    assert assessment.incidents_last_12_months == call_outs
    assert assessment.reasons == ([dash.potential_escalation(3)] if marac else [])


def test_every_reason_together(baby_a):
    assess(baby_a, judgement=True, now=NOW - dt.timedelta(days=30), raise_flag=True)  # referred: flagged
    assessment = assess(baby_a, yes=20, judgement=True, call_outs=4)
    assert [reason.split(":")[0].split(" (")[0] for reason in assessment.reasons] == [
        "visible high risk",
        "professional judgement",
        "potential escalation",
        "a previous MARAC referral within 12 months",
    ]


@pytest.mark.parametrize(
    ("ago", "repeat"),
    [
        (dt.timedelta(days=1), True),
        (NOW - dash.twelve_months_before(NOW), True),  # exactly twelve months: still within
        (NOW - dash.twelve_months_before(NOW) + dt.timedelta(seconds=1), False),
        (dt.timedelta(days=400), False),
    ],
    ids=["yesterday", "twelve months to the second", "a second more", "400 days"],
)
def test_an_earlier_assessment_that_referred_to_marac_counts_for_12_months(baby_a, ago, repeat):
    """Referred: the earlier assessment raised the marac_case flag on the victim."""
    assess(baby_a, yes=15, now=NOW - ago, raise_flag=True)
    assessment = assess(baby_a, yes=2)
    assert assessment.marac_referral_recommended is repeat
    if repeat:
        assert assessment.reasons == [dash.repeat_referral(NOW - ago)]


def test_an_earlier_recommendation_nobody_acted_on_is_no_previous_referral(baby_a):
    """A recommendation is not a referral: otherwise each would recommend the next for a year."""
    assess(baby_a, yes=15, now=NOW - dt.timedelta(days=3))
    assert not assess(baby_a, yes=2).marac_referral_recommended


def test_an_earlier_assessment_that_did_not_recommend_marac_does_not_count(baby_a):
    assess(baby_a, yes=12, now=NOW - dt.timedelta(days=10))
    assert not assess(baby_a, yes=2).marac_referral_recommended


def test_a_later_assessment_does_not_count_for_an_earlier_moment(baby_a):
    assess(baby_a, yes=15, now=NOW + dt.timedelta(days=1))
    assert not assess(baby_a, yes=2).marac_referral_recommended


@pytest.mark.parametrize(("days", "repeat"), [(364, True), (366, False)])
def test_a_marac_case_flag_raised_within_12_months_counts(baby_a, days, repeat):
    raised = NOW - dt.timedelta(days=days)
    factories.flag(
        baby_a.mia,
        on=baby_a.mother,
        category="marac_case",
        severity="medium",
        created_at=raised,
        valid_from=raised,
    )
    assessment = assess(baby_a, yes=2)
    assert assessment.marac_referral_recommended is repeat
    assert assessment.reasons == ([dash.repeat_referral(raised)] if repeat else [])


def test_a_revoked_marac_case_flag_does_not_count(baby_a):
    flag = factories.flag(baby_a.mia, on=baby_a.mother, category="marac_case", severity="medium")
    flag.status = "revoked"
    flag.save(update_fields=["status"])
    assert not assess(baby_a, yes=2, now=dt.datetime.now(dt.UTC)).marac_referral_recommended


def test_a_marac_case_flag_on_someone_else_does_not_count(baby_a):
    factories.flag(baby_a.mia, on=baby_a.father, category="marac_case", severity="medium")
    assert not assess(baby_a, yes=2, now=dt.datetime.now(dt.UTC)).marac_referral_recommended


def test_raise_flag_puts_a_marac_case_flag_on_the_victim(baby_a):
    a = baby_a
    assessment = assess(a, yes=16, raise_flag=True)
    flag = assessment.flag
    assert flag is not None
    assert flag.subject_person_id == a.mother.pk
    assert (flag.category, flag.group, flag.severity) == ("marac_case", "domestic_abuse", "high")
    assert flag.owner == a.mia
    assert flag.source_agency == a.mia.membership.agency
    assert flag.summary == "MARAC referral recommended (DASH 12 Mar 2026)"
    assert flag.review_by == dt.date(2027, 3, 12)
    assert flag.valid_from == NOW
    assert dash.visible_high_risk(16) in flag.handling_instructions
    # The flag itself now counts as a previous referral for the next assessment.
    assert assess(a, yes=1, now=NOW + dt.timedelta(days=1)).marac_referral_recommended


def test_raise_flag_without_a_recommendation_is_a_400_and_writes_nothing(baby_a):
    before = rows()
    with pytest.raises(ValidationError) as refused:
        assess(baby_a, yes=13, call_outs=2, raise_flag=True)
    assert list(refused.value.error_dict) == ["raise_flag"]
    assert rows() == before


def test_no_flag_unless_the_assessor_chooses(baby_a):
    assessment = assess(baby_a, yes=20)
    assert assessment.marac_referral_recommended
    assert assessment.flag is None
    assert not Flag.objects.filter(category="marac_case").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answers": {k: v for k, v in answers().items() if k != "7"}}, "answers.7"),
        ({"answers": {**answers(), "25": "yes"}}, "answers.25"),
        ({"answers": {**answers(), "3": "sometimes"}}, "answers.3"),
        ({"incidents_last_12_months": -1}, "incidents_last_12_months"),
        ({"incidents_last_12_months": 2.5}, "incidents_last_12_months"),
        ({"incidents_last_12_months": "3"}, "incidents_last_12_months"),
        ({"professional_judgement_high_risk": "yes"}, "professional_judgement_high_risk"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(baby_a, change, field):
    a = baby_a
    body = {
        "answers": answers(20),
        "professional_judgement_high_risk": True,
        "incidents_last_12_months": 3,
        **change,
    }
    before = rows()
    with pytest.raises(ValidationError) as refused:
        dash.assess(actor=a.mia, person=a.mother, raise_flag=True, now=NOW, **body)
    assert list(refused.value.error_dict) == [field]
    assert rows() == before


def test_a_role_that_does_no_casework_is_refused_and_nothing_is_written(baby_a):
    before = rows()
    with pytest.raises(PermissionDenied):
        dash.assess(
            actor=baby_a.ada,
            person=baby_a.mother,
            answers=answers(20),
            professional_judgement_high_risk=False,
            incidents_last_12_months=0,
            raise_flag=True,
            now=NOW,
        )
    assert rows() == before


def test_the_assessment_is_audited_naming_the_victim(baby_a):
    assessment = assess(baby_a, yes=14, raise_flag=True)
    log = AccessLog.objects.get(object_type="dash_assessment")
    assert (log.action, log.object_ids, log.user_id) == ("create", [str(assessment.pk)], baby_a.mia.pk)
    assert log.detail == {
        "risk_level": "high",
        "marac": True,
        "justification": "Dash assessment recorded in the course of the safeguarding duties of "
        f"{baby_a.mia.membership.agency.name} (midwife)",
    }
    assert list(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True)) == [
        baby_a.mother.pk
    ]
