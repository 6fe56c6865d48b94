"""Flags (warning markers): raise, read, edit with history, revoke with a reason, export as FHIR."""

import uuid
from collections.abc import Iterable
from typing import Any

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.access import require, require_purpose, require_visible
from api.filters import StrictFilterSet
from api.permissions import member
from api.views.base import PolicyViewSet
from ooh.access import policy
from ooh.audit.models import AccessAction
from ooh.flags import actions
from ooh.flags.fhir import flag_to_fhir
from ooh.flags.models import Flag, FlagQuerySet, FlagStatus

from ..serializers.people import (
    FlagRevokeSerializer,
    FlagSerializer,
    FlagUpdateSerializer,
    FlagVersionSerializer,
)


class FlagFilter(StrictFilterSet):
    person = django_filters.UUIDFilter(field_name="subject_person_id")
    address = django_filters.UUIDFilter(field_name="subject_address_id")
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices, method="filter_status")

    class Meta:
        model = Flag
        fields = ["person", "address", "status"]

    def filter_status(self, queryset: FlagQuerySet, name: str, value: str) -> FlagQuerySet:
        now = timezone.now()
        if value == FlagStatus.ACTIVE:
            return queryset.in_force(now)
        if value == FlagStatus.EXPIRED:
            return queryset.filter(status=FlagStatus.ACTIVE, valid_until__lte=now)
        return queryset.filter(status=FlagStatus.REVOKED)


CHANGE_REFUSED = "Only the flag's owner or a manager of the agency that owns it may change or revoke it."


class FlagViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PolicyViewSet[Flag],
):
    serializer_class = FlagSerializer
    filterset_class = FlagFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    visible_to = staticmethod(policy.visible_flags)
    select_related = ("source_agency", "owner", "subject_person", "subject_address")
    audit_type = "flag"

    def people_of(self, rows: Iterable[Flag]) -> list[uuid.UUID]:
        return [f.subject_person_id for f in rows if f.subject_person_id]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action in ("update", "partial_update"):
            return FlagUpdateSerializer
        if self.action == "revoke":
            return FlagRevokeSerializer
        return FlagSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if policy.is_control_room(request.user):
            require_purpose(request)  # a control room's list reaches every flag in the country
        page = self.listed_page()
        self.audit(page, action=AccessAction.SEARCH, detail={"query": dict(request.query_params.lists())})
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        flag = self.get_object()
        self.audit([flag])
        return Response(self.get_serializer(flag).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(policy.may_raise_flag(request.user), "Your role does not raise flags.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_visible(policy.visible_people(request.user), [data.get("subject_person")], "subject_person")
        require_visible(
            policy.visible_addresses(request.user), [data.get("subject_address")], "subject_address"
        )
        flag = actions.raise_flag(actor=member(request), **data)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=flag.pk)).data, status=status.HTTP_201_CREATED
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        flag = self.get_object()
        require(policy.may_change_flag(request.user, flag), CHANGE_REFUSED)
        serializer = self.get_serializer(flag, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        actions.edit_flag(actor=member(request), flag=flag, **serializer.validated_data)
        return Response(
            FlagSerializer(self.get_queryset().get(pk=flag.pk), context=self.get_serializer_context()).data
        )

    @extend_schema(
        request=FlagRevokeSerializer,
        responses={200: FlagSerializer},
        summary="Revoke a flag, with a reason",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        flag = self.get_object()
        require(policy.may_change_flag(request.user, flag), CHANGE_REFUSED)
        serializer = FlagRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.revoke_flag(actor=member(request), flag=flag, reason=serializer.validated_data["reason"])
        return Response(
            FlagSerializer(self.get_queryset().get(pk=flag.pk), context=self.get_serializer_context()).data
        )

    @extend_schema(
        responses={200: FlagVersionSerializer(many=True)}, summary="Every version of a flag, oldest first"
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        flag = self.get_object()
        versions = flag.versions.select_related("changed_by").order_by("version")
        self.audit([flag], object_type="flag_history")
        return Response(FlagVersionSerializer(versions, many=True).data)

    @extend_schema(
        responses={200: {"type": "object", "description": "An HL7 FHIR R4 Flag resource"}},
        summary="The flag as an HL7 FHIR R4 Flag resource",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def fhir(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        flag = self.get_object()
        self.audit([flag], action=AccessAction.EXPORT, detail={"format": "fhir-r4"})
        return Response(flag_to_fhir(flag))
