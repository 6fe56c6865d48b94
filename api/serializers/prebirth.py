"""The pre-birth protocol (milestones) and recording a birth."""

from typing import Any

from rest_framework import serializers

from api.fields import StrictCharField, StrictChoiceField
from ooh.referrals.models import Milestone


class RecordMilestoneSerializer(serializers.Serializer[Any]):
    milestone = StrictChoiceField(
        choices=Milestone.choices,
        help_text="`pre_birth_assessment` or `initial_conference`: the others are met by what the "
        "service records (a referral, the birth plan) and are refused (400).",
    )
    met_on = serializers.DateField(help_text="The local date it was met; not in the future.")
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class MetBySerializer(serializers.Serializer[Any]):
    text = serializers.CharField(help_text="What met it, in words.")
    ids = serializers.DictField(
        child=serializers.UUIDField(),
        help_text="The records that met it, by kind: referral, concern, milestone_record, flag, birth_plan.",
    )


class MilestoneSerializer(serializers.Serializer[Any]):
    """One milestone of the pre-birth protocol; `GET .../milestones/` answers a list of them in order."""

    code = serializers.ChoiceField(choices=Milestone.choices)
    # A field, not the attribute (DRF's metaclass takes declared fields off the class).
    label = serializers.CharField()  # type: ignore[assignment]
    due = serializers.DateField(
        help_text="Met by the end of this local day: expected date - (40 - week) weeks."
    )
    met = serializers.BooleanField()
    met_at = serializers.DateField(allow_null=True, help_text="The local date it was met.")
    met_by = MetBySerializer(allow_null=True)
    overdue = serializers.BooleanField(help_text="Not met, and the local date is past `due`.")
    advice = serializers.ListField(
        child=serializers.CharField(),
        help_text="The same on every milestone: seek specialist advice on parenting capacity, naming each "
        "parent with a learning disability or mental health need.",
    )


class RecordBirthSerializer(serializers.Serializer[Any]):
    date_of_birth = serializers.DateField(help_text="Not in the future.")
    place = StrictCharField(max_length=200, help_text="Where the baby was born (a hospital, or at home).")
