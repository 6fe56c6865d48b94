"""Incidents: the requests phones send, and the documented shape of what they get back."""

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.fields import (
    BoundedListField,
    OptionalCharField,
    StrictCharField,
    StrictChoiceField,
    StrictFloatField,
    UUIDRelatedField,
)
from ooh.accounts.models import Agency
from ooh.flags.models import Flag
from ooh.incidents.models import AttendanceStatus, IncidentKind, IncidentStatus
from ooh.people.models import Address, Person

from .accounts import AgencyBriefSerializer
from .people import (
    AddressSerializer,
    NetworkAddressSerializer,
    NetworkBirthPlanSerializer,
    NetworkFlagSerializer,
    NetworkMemberSerializer,
    NetworkPersonSerializer,
    UserBriefSerializer,
)

User = get_user_model()


class IncidentOpenSerializer(serializers.Serializer[Any]):
    kind = StrictChoiceField(choices=IncidentKind.choices)
    summary = StrictCharField(max_length=2000)
    address = UUIDRelatedField(queryset=Address.objects.all(), required=False, allow_null=True)
    location_text = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    subjects = BoundedListField(
        child=UUIDRelatedField(queryset=Person.objects.all()), required=False, default=list, max_length=50
    )


class IncidentUpdateSerializer(serializers.Serializer[Any]):
    """Any subset; a field left out is left as it is."""

    kind = StrictChoiceField(choices=IncidentKind.choices, required=False)
    summary = StrictCharField(max_length=2000, required=False)
    address = UUIDRelatedField(queryset=Address.objects.all(), required=False, allow_null=True)
    location_text = StrictCharField(max_length=300, required=False, allow_blank=True)


class SubjectAddSerializer(serializers.Serializer[Any]):
    person = UUIDRelatedField(queryset=Person.objects.all())


class AttendanceRequestSerializer(serializers.Serializer[Any]):
    agency = UUIDRelatedField(queryset=Agency.objects.all())
    respond_within_minutes = StrictFloatField(min_value=0.05, max_value=24 * 60)


class AttendanceUpdateSerializer(serializers.Serializer[Any]):
    status = StrictChoiceField(choices=AttendanceStatus.choices)
    eta = serializers.DateTimeField(required=False, allow_null=True)
    agreed_role = OptionalCharField(max_length=1000)  # cannot_attend needs one: the action says so
    note = OptionalCharField(max_length=1000)


class StandDownSerializer(serializers.Serializer[Any]):
    agency = UUIDRelatedField(queryset=Agency.objects.all())
    reason = StrictCharField(max_length=1000)


class AppointSerializer(serializers.Serializer[Any]):
    user = UUIDRelatedField(queryset=User.objects.all())
    reason = StrictCharField(max_length=1000)


class DecisionSerializer(serializers.Serializer[Any]):
    decision = StrictCharField(max_length=2000)
    rationale = StrictCharField(max_length=4000)


class FlagReadSerializer(serializers.Serializer[Any]):
    flag = UUIDRelatedField(queryset=Flag.objects.all())


class CloseSerializer(serializers.Serializer[Any]):
    outcome = StrictCharField(max_length=4000)


class EventsQuerySerializer(serializers.Serializer[Any]):
    after = serializers.IntegerField(required=False, default=0, min_value=0)


# --- Responses ------------------------------------------------------------------------------------


class AttendanceSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    agency = AgencyBriefSerializer()
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    requested_at = serializers.DateTimeField(allow_null=True)
    respond_by = serializers.DateTimeField(allow_null=True)
    eta = serializers.DateTimeField(allow_null=True)
    agreed_role = serializers.CharField()
    note = serializers.CharField()
    updated_at = serializers.DateTimeField()


class AppointmentSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    role = serializers.CharField()
    user = UserBriefSerializer()
    agency = serializers.UUIDField(source="agency_id")
    appointed_by = UserBriefSerializer()
    reason = serializers.CharField()
    at = serializers.DateTimeField()


class DecisionRecordSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    decision = serializers.CharField()
    rationale = serializers.CharField()
    decided_by = UserBriefSerializer()
    at = serializers.DateTimeField()


class FlagAcknowledgementSerializer(serializers.Serializer[Any]):
    flag = serializers.UUIDField(source="flag_id")
    user = UserBriefSerializer()
    agency = AgencyBriefSerializer()
    at = serializers.DateTimeField()


class GuidanceSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    level = serializers.ChoiceField(choices=["danger", "warning", "info"])
    message = serializers.CharField()
    source = serializers.DictField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class


class IncidentNetworkSerializer(serializers.Serializer[Any]):
    generated_at = serializers.DateTimeField()
    highest_severity = serializers.CharField(allow_null=True)
    members = NetworkMemberSerializer(many=True)
    addresses = NetworkAddressSerializer(many=True)
    flags = NetworkFlagSerializer(many=True)


class IncidentSnapshotSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    reference = serializers.CharField(help_text="e.g. OOH-2026-000123")
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    summary = serializers.CharField()
    address = AddressSerializer(allow_null=True)
    location_text = serializers.CharField()
    opened_at = serializers.DateTimeField()
    opening_agency = AgencyBriefSerializer()
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    subjects = NetworkPersonSerializer(many=True)
    network = IncidentNetworkSerializer()
    birth_plans = NetworkBirthPlanSerializer(many=True)
    attendance = AttendanceSerializer(many=True)
    lead_professional = AppointmentSerializer(allow_null=True)
    decision_maker = AppointmentSerializer(allow_null=True)
    decisions = DecisionRecordSerializer(many=True)
    flag_acknowledgements = FlagAcknowledgementSerializer(many=True)
    guidance = GuidanceSerializer(many=True)
    escalations = serializers.ListField(child=serializers.DictField())
    last_seq = serializers.IntegerField()


class IncidentListItemSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    summary = serializers.CharField()
    opened_at = serializers.DateTimeField()
    opening_agency = AgencyBriefSerializer()
    last_seq = serializers.IntegerField()


class EventSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    incident = serializers.UUIDField()
    seq = serializers.IntegerField()
    event = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.DictField(allow_null=True)
    data = serializers.DictField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class
