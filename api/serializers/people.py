"""People, addresses, relationships, flags and the linked picture."""

import uuid
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from rest_framework import serializers

from api.fields import (
    BoundedListField,
    BoundedListSerializer,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictModelSerializer,
    UUIDRelatedField,
)
from ooh.flags.models import Flag, FlagCategory, FlagGroup, FlagStatus, Severity
from ooh.people.models import (
    UK_POSTCODE,
    Address,
    IdentifierScheme,
    Person,
    PersonStatus,
    Relationship,
    RelationshipKind,
    Sex,
)

from .accounts import AgencyBriefSerializer, AgencySerializer

User = get_user_model()


class IdentifierSerializer(serializers.Serializer[Any]):
    scheme = StrictChoiceField(choices=IdentifierScheme.choices)
    value = StrictCharField(max_length=64)


class AddressSerializer(StrictModelSerializer[Address]):
    uprn = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=999_999_999_999)
    postcode = StrictCharField(
        max_length=16,
        trim_whitespace=False,  # so max_length means what the schema says; the action normalises
        validators=[RegexValidator(UK_POSTCODE, "Enter a UK postcode, e.g. 'NE1 4ST'.")],
        help_text="A UK postcode in any case and spacing; stored upper case with one space, e.g. 'NE1 4ST'.",
    )

    class Meta:
        model = Address
        fields = ["id", "line1", "line2", "town", "postcode", "uprn", "created_at"]
        read_only_fields = ["id", "created_at"]
        # The action checks UPRN uniqueness and names the field.
        extra_kwargs: dict[str, dict[str, Any]] = {"uprn": {"validators": []}}


if TYPE_CHECKING:  # django-stubs-ext is a dev dependency, for the type checker only
    from django_stubs_ext import WithAnnotations

    class CurrentAddress(TypedDict):
        current_address_id: uuid.UUID | None

    # A person as api.views.people reads them: annotated with their current address.
    PersonWithAddress = WithAnnotations[Person, CurrentAddress]


class PersonSerializer(StrictModelSerializer[Person]):
    # Lists are bounded (API.md: 50 at most), so one request cannot make thousands of rows.
    identifiers = BoundedListSerializer(child=IdentifierSerializer(), required=False, max_length=50)
    aliases = BoundedListField(child=StrictCharField(max_length=100), required=False, max_length=50)
    status = StrictChoiceField(choices=PersonStatus.choices, required=False, default=PersonStatus.LIVING)
    sex = StrictChoiceField(choices=Sex.choices, required=False, allow_null=True)
    current_address = UUIDRelatedField(queryset=Address.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "given_name",
            "family_name",
            "aliases",
            "date_of_birth",
            "expected_date",
            "place_of_birth",
            "status",
            "sex",
            "identifiers",
            "current_address",
            "created_at",
            "updated_at",
        ]
        # The place of birth is set by recording the birth (POST /people/{id}/birth/).
        read_only_fields = ["id", "place_of_birth", "created_at", "updated_at"]

    def to_representation(self, instance: Person) -> dict[str, Any]:
        data = super().to_representation(instance)
        current = cast("PersonWithAddress", instance).current_address_id  # every person the views read
        data["current_address"] = str(current) if current else None
        return data


