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
from ooh.flags.models import Flag, FlagCategory, FlagGroup, Severity
from ooh.incidents.models import (
    AttendanceStatus,
    IncidentKind,
    IncidentStatus,
    InvolvementReason,
    PresenceStatus,
)
from ooh.people.models import Address, Person

from .accounts import AgencyBriefSerializer, AgencySerializer, UserSerializer
from .people import (
    AddressSerializer,
    DescribedPlanSerializer,
    FlagLabelsSerializer,
    HeadlineLineSerializer,
    NetworkAddressSerializer,
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


class DeclineSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=1000)


class PresenceUpdateSerializer(serializers.Serializer[Any]):
    status = StrictChoiceField(choices=PresenceStatus.choices)


class FlagReadSerializer(serializers.Serializer[Any]):
    flag = UUIDRelatedField(queryset=Flag.objects.all())


class CloseSerializer(serializers.Serializer[Any]):
    outcome = StrictCharField(max_length=4000)


class EventsQuerySerializer(serializers.Serializer[Any]):
    after = serializers.IntegerField(required=False, default=0, min_value=0)


class AppointableQuerySerializer(serializers.Serializer[Any]):
    agency = serializers.UUIDField(required=False, help_text="Only the members of this agency.")
    search = StrictCharField(
        required=False, max_length=100, help_text="Part of a name or username, any case."
    )


# --- Responses ------------------------------------------------------------------------------------


class AppointableSerializer(UserSerializer):
    appointed = serializers.SerializerMethodField(
        help_text="The role this person holds on the incident now: decision_maker, lead_professional or null."
    )

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "appointed"]

    def get_appointed(self, user: Any) -> str | None:
        holds: dict[Any, str] = self.context.get("appointed", {})
        return holds.get(user.pk)


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
    accepted = serializers.BooleanField(help_text="The appointee has accepted; false until they do.")
    accepted_at = serializers.DateTimeField(allow_null=True)


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


class PresenceSerializer(serializers.Serializer[Any]):
    """One person on scene, or who has left, as they said themselves."""

    user = UserBriefSerializer()
    agency = serializers.UUIDField(source="agency_id")
    status = serializers.ChoiceField(choices=PresenceStatus.choices)
    since = serializers.DateTimeField(help_text="When the status began: the arrival, or the leaving.")


class OnSceneSerializer(serializers.Serializer[Any]):
    user = UserBriefSerializer()
    agency = AgencyBriefSerializer()
    since = serializers.DateTimeField(help_text="When they arrived.")


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
    flags = FlagLabelsSerializer(many=True)


class IncidentSubjectSerializer(NetworkPersonSerializer):
    relation = serializers.CharField(
        help_text="How the subject relates to the other subjects, e.g. 'mother of Baby Vale' ('' if unrelated)."
    )


class IncidentAgencySerializer(AgencySerializer):
    """An agency on the incident: with its out-of-hours number, and why it is on it."""

    involvement = serializers.ChoiceField(choices=InvolvementReason.choices)
    involvement_label = serializers.CharField()

    class Meta(AgencySerializer.Meta):
        fields = [*AgencySerializer.Meta.fields, "involvement", "involvement_label"]


class IncidentSnapshotSerializer(serializers.Serializer[Any]):
    headline = HeadlineLineSerializer(
        many=True,
        help_text="At most seven plain-English lines for the reader's role, in order: danger to staff, legal "
        "position and powers, the plan's instructions for tonight, who is coming and when, who decides.",
    )
    id = serializers.UUIDField()
    reference = serializers.CharField(help_text="e.g. OOH-2026-000123")
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    kind_label = serializers.CharField()
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    summary = serializers.CharField()
    address = AddressSerializer(allow_null=True)
    address_line = serializers.CharField(help_text="The address on one line ('' when there is none).")
    location_text = serializers.CharField()
    opened_at = serializers.DateTimeField()
    opening_agency = AgencyBriefSerializer()
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    subjects = IncidentSubjectSerializer(many=True)
    network = IncidentNetworkSerializer()
    birth_plans = DescribedPlanSerializer(many=True)
    agencies = IncidentAgencySerializer(
        many=True, help_text="Every agency on the incident, with its out-of-hours number."
    )
    attendance = AttendanceSerializer(many=True)
    lead_professional = AppointmentSerializer(allow_null=True)
    decision_maker = AppointmentSerializer(allow_null=True)
    decisions = DecisionRecordSerializer(many=True)
    flag_acknowledgements = FlagAcknowledgementSerializer(many=True)
    on_scene = OnSceneSerializer(
        many=True, help_text="The people on scene now, as each said; first arrived first."
    )
    guidance = GuidanceSerializer(many=True)
    escalations = serializers.ListField(child=serializers.DictField())
    last_seq = serializers.IntegerField()


class BoardFlagSerializer(serializers.Serializer[Any]):
    """The highest flag in force in an incident's picture, and whose it is."""

    id = serializers.UUIDField()
    category = serializers.ChoiceField(choices=FlagCategory.choices)
    category_label = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    severity_label = serializers.CharField()
    group = serializers.ChoiceField(choices=FlagGroup.choices)
    subject_label = serializers.CharField(
        help_text="Whose flag: 'Dean Vale, father of the unborn child'; a subject by name; an address on one line."
    )


class BoardAttendanceSerializer(serializers.Serializer[Any]):
    agency = AgencyBriefSerializer()
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    status_label = serializers.CharField()
    eta = serializers.DateTimeField(allow_null=True)
    respond_by = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField(
        help_text="Asked and not answered by respond_by, or coming or on the way and past the ETA."
    )


class BoardDecisionMakerSerializer(serializers.Serializer[Any]):
    user = UserBriefSerializer()
    agency = AgencyBriefSerializer()
    accepted = serializers.BooleanField(help_text="The appointee has accepted; false until they do.")


class IncidentListItemSerializer(serializers.Serializer[Any]):
    """An incident on the control room's board: what a supervisor triages it by."""

    id = serializers.UUIDField()
    reference = serializers.CharField()
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    summary = serializers.CharField()
    address = AddressSerializer(allow_null=True)
    address_line = serializers.CharField(
        help_text="The address on one line, or the location as given when there is no address."
    )
    location_text = serializers.CharField()
    opened_at = serializers.DateTimeField()
    age_minutes = serializers.IntegerField(help_text="Whole minutes since the incident was opened.")
    opening_agency = AgencyBriefSerializer()
    highest_flag = BoardFlagSerializer(
        allow_null=True,
        help_text="The highest severity flag in force on the subjects, everyone linked to them, where they "
        "live and the incident's address (ties: officer safety, then the newest); null when none.",
    )
    attendance_summary = BoardAttendanceSerializer(many=True, help_text="Each agency asked or declared.")
    not_answered = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of the agencies asked that have not said yet."
    )
    decision_maker = BoardDecisionMakerSerializer(allow_null=True)
    has_decision_maker = serializers.BooleanField(help_text="A decision maker is appointed and has accepted.")
    open_escalations = serializers.IntegerField(help_text="Escalations of the incident not resolved.")
    last_seq = serializers.IntegerField()


class EventSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    incident = serializers.UUIDField()
    seq = serializers.IntegerField()
    event = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.DictField(allow_null=True)
    data = serializers.DictField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class
