"""Birth plans: draft, revise with If-Match, activate, share, acknowledge; every read audited."""

import uuid
from collections.abc import Iterable
from typing import Any

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import require_purpose, require_visible
from api.fields import StrictCharField
from api.filters import StrictFilterSet
from api.permissions import member
from api.views.base import PolicyViewSet
from api.views.prebirth import PlanMilestoneActions
from ooh.access import policy
from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.plans import actions
from ooh.plans.models import Acknowledgement, BirthPlan, KeyContact, PlanShare, PlanStatus

from ..serializers.plans import (
    AcknowledgementSerializer,
    AcknowledgeSerializer,
    ActivateSerializer,
    BirthPlanSerializer,
    BirthPlanUpdateSerializer,
    BirthPlanVersionSerializer,
    ShareSerializer,
)

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The version you changed (e.g. `3` or `"3"`); 409 if the plan has moved on.',
)


class BirthPlanFilter(StrictFilterSet):
    person = django_filters.UUIDFilter(method="filter_person", label="Mother or child")
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = BirthPlan
        fields = ["person", "status"]

    def filter_person(
        self, queryset: QuerySet[BirthPlan], name: str, value: uuid.UUID
    ) -> QuerySet[BirthPlan]:
        return queryset.filter(Q(mother_id=value) | Q(unborn_child_id=value))


def _if_match(request: Request) -> int:
    raw = request.headers.get("If-Match", "").strip().strip('"').removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise ValidationError(
            {"If-Match": "Send the version you changed in the If-Match header, e.g. If-Match: 3."}
        )
    return int(raw)


class ClosePlanSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=1000)


@extend_validation_errors(["invalid", "required"], field_name="If-Match", actions=["partial_update"])
class BirthPlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PlanMilestoneActions,
    PolicyViewSet[BirthPlan],
):
    serializer_class = BirthPlanSerializer
    filterset_class = BirthPlanFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    audit_type = "birth_plan"

    def people_of(self, rows: Iterable[BirthPlan]) -> list[uuid.UUID]:
        return [pid for plan in rows for pid in (plan.mother_id, plan.unborn_child_id)]

    @staticmethod
    def visible_to(user: User | AnonymousUser) -> QuerySet[BirthPlan]:
        return (
            policy.visible_plans(user)
            .select_related("lead_professional__membership", "authoring_agency")
            .prefetch_related(
                Prefetch("key_contacts", queryset=KeyContact.objects.select_related("agency")),
                Prefetch("shares", queryset=PlanShare.objects.select_related("agency")),
                Prefetch(
                    "acknowledgements", queryset=Acknowledgement.objects.select_related("agency", "user")
                ),
            )
        )

    def get_serializer_class(self) -> type[BirthPlanSerializer]:
        return BirthPlanUpdateSerializer if self.action == "partial_update" else BirthPlanSerializer

    def _respond(self, plan: BirthPlan, status_code: int = status.HTTP_200_OK) -> Response:
        plan = self.get_queryset().get(pk=plan.pk)
        response = Response(BirthPlanSerializer(plan).data, status=status_code)
        response["ETag"] = f'"{plan.version}"'
        return response

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if policy.is_control_room(request.user):
            require_purpose(request)  # a control room's list reaches every plan in the country
        page = self.listed_page()
        self.audit(page, action=AccessAction.SEARCH, detail={"query": dict(request.query_params.lists())})
        return self.get_paginated_response(BirthPlanSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        self.audit([plan], detail={"version": plan.version})
        response = Response(BirthPlanSerializer(plan).data)
        response["ETag"] = f'"{plan.version}"'
        return response

    @extend_schema(
        responses={201: BirthPlanSerializer},
        summary="Draft a birth plan (version 1)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = BirthPlanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        people = policy.visible_people(request.user)
        require_visible(people, [data["mother"]], "mother")
        require_visible(people, [data["unborn_child"]], "unborn_child")
        plan = actions.draft_plan(actor=member(request), **data)
        return self._respond(plan, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[IF_MATCH],
        request=BirthPlanUpdateSerializer,
        responses={200: BirthPlanSerializer},
        summary="Change the plan: a new immutable version",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        based_on = _if_match(request)
        serializer = BirthPlanUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        plan = actions.revise_plan(
            actor=member(request), plan=plan, based_on_version=based_on, **serializer.validated_data
        )
        return self._respond(plan)

    def update(
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response:  # PATCH only (http_method_names)
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        responses={200: BirthPlanVersionSerializer(many=True)}, summary="Every version, oldest first"
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        plan = self.get_object()
        versions = plan.versions.select_related("author").order_by("version")
        self.audit([plan], detail={"versions": "all"})
        return Response(BirthPlanVersionSerializer(versions, many=True).data)

    @extend_schema(responses={200: BirthPlanVersionSerializer}, summary="One version as it was")
    @action(
        detail=True,
        methods=["get"],
        url_path="versions/<int:number>",
        pagination_class=None,
        filter_backends=[],
    )
    def version(self, request: Request, pk: uuid.UUID | None = None, number: int | None = None) -> Response:
        plan = self.get_object()
        version = get_object_or_404(plan.versions.select_related("author"), version=number)
        self.audit([plan], detail={"version": number})
        return Response(BirthPlanVersionSerializer(version).data)

    @extend_schema(
        request=ActivateSerializer,
        responses={200: BirthPlanSerializer},
        summary="Activate a complete plan",
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        plan = self.get_object()
        serializer = ActivateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = actions.activate_plan(
            actor=member(request), plan=plan, agreed_on=serializer.validated_data.get("agreed_on")
        )
        return self._respond(plan)

    @extend_schema(
        request=ShareSerializer,
        responses={200: BirthPlanSerializer},
        summary="Share with agencies",
    )
    @action(detail=True, methods=["post"])
    def share(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        plan = self.get_object()
        serializer = ShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.share_plan(actor=member(request), plan=plan, agencies=serializer.validated_data["agencies"])
        return self._respond(plan)

    @extend_schema(
        request=AcknowledgeSerializer,
        responses={200: AcknowledgementSerializer},
        summary="My agency has read the current version",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        plan = self.get_object()
        serializer = AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        acknowledgement = actions.acknowledge_plan(
            actor=member(request), plan=plan, version=serializer.validated_data.get("version")
        )
        return Response(AcknowledgementSerializer(acknowledgement).data)

    @extend_schema(
        request=ClosePlanSerializer,
        responses={200: BirthPlanSerializer},
        summary="Close the plan, with a reason",
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        plan = self.get_object()
        serializer = ClosePlanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = actions.close_plan(
            actor=member(request), plan=plan, reason=serializer.validated_data["reason"]
        )
        return self._respond(plan)
