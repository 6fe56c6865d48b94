"""Push registration: a phone registers its FCM/APNs/Web Push token to be told of escalations."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from ooh.accounts.actions import register_device
from ooh.accounts.models import Device, User

from ..permissions import member
from ..serializers import DeviceSerializer
from .base import PolicyViewSet


class DeviceViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, PolicyViewSet[Device]):
    serializer_class = DeviceSerializer

    @staticmethod
    def visible_to(user: User) -> QuerySet[Device]:  # a member: every request here has one
        return Device.objects.filter(user=user, active=True)  # only the caller's own devices

    @extend_schema(
        responses={201: DeviceSerializer, 200: DeviceSerializer},
        description=(
            "201 when the push token is new; 200 when it was already yours (re-registering is safe). "
            "409 (`push_token_taken`) when another active user still receives alerts on it."
        ),
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, created = register_device(user=member(request), **serializer.validated_data)
        return Response(
            DeviceSerializer(device).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
