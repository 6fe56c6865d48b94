from typing import Any

from knox.models import AuthToken
from rest_framework import serializers

from api.fields import StrictCharField, StrictModelSerializer
from ooh.access import policy
from ooh.accounts.models import Agency, Device, Role, User


class AgencyBriefSerializer(StrictModelSerializer[Agency]):
    class Meta:
        model = Agency
        fields = ["id", "code", "name", "kind"]


class AgencySerializer(StrictModelSerializer[Agency]):
    class Meta:
        model = Agency
        fields = ["id", "code", "name", "kind", "out_of_hours_phone"]


class UserSerializer(StrictModelSerializer[User]):
    role = serializers.ChoiceField(source="membership.role", choices=Role.choices, read_only=True)
    agency = AgencyBriefSerializer(source="membership.agency", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "role", "agency"]


class MeSerializer(UserSerializer):
    control_room = serializers.SerializerMethodField(
        help_text="A police or ambulance control room's call handler or supervisor: sees every incident, "
        "and may open the feed with ?incidents=all."
    )

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "control_room"]

    def get_control_room(self, user: User) -> bool:
        return policy.is_control_room(user)


class CredentialsSerializer(serializers.Serializer[Any]):
    """A username and password: the board's browser signs in with these alone."""

    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})


class LoginSerializer(CredentialsSerializer):
    device_name = StrictCharField(
        max_length=100, help_text="e.g. 'Sgt Hale iPhone'; shown in the user's sessions"
    )


class BrowserSessionSerializer(serializers.Serializer[Any]):
    expiry = serializers.DateTimeField(help_text="When the session ends (its token expires).")
    user = UserSerializer()


class TokenResponseSerializer(serializers.Serializer[Any]):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()
    user = UserSerializer()


class WsTicketSerializer(serializers.Serializer[Any]):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid; it works once.")


class DeviceSerializer(StrictModelSerializer[Device]):
    push_token = StrictCharField(max_length=4096, write_only=True)

    class Meta:
        model = Device
        fields = ["id", "platform", "push_token", "name", "created_at"]
        read_only_fields = ["id", "created_at"]
        # Uniqueness is handled by register_device (re-registering a token is not an error).
        validators: list[Any] = []


class SessionSerializer(serializers.Serializer[Any]):
    """One signed-in device of the caller: a login token, shown by its key (never the token itself)."""

    id = serializers.CharField(source="token_key", help_text="Opaque id of the session, for DELETE.")
    device_name = serializers.SerializerMethodField(help_text="As given at sign-in.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.SerializerMethodField(help_text="True for the session making this request.")

    def get_device_name(self, token: AuthToken) -> str:
        device = getattr(token, "device", None)  # tokens are issued with one; be kind to any that lack it
        return device.device_name if device is not None else ""

    def get_current(self, token: AuthToken) -> bool:
        current: str = self.context["current_digest"]
        return token.digest == current
