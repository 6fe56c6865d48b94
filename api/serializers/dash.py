"""DASH risk assessments: the checklist's answers in, the score, level and MARAC recommendation out."""

from typing import Any

from rest_framework import serializers

from api.fields import StrictBooleanField, StrictIntegerField, UUIDRelatedField
from ooh.incidents.models import Incident
from ooh.referrals.dash import ANSWERS, MAX_CALL_OUTS, QUESTIONS
from ooh.referrals.models import RiskLevel

from .people import UserBriefSerializer

_QUESTIONS_TEXT = " ".join(f"{number}. {text}" for number, text in QUESTIONS.items())


class DashAnswersField(serializers.DictField):
    """The answers as the checklist's action checks them (each question by number, 400 naming it)."""

    def to_internal_value(self, data: object) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        return data


class DashAssessRequestSerializer(serializers.Serializer[Any]):
    answers = DashAnswersField(
        child=serializers.ChoiceField(choices=ANSWERS),
        help_text='Every one of the 24 questions by its number, "1" to "24": `yes`, `no` or `not_known`. '
        f"A missing or unknown question, or another answer, is 400 naming it (`answers.7`). {_QUESTIONS_TEXT}",
    )
    professional_judgement_high_risk = StrictBooleanField(
        help_text="The assessor judges the risk to be high, whatever the score."
    )
    incidents_last_12_months = StrictIntegerField(
        min_value=0,
        max_value=MAX_CALL_OUTS,
        help_text="Police call-outs to this victim in the last 12 months (3 or more: potential escalation).",
    )
    raise_flag = StrictBooleanField(
        required=False,
        default=False,
        help_text="Put a `marac_case` flag on the victim, owned by the assessor; only when a MARAC referral "
        "is recommended (otherwise 400).",
    )
    incident = UUIDRelatedField(
        queryset=Incident.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The incident the assessment was made at, one you can see.",
    )


class DashAssessmentSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    person = serializers.UUIDField(source="person_id")
    score = serializers.IntegerField(help_text="The number of `yes` answers.")
    risk_level = serializers.ChoiceField(
        choices=RiskLevel.choices, help_text="14 or more `yes`: high; 10 to 13: medium; otherwise standard."
    )
    marac_referral_recommended = serializers.BooleanField()
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why a MARAC referral is recommended, each reason that applied in plain words: visible "
        "high risk, professional judgement, potential escalation, a previous referral within 12 months.",
    )
    flag = serializers.UUIDField(
        source="flag_id", allow_null=True, help_text="The `marac_case` flag raised with it, if any."
    )
    assessor = UserBriefSerializer()
    at = serializers.DateTimeField()
    answers = serializers.DictField(child=serializers.ChoiceField(choices=ANSWERS))
    professional_judgement_high_risk = serializers.BooleanField()
    incidents_last_12_months = serializers.IntegerField()
    incident = serializers.UUIDField(source="incident_id", allow_null=True)
