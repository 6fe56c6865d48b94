from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.fields import StrictCharField, StrictModelSerializer
from ooh.accounts.models import Agency, Device, Role

User = get_user_model()


class AgencyBriefSerializer(StrictModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "code", "name", "kind"]


class AgencySerializer(StrictModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "code", "name", "kind", "out_of_hours_phone"]


class UserSerializer(StrictModelSerializer):
    role = serializers.ChoiceField(source="membership.role", choices=Role.choices, read_only=True)
    agency = AgencyBriefSerializer(source="membership.agency", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "role", "agency"]


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    device_name = StrictCharField(
        max_length=100, help_text="e.g. 'Sgt Hale iPhone'; shown in the user's sessions"
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()
    user = UserSerializer()


class WsTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid; it works once.")


class DeviceSerializer(StrictModelSerializer):
    push_token = StrictCharField(max_length=4096, write_only=True)

    class Meta:
        model = Device
        fields = ["id", "platform", "push_token", "name", "created_at"]
        read_only_fields = ["id", "created_at"]
        # Uniqueness is handled by register_device (re-registering a token is not an error).
        validators = []


class SessionSerializer(serializers.Serializer):
    """One signed-in device of the caller: a login token, shown by its key (never the token itself)."""

    id = serializers.CharField(source="token_key", help_text="Opaque id of the session, for DELETE.")
    device_name = serializers.SerializerMethodField(help_text="As given at sign-in.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.SerializerMethodField(help_text="True for the session making this request.")

    def get_device_name(self, token) -> str:
        device = getattr(token, "device", None)  # tokens are issued with one; be kind to any that lack it
        return device.device_name if device is not None else ""

    def get_current(self, token) -> bool:
        return token.digest == self.context["current_digest"]
