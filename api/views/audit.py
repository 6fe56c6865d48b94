"""The audit log for managers and admins: who read or changed what, when, under which incident or reason."""

import uuid
from typing import Any

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import SaneIsoDateTimeFilter, StrictFilterSet
from api.pagination import StrictCursorPagination
from ooh.access import policy
from ooh.accounts.models import Agency, User
from ooh.audit.models import AccessAction, AccessedPerson, AccessLog
from ooh.audit.records import record_access

from .base import PolicyViewSet


class IsManagerOrAdmin(BasePermission):
    message = "The audit log is for managers and admins."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return policy.may_read_audit(request.user)


class AuditFilter(StrictFilterSet):
    person = django_filters.UUIDFilter(
        method="filter_person", label="Every access that disclosed this person"
    )
    user = django_filters.UUIDFilter(field_name="user_id")
    incident = django_filters.UUIDFilter(field_name="incident_id")
    since = SaneIsoDateTimeFilter(field_name="at", lookup_expr="gte")
    action = django_filters.ChoiceFilter(choices=AccessAction.choices)

    class Meta:
        model = AccessLog
        fields = ["person", "user", "incident", "since", "action"]

    def filter_person(
        self, queryset: QuerySet[AccessLog], name: str, value: uuid.UUID
    ) -> QuerySet[AccessLog]:
        return queryset.filter(pk__in=AccessedPerson.objects.filter(person_id=value).values("log_id"))


class AccessLogSerializer(serializers.ModelSerializer[AccessLog]):
    agency: serializers.SlugRelatedField[Agency] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    people = serializers.SerializerMethodField()

    class Meta:
        model = AccessLog
        fields = [
            "id",
            "at",
            "user",
            "username",
            "agency",
            "role",
            "action",
            "object_type",
            "object_ids",
            "people",
            "incident_id",
            "reason",
            "request_id",
            "ip",
            "detail",
        ]

    def get_people(self, log: AccessLog) -> list[str]:
        return [str(p.person_id) for p in log.people.all()]


class AtCursorPagination(StrictCursorPagination):
    ordering = "-at"


class AuditViewSet(mixins.ListModelMixin, PolicyViewSet[AccessLog]):
    serializer_class = AccessLogSerializer
    filterset_class = AuditFilter
    pagination_class = AtCursorPagination
    permission_classes = [IsManagerOrAdmin]

    @staticmethod
    def visible_to(user: User | AnonymousUser) -> QuerySet[AccessLog]:
        return policy.visible_audit(user).select_related("agency").prefetch_related("people")

    @extend_schema(summary="Who read or changed what (managers and admins); reading it is audited too")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        record_access(
            action=AccessAction.READ,
            object_type="audit_log",
            request=request,
            detail={"query": dict(request.query_params.lists())},
        )
        return response
