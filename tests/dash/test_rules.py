"""The DASH checklist's rules, each alone: the score, the risk level at its boundaries, each reason for
a MARAC referral, and the twelve months a previous referral counts for."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from ooh.referrals import dash

from .helpers import NOW, UTC, answers


def test_the_checklist_has_24_questions_numbered_1_to_24():
    assert list(dash.QUESTIONS) == [str(n) for n in range(1, 25)]
    assert all(text.endswith("?") for text in dash.QUESTIONS.values())


@pytest.mark.parametrize(
    ("yes", "level"),
    [(0, "standard"), (9, "standard"), (10, "medium"), (13, "medium"), (14, "high"), (24, "high")],
)
def test_the_score_counts_yes_and_the_level_turns_at_10_and_14(yes, level):
    total = dash.score(answers(yes, not_known=24 - yes))  # not known never counts
    assert total == yes
    assert dash.risk_level(total) == level


def test_visible_high_risk_is_14_or_more_yes():
    assert dash.visible_high_risk(13) is None
    assert dash.visible_high_risk(14) == "visible high risk: 14 of the 24 answers are yes (14 or more)"


def test_professional_judgement_alone():
    assert dash.professional_judgement(False) is None
    assert "professional judgement" in dash.professional_judgement(True)


def test_potential_escalation_is_3_or_more_police_call_outs():
    assert dash.potential_escalation(2) is None
    assert dash.potential_escalation(3) == (
        "potential escalation: 3 police call-outs in the last 12 months (3 or more)"
    )


def test_a_previous_referral_is_named_with_its_local_date():
    assert dash.repeat_referral(None) is None
    reason = dash.repeat_referral(dt.datetime(2025, 7, 31, 23, 30, tzinfo=UTC))  # 00:30 on 1 Aug, BST
    assert reason == "a previous MARAC referral within 12 months (on 01 Aug 2025)"


def test_reasons_list_each_that_applied_in_order():
    assert dash.marac_reasons(9, False, 2, None) == []
    assert len(dash.marac_reasons(14, True, 3, NOW)) == 4
    assert dash.marac_reasons(0, False, 5, None) == [dash.potential_escalation(5)]


def test_twelve_months_before_is_the_same_moment_a_year_earlier():
    assert dash.twelve_months_before(NOW) == dt.datetime(2025, 3, 12, 15, 0, tzinfo=UTC)
    leap_day = dt.datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
    assert dash.twelve_months_before(leap_day) == dt.datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    assert dash.years_from(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 28)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in answers().items() if k != "7"}, "answers.7"),
        ({**answers(), "25": "no"}, "answers.25"),
        ({**answers(), "0": "yes"}, "answers.0"),
        ({**answers(), "3": "maybe"}, "answers.3"),
        ({**answers(), "3": True}, "answers.3"),
        ({**answers(), "3": None}, "answers.3"),
        ({**answers(), "3": "YES"}, "answers.3"),
        ({**answers(), "x" * 500: "no"}, "answers"),
        (["yes"] * 24, "answers"),
        (None, "answers"),
    ],
)
def test_a_bad_checklist_names_the_question(body, field):
    with pytest.raises(ValidationError) as refused:
        dash.check_answers(body)
    assert list(refused.value.error_dict) == [field]


@pytest.mark.parametrize("value", [-1, 2.5, 3.0, "3", None, True, 1000])
def test_call_outs_are_a_whole_number_from_0(value):
    with pytest.raises(ValidationError) as refused:
        dash.check_call_outs(value)
    assert list(refused.value.error_dict) == ["incidents_last_12_months"]


@pytest.mark.parametrize("value", ["true", 1, None])
def test_professional_judgement_is_true_or_false(value):
    with pytest.raises(ValidationError) as refused:
        dash.check_judgement(value)
    assert list(refused.value.error_dict) == ["professional_judgement_high_risk"]