class RelationshipSerializer(StrictModelSerializer[Relationship]):
    from_person = UUIDRelatedField(queryset=Person.objects.all())
    to_person = UUIDRelatedField(queryset=Person.objects.all())
    kind = StrictChoiceField(choices=RelationshipKind.choices)

    class Meta:
        model = Relationship
        fields = ["id", "from_person", "to_person", "kind", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list[Any] = []  # the action refuses duplicates and self-links, naming the field


class UserBriefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class FlagSerializer(StrictModelSerializer[Flag]):
    subject_person = UUIDRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    subject_address = UUIDRelatedField(queryset=Address.objects.all(), required=False, allow_null=True)
    category = StrictChoiceField(choices=FlagCategory.choices)
    group = serializers.ChoiceField(choices=FlagGroup.choices, read_only=True)
    severity = StrictChoiceField(choices=Severity.choices)
    summary = StrictCharField(max_length=200)
    status = serializers.SerializerMethodField()
    source_agency = AgencyBriefSerializer(read_only=True)
    owner = UserBriefSerializer(read_only=True)
    owner_id = UUIDRelatedField(
        queryset=User.objects.filter(membership__isnull=False, is_active=True),
        source="owner",
        write_only=True,
        required=False,
        help_text="The professional who owns the concern; the caller when omitted.",
    )

    class Meta:
        model = Flag
        fields = [
            "id",
            "subject_person",
            "subject_address",
            "category",
            "group",
            "severity",
            "summary",
            "handling_instructions",
            "source_agency",
            "owner",
            "owner_id",
            "valid_from",
            "valid_until",
            "review_by",
            "status",
            "version",
            "revoked_at",
            "revoked_reason",
            "created_at",
        ]
        read_only_fields = ["id", "group", "version", "revoked_at", "revoked_reason", "created_at"]
        validators: list[Any] = []  # the action enforces subject, period and review rules, naming the field

    def get_status(self, flag: Flag) -> str:
        return flag.effective_status(self.context.get("now"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            person, address = attrs.get("subject_person"), attrs.get("subject_address")
            if (person is None) == (address is None):
                raise serializers.ValidationError(
                    {"subject_person": "Give exactly one of subject_person and subject_address."}
                )
        return attrs


class FlagUpdateSerializer(FlagSerializer):
    class Meta(FlagSerializer.Meta):
        read_only_fields = [*FlagSerializer.Meta.read_only_fields, "subject_person", "subject_address"]


class FlagRevokeSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=500)


class FlagVersionSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    change = serializers.CharField()
    changed_by = UserBriefSerializer()
    changed_at = serializers.DateTimeField()
    snapshot = serializers.DictField()


# --- The linked picture (documents the dicts ooh.picture.payload builds) ------------------------


class NetworkPersonSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    date_of_birth = serializers.DateField(allow_null=True)
    expected_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=PersonStatus.choices)
    sex = serializers.ChoiceField(choices=Sex.choices, allow_null=True)
    identifiers = IdentifierSerializer(many=True)


class NetworkMemberSerializer(serializers.Serializer[Any]):
    person = NetworkPersonSerializer()
    relation = serializers.CharField(help_text="e.g. 'father of the unborn child'")
    path = serializers.ListField(
        child=serializers.UUIDField(), help_text="Person ids from the subject to this member."
    )
    distance = serializers.IntegerField()


class NetworkAddressSerializer(serializers.Serializer[Any]):
    address = AddressSerializer()
    residents = serializers.ListField(child=serializers.UUIDField())


class NetworkFlagSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    subject_person = serializers.UUIDField(allow_null=True)
    subject_address = serializers.UUIDField(allow_null=True)
    category = serializers.ChoiceField(choices=FlagCategory.choices)
    group = serializers.ChoiceField(choices=FlagGroup.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    summary = serializers.CharField()
    handling_instructions = serializers.CharField()
    source_agency = AgencyBriefSerializer()
    owner = UserBriefSerializer()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(allow_null=True)
    review_by = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=FlagStatus.choices)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class NetworkKeyContactSerializer(serializers.Serializer[Any]):
    agency = AgencySerializer(help_text="With the agency's out-of-hours number.")
    name = serializers.CharField()
    role = serializers.CharField()
    phone_in_hours = serializers.CharField()
    phone_out_of_hours = serializers.CharField(help_text="The contact's own out-of-hours number; '' if none.")
    call_out_of_hours = serializers.CharField(
        help_text="The number to ring tonight: the contact's out-of-hours number, else the agency's ('' if neither)."
    )


class PlanShareSerializer(serializers.Serializer[Any]):
    agency = AgencyBriefSerializer()
    read_version = serializers.IntegerField(
        allow_null=True, help_text="The latest version read; null: never."
    )
    read_at = serializers.DateTimeField(allow_null=True)


class NetworkBirthPlanSerializer(serializers.Serializer[Any]):
    """What the on-scene reader needs first from each plan in force or shared draft."""

    id = serializers.UUIDField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    expected_date = serializers.DateField()
    mother = serializers.UUIDField()
    unborn_child = serializers.UUIDField()
    plan_at_birth = serializers.CharField()
    home_birth_contingency = serializers.CharField()
    out_of_hours_instructions = serializers.CharField()
    parents_aware_of_plan = serializers.BooleanField(allow_null=True)
    parents_not_aware_reason = serializers.CharField()
    people_excluded = serializers.ListField(child=serializers.DictField(), help_text="[{name, reason}]")
    child_protection_status = serializers.CharField()
    child_protection_since = serializers.DateField(allow_null=True)
    legal_status = serializers.CharField()
    legal_status_since = serializers.DateField(allow_null=True)
    planned_place_of_birth = serializers.CharField()
    hospital = serializers.CharField()
    agreed_on = serializers.DateField(allow_null=True)
    activated_at = serializers.DateTimeField(allow_null=True)
    authoring_agency = serializers.UUIDField()
    lead_professional = UserBriefSerializer(allow_null=True)
    key_contacts_out_of_hours = NetworkKeyContactSerializer(
        many=True, help_text="Contacts with an out-of-hours number first."
    )
    shared_with = PlanShareSerializer(many=True)


class FlagLabelsSerializer(NetworkFlagSerializer):
    """A flag as the picture shows it: labelled for a person."""

    subject_label = serializers.CharField(
        help_text="Whose flag, and how they relate to the subjects: 'Dean Vale, father of the unborn child', "
        "or the address on one line."
    )
    group_label = serializers.CharField()
    category_label = serializers.CharField()
    severity_label = serializers.CharField()


class LegalPositionSerializer(serializers.Serializer[Any]):
    child_protection_status = serializers.CharField()
    child_protection_status_label = serializers.CharField()
    child_protection_since = serializers.DateField(allow_null=True)
    legal_status = serializers.CharField()
    legal_status_label = serializers.CharField()
    legal_status_since = serializers.DateField(allow_null=True)
    court_order = serializers.BooleanField(help_text="A court order lets the local authority act tonight.")
    removal_power = serializers.ChoiceField(
        choices=["police_protection", "local_authority"],
        help_text="Who can remove the baby tonight: police (police protection) or the local authority (an order).",
    )
    meaning = serializers.CharField(help_text="What the position means tonight, in plain words.")


class NotReadSerializer(serializers.Serializer[Any]):
    agency = AgencyBriefSerializer()
    read_version = serializers.IntegerField(allow_null=True)


class DescribedPlanSerializer(NetworkBirthPlanSerializer):
    """A plan as the picture shows it: its status and legal position in words, and who has not read it."""

    status_label = serializers.CharField(help_text="'Agreed' or 'Draft, not agreed'.")
    legal_position = LegalPositionSerializer()
    not_read_by = NotReadSerializer(many=True, help_text="Agencies shared with, behind the current version.")


class HeadlineLineSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        help_text="danger_to_staff, legal_position, child_protection_no_plan, flight_risk, plan_tonight, "
        "plan_at_birth, plan_cautions, coming, decision_maker or no_decision_maker"
    )
    text = serializers.CharField(help_text="Plain English, for the reader's service and role.")
    level = serializers.ChoiceField(choices=["danger", "warning", "info"])
    source = serializers.ChoiceField(choices=["flag", "plan", "attendance", "rule"])  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class
    ids = serializers.ListField(child=serializers.UUIDField(), help_text="The records behind the line.")


class NetworkSerializer(serializers.Serializer[Any]):
    headline = HeadlineLineSerializer(
        many=True,
        help_text="At most seven lines for the reader's role: danger to staff, legal position and powers, the "
        "plan's instructions for tonight.",
    )
    subject = serializers.DictField(help_text="The person or the address the picture is of.")
    subject_type = serializers.ChoiceField(choices=["person", "address"])
    generated_at = serializers.DateTimeField()
    highest_severity = serializers.ChoiceField(choices=Severity.choices, allow_null=True)
    members = NetworkMemberSerializer(many=True)
    addresses = NetworkAddressSerializer(many=True)
    flags = FlagLabelsSerializer(many=True)
    birth_plans = DescribedPlanSerializer(many=True)
