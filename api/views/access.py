"""Break-glass: open 60 minutes of access to one person outside the rules; managers review every one."""

import uuid
from typing import Any

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import disclosure
from api.access import require
from api.fields import StrictCharField
from api.filters import StrictFilterSet
from api.pagination import StrictCursorPagination
from api.permissions import member
from api.views.base import PolicyViewSet
from ooh.access import actions, policy
from ooh.access.models import BreakGlass
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.people.models import Person


class BreakGlassSerializer(serializers.ModelSerializer[BreakGlass]):
    person = serializers.UUIDField(source="person_id", read_only=True)
    user = serializers.UUIDField(source="user_id", read_only=True)
    agency = serializers.UUIDField(source="agency_id", read_only=True)
    reviewed_by = serializers.UUIDField(source="reviewed_by_id", read_only=True, allow_null=True)

    class Meta:
        model = BreakGlass
        fields = [
            "id",
            "person",
            "user",
            "agency",
            "reason",
            "opened_at",
            "expires_at",
            "reviewed_at",
            "reviewed_by",
            "review_note",
        ]
        read_only_fields = fields


class BreakGlassOpenSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(
        max_length=1000, help_text="Why you need this person's records now (10+ characters)."
    )


class BreakGlassReviewSerializer(serializers.Serializer[Any]):
    note = StrictCharField(max_length=2000)


def open_break_glass(request: Request, person_id: uuid.UUID | None) -> Response:
    """POST /people/{id}/break-glass/ (routed from PersonViewSet): any casework role, any person."""
    require(policy.may_break_glass(request.user), "Your role does not open people's records.")
    person = get_object_or_404(Person, pk=person_id)
    serializer = BreakGlassOpenSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    with transaction.atomic():
        grant = actions.break_glass(
            actor=member(request), person=person, reason=serializer.validated_data["reason"]
        )
        disclosure.notify_break_glass(grant)
    return Response(BreakGlassSerializer(grant).data, status=status.HTTP_201_CREATED)


class OpenedCursorPagination(StrictCursorPagination):
    ordering = "-opened_at"


class BreakGlassFilter(StrictFilterSet):
    reviewed = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_reviewed", label="Reviewed yet"
    )

    class Meta:
        model = BreakGlass
        fields = ["reviewed"]

    def filter_reviewed(self, queryset: QuerySet[BreakGlass], name: str, value: str) -> QuerySet[BreakGlass]:
        return queryset.filter(reviewed_at__isnull=value == "false")


class BreakGlassViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet[BreakGlass]):
    """Managers: their agency's break-glass accesses, to review; everyone else: their own."""

    serializer_class = BreakGlassSerializer
    filterset_class = BreakGlassFilter
    pagination_class = OpenedCursorPagination
    lookup_value_converter = "uuid"

    visible_to = staticmethod(policy.visible_break_glass)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        record_access(
            action=AccessAction.READ,
            object_type="break_glass",
            object_ids=[g["id"] for g in response.data["results"]],
            person_ids=[g["person"] for g in response.data["results"]],
            request=request,
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        grant = self.get_object()
        record_access(
            action=AccessAction.READ,
            object_type="break_glass",
            object_ids=[grant.pk],
            person_ids=[grant.person_id],
            request=request,
        )
        return Response(BreakGlassSerializer(grant).data)

    @extend_schema(
        request=BreakGlassReviewSerializer,
        responses={200: BreakGlassSerializer},
        summary="Record the review of a break-glass access (a manager of the user's agency)",
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        grant = self.get_object()
        require(
            policy.may_review_break_glass(request.user, grant),
            "Break-glass is reviewed by a manager of the user's agency.",
        )
        serializer = BreakGlassReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = actions.review_break_glass(
            actor=member(request), grant=grant, note=serializer.validated_data["note"]
        )
        return Response(BreakGlassSerializer(grant).data)
