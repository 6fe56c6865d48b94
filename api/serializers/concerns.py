"""Concerns with an owner, and the referrals made of them."""

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.fields import (
    BoundedListField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    UUIDRelatedField,
)
from ooh.accounts.models import Agency
from ooh.people.models import Person
from ooh.referrals.models import (
    Concern,
    ConcernStatus,
    ConcernTransfer,
    Consultation,
    Referral,
    ReferralOutcome,
    ReferralStatus,
    TransferStatus,
)

from .accounts import AgencyBriefSerializer
from .people import UserBriefSerializer

User = get_user_model()


# --- Requests ----------------------------------------------------------------------------------------


class ConcernRaiseSerializer(serializers.Serializer[Any]):
    subjects = BoundedListField(
        child=UUIDRelatedField(queryset=Person.objects.all()), min_length=1, max_length=50
    )
    summary = StrictCharField(max_length=4000)
    referral_required = StrictBooleanField()


class ConsultSerializer(serializers.Serializer[Any]):
    with_user = UUIDRelatedField(queryset=User.objects.all())
    note = StrictCharField(max_length=4000, required=False, allow_blank=True, default="")


class TransferSerializer(serializers.Serializer[Any]):
    to_user = UUIDRelatedField(queryset=User.objects.all())


class ReferSerializer(serializers.Serializer[Any]):
    to_agency = UUIDRelatedField(queryset=Agency.objects.all())


class CloseConcernSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=2000)


class AllocateSerializer(serializers.Serializer[Any]):
    social_worker = UUIDRelatedField(queryset=User.objects.all())


class RespondSerializer(serializers.Serializer[Any]):
    note = StrictCharField(max_length=4000)


class OutcomeSerializer(serializers.Serializer[Any]):
    outcome = StrictChoiceField(choices=ReferralOutcome.choices)
    explanation = StrictCharField(max_length=4000)


# --- Responses ---------------------------------------------------------------------------------------


class SubjectSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="person.pk")
    name = serializers.CharField(source="person.full_name")
    status = serializers.CharField(source="person.status")


class ConsultationSerializer(serializers.ModelSerializer[Consultation]):
    by = UserBriefSerializer()
    with_user = UserBriefSerializer()

    class Meta:
        model = Consultation
        fields = ["id", "by", "with_user", "note", "at"]


class TransferOfferSerializer(serializers.ModelSerializer[ConcernTransfer]):
    from_user = UserBriefSerializer()
    to_user = UserBriefSerializer()
    status = serializers.ChoiceField(choices=TransferStatus.choices)

    class Meta:
        model = ConcernTransfer
        fields = ["id", "from_user", "to_user", "status", "requested_at", "decided_at"]


class ReferralBriefSerializer(serializers.ModelSerializer[Referral]):
    to_agency = AgencyBriefSerializer()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)

    class Meta:
        model = Referral
        fields = ["id", "reference", "to_agency", "status", "made_at"]


class ConcernSerializer(serializers.ModelSerializer[Concern]):
    subjects = SubjectSerializer(many=True)
    owner = UserBriefSerializer()
    raised_by = UserBriefSerializer()
    raised_by_agency = AgencyBriefSerializer()
    status = serializers.ChoiceField(choices=ConcernStatus.choices)
    consultations = ConsultationSerializer(many=True)
    pending_transfer = serializers.SerializerMethodField()
    referrals = ReferralBriefSerializer(many=True)

    class Meta:
        model = Concern
        fields = [
            "id",
            "reference",
            "summary",
            "referral_required",
            "status",
            "subjects",
            "owner",
            "raised_by",
            "raised_by_agency",
            "created_at",
            "consultations",
            "pending_transfer",
            "referrals",
            "closed_at",
            "close_reason",
        ]

    def get_pending_transfer(self, concern: Concern) -> dict[str, Any] | None:
        """The offer waiting for an answer; until it is accepted the owner is unchanged."""
        pending = [t for t in concern.transfers.all() if t.status == TransferStatus.PENDING]
        return TransferOfferSerializer(pending[0]).data if pending else None


class ReferralSerializer(serializers.ModelSerializer[Referral]):
    concern = serializers.UUIDField(source="concern_id")
    concern_reference = serializers.CharField(source="concern.reference")
    made_by = UserBriefSerializer()
    from_agency = AgencyBriefSerializer()
    to_agency = AgencyBriefSerializer()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    allocated_to = UserBriefSerializer(allow_null=True)
    outcome = serializers.ChoiceField(choices=ReferralOutcome.choices, allow_blank=True)
    days_waiting = serializers.SerializerMethodField()
    working_days_waiting = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id",
            "reference",
            "concern",
            "concern_reference",
            "made_by",
            "from_agency",
            "to_agency",
            "made_at",
            "status",
            "allocated_to",
            "allocated_at",
            "first_response_at",
            "outcome",
            "outcome_explanation",
            "outcome_at",
            "days_waiting",
            "working_days_waiting",
        ]

    def _waiting(self, referral: Referral) -> tuple[int, int] | None:
        waiting: dict[Any, tuple[int, int] | None] = self.context.get("waiting", {})
        return waiting.get(referral.pk)

    def get_days_waiting(self, referral: Referral) -> int | None:
        """Calendar days since it was made, while it has no outcome."""
        waited = self._waiting(referral)
        return waited[0] if waited else None

    def get_working_days_waiting(self, referral: Referral) -> int | None:
        """Working days begun since the day it was made (weekends and bank holidays not counted)."""
        waited = self._waiting(referral)
        return waited[1] if waited else None
