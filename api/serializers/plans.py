"""Birth plans: the standard template, its versions, sharing and acknowledgements."""

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.fields import (
    BoundedListField,
    BoundedListSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    UUIDRelatedField,
)
from ooh.accounts.models import Agency
from ooh.accounts.phones import PHONE_NUMBER_MAX_LENGTH, validate_phone_number
from ooh.people.models import Person
from ooh.plans.models import BirthPlan, ChildProtectionStatus, KeyContact, LegalStatus, PlanStatus
from ooh.referrals.parenting import advice_by_plan

from .accounts import AgencyBriefSerializer
from .people import UserBriefSerializer

User = get_user_model()


class KeyContactSerializer(serializers.Serializer[KeyContact]):
    agency = UUIDRelatedField(queryset=Agency.objects.all())
    name = StrictCharField(max_length=150)
    role = StrictCharField(max_length=150, required=False, allow_blank=True, default="")
    # Blank is allowed (a contact may have only one of the two numbers; a blank never reaches the
    # validator); anything else must be a phone number.
    phone_in_hours = StrictCharField(
        max_length=PHONE_NUMBER_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        validators=[validate_phone_number],
    )
    phone_out_of_hours = StrictCharField(
        max_length=PHONE_NUMBER_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        validators=[validate_phone_number],
    )

    def to_representation(self, contact: KeyContact) -> dict[str, Any]:
        return {
            "agency": AgencyBriefSerializer(contact.agency).data,
            "name": contact.name,
            "role": contact.role,
            "phone_in_hours": contact.phone_in_hours,
            "phone_out_of_hours": contact.phone_out_of_hours,
        }


class ExcludedPersonSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=150)
    reason = StrictCharField(max_length=500)


class AcknowledgementSerializer(serializers.Serializer[Any]):
    agency = AgencyBriefSerializer()
    user = UserBriefSerializer()
    version = serializers.IntegerField()
    at = serializers.DateTimeField()


class BirthPlanListSerializer(serializers.ListSerializer[Any]):
    """A page of plans reads the parenting-capacity advice of all of them at once (3 queries, not 3 a plan)."""

    def to_representation(self, data: Any) -> list[Any]:
        plans = list(data.all() if hasattr(data, "all") else data)
        self._context = {**self.context, "advice": advice_by_plan(plans)}
        return super().to_representation(plans)


class BirthPlanSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True)
    mother = UUIDRelatedField(queryset=Person.objects.all())
    unborn_child = UUIDRelatedField(queryset=Person.objects.all())
    expected_date = serializers.DateField()
    planned_place_of_birth = StrictCharField(max_length=200, required=False, allow_blank=True)
    hospital = StrictCharField(max_length=200, required=False, allow_blank=True)
    lead_professional = UUIDRelatedField(
        queryset=User.objects.filter(is_active=True, membership__isnull=False),
        required=False,
        allow_null=True,
    )
    child_protection_status = StrictChoiceField(choices=ChildProtectionStatus.choices, required=False)
    child_protection_since = serializers.DateField(
        required=False, allow_null=True, help_text="When the child protection status began."
    )
    legal_status = StrictChoiceField(choices=LegalStatus.choices, required=False)
    legal_status_since = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="When the legal status began (pre-proceedings letter, proceedings issued, order made).",
    )
    plan_at_birth = StrictCharField(required=False, allow_blank=True, max_length=5000)
    home_birth_contingency = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="What happens if the baby is born at home or before the due date.",
    )
    out_of_hours_instructions = StrictCharField(required=False, allow_blank=True, max_length=5000)
    parents_aware_of_plan = StrictBooleanField(required=False, allow_null=True)
    parents_not_aware_reason = StrictCharField(required=False, allow_blank=True, max_length=2000)
    # Lists are bounded (API.md: 50 at most) like every text field here, so each stored version of a
    # plan is a bounded copy.
    people_excluded = BoundedListSerializer(child=ExcludedPersonSerializer(), required=False, max_length=50)
    discharge_arrangements = StrictCharField(required=False, allow_blank=True, max_length=5000)
    key_contacts = BoundedListSerializer(child=KeyContactSerializer(), required=False, max_length=50)

    status = serializers.ChoiceField(choices=PlanStatus.choices, read_only=True)
    version = serializers.IntegerField(read_only=True)
    agreed_on = serializers.DateField(read_only=True, allow_null=True)
    authoring_agency = AgencyBriefSerializer(read_only=True)
    shared_with = serializers.SerializerMethodField()
    acknowledgements = serializers.SerializerMethodField()
    unacknowledged_agencies = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    advice = serializers.SerializerMethodField(
        help_text="Seek specialist advice on parenting capacity, naming each parent with a learning "
        "disability or mental health need."
    )

    class Meta:
        list_serializer_class = BirthPlanListSerializer

    def to_representation(self, plan: BirthPlan) -> dict[str, Any]:
        data = super().to_representation(plan)
        data["lead_professional"] = (
            UserBriefSerializer(plan.lead_professional).data if plan.lead_professional_id else None
        )
        data["mother"] = str(plan.mother_id)
        data["unborn_child"] = str(plan.unborn_child_id)
        return data

    def get_shared_with(self, plan: BirthPlan) -> list[dict[str, Any]]:
        # many=True makes a ListSerializer, whose data is a list; the stubs see one serializer's dict.
        return AgencyBriefSerializer([s.agency for s in plan.shares.all()], many=True).data  # type: ignore[return-value]

    def get_acknowledgements(self, plan: BirthPlan) -> list[dict[str, Any]]:
        # many=True makes a ListSerializer, whose data is a list; the stubs see one serializer's dict.
        return AcknowledgementSerializer(plan.acknowledgements.all(), many=True).data  # type: ignore[return-value]

    def get_advice(self, plan: BirthPlan) -> list[str]:
        known: dict[Any, list[str]] = self.context.get("advice") or {}
        return known[plan.pk] if plan.pk in known else advice_by_plan([plan])[plan.pk]

    def get_unacknowledged_agencies(self, plan: BirthPlan) -> list[str]:
        done = {a.agency_id for a in plan.acknowledgements.all() if a.version == plan.version}
        return [str(s.agency_id) for s in plan.shares.all() if s.agency_id not in done]


class BirthPlanUpdateSerializer(BirthPlanSerializer):
    """PATCH: the template fields; the mother and the child of a plan do not change."""

    # Fields, not attributes (DRF's metaclass takes them off the class): each replaces its parent's.
    mother = serializers.UUIDField(read_only=True)  # type: ignore[assignment]
    unborn_child = serializers.UUIDField(read_only=True)  # type: ignore[assignment]
    expected_date = serializers.DateField(required=False)


class ActivateSerializer(serializers.Serializer[Any]):
    agreed_on = serializers.DateField(
        required=False, allow_null=True, help_text="When the professionals' meeting agreed the plan."
    )


class ShareSerializer(serializers.Serializer[Any]):
    agencies = BoundedListField(
        child=UUIDRelatedField(queryset=Agency.objects.all()), min_length=1, max_length=50
    )


class AcknowledgeSerializer(serializers.Serializer[Any]):
    version = StrictIntegerField(
        required=False, min_value=1, help_text="The version read; refused with 409 if the plan has moved on."
    )


class BirthPlanVersionSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    author = UserBriefSerializer()
    created_at = serializers.DateTimeField()
    snapshot = serializers.DictField()
