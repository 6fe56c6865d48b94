"""Escalations addressed to the caller or its agency, and the caller's notification inbox."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import escalations, inbox
from alerts.models import Escalation, EscalationStatus, Notification
from api.fields import StrictCharField
from api.filters import StrictFilterSet
from api.pagination import StrictCursorPagination
from api.permissions import member
from api.views.base import PolicyViewSet
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access


def _audit_read(request: Request, object_type: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Escalations and notifications name incidents and people: reading them is on the record too."""
    incidents = {str(r.get("incident")) for r in rows if r.get("incident")}
    record_access(
        action=AccessAction.READ,
        object_type=object_type,
        object_ids=[r["id"] for r in rows],
        request=request,
        detail={"incidents": sorted(incidents)} if incidents else None,
    )


class RaisedCursorPagination(StrictCursorPagination):
    ordering = "-raised_at"


class EscalationSerializer(serializers.ModelSerializer[Escalation]):
    incident = serializers.UUIDField(source="incident_id", allow_null=True)
    acknowledged_by = serializers.UUIDField(source="acknowledged_by_id", allow_null=True)

    class Meta:
        model = Escalation
        fields = [
            "id",
            "rule",
            "level",
            "status",
            "message",
            "incident",
            "due_at",
            "raised_at",
            "next_level_at",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledgement_note",
            "resolved_at",
            "resolution",
        ]


class EscalationAcknowledgeSerializer(serializers.Serializer[Any]):
    note = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")


class EscalationFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=EscalationStatus.choices)

    class Meta:
        model = Escalation
        fields = ["status"]


class EscalationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet[Escalation]):
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilter
    pagination_class = RaisedCursorPagination
    visible_to = staticmethod(escalations.visible_escalations)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        _audit_read(request, "escalation", response.data["results"])
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        _audit_read(request, "escalation", [response.data])
        return response

    @extend_schema(
        request=EscalationAcknowledgeSerializer,
        responses={200: EscalationSerializer},
        summary="I have it: stop the climb",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        serializer = EscalationAcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        escalation = escalations.acknowledge(
            actor=member(request), escalation=self.get_object(), note=serializer.validated_data["note"]
        )
        return Response(EscalationSerializer(escalation).data)


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    escalation = serializers.UUIDField(source="escalation_id", allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "data", "escalation", "created_at", "read_at"]


class NotificationViewSet(mixins.ListModelMixin, PolicyViewSet[Notification]):
    serializer_class = NotificationSerializer
    visible_to = staticmethod(inbox.inbox_of)
    audit_type = "notification"

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        _audit_read(request, "notification", response.data["results"])
        return response

    @extend_schema(request=None, responses={200: NotificationSerializer}, summary="Mark as read")
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        notification = inbox.mark_read(user=member(request), notification=self.get_object())
        self.audit([notification])
        return Response(NotificationSerializer(notification).data)
