"""Concerns and referrals: raise, consult, transfer, refer, allocate, respond, record the outcome.

Need to know is the policy's (visible_concerns, visible_referrals); each write is a domain action in
ooh/referrals/concerns.py, which asks the policy who may make it. Every read is audited, naming the
concern's subjects.
"""

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import require_visible
from api.filters import StrictFilterSet
from api.pagination import StrictCursorPagination
from api.permissions import member
from api.views.base import PolicyViewSet
from ooh.access import policy
from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.referrals import concerns as actions
from ooh.referrals.calendar import local_date, working_days_since
from ooh.referrals.models import (
    Concern,
    ConcernStatus,
    ConcernSubject,
    ConcernTransfer,
    Consultation,
    Referral,
    ReferralStatus,
)

from ..serializers.concerns import (
    AllocateSerializer,
    CloseConcernSerializer,
    ConcernRaiseSerializer,
    ConcernSerializer,
    ConsultationSerializer,
    ConsultSerializer,
    OutcomeSerializer,
    ReferralSerializer,
    ReferSerializer,
    RespondSerializer,
    TransferOfferSerializer,
    TransferSerializer,
)


def _referrals_data(rows: list[Referral]) -> Any:
    """Referrals rendered with the days and working days each has waited, while it has no outcome."""
    now = timezone.now()
    today = local_date(now)
    waiting = {
        r.pk: ((today - local_date(r.made_at)).days, working_days_since(r.made_at, now))
        for r in rows
        if r.status != ReferralStatus.COMPLETED
    }
    return ReferralSerializer(rows, many=True, context={"waiting": waiting}).data


_Row = TypeVar("_Row")  # what a queryset of referrals yields (DRF's stubs keep it generic)


class ConcernFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=ConcernStatus.choices)

    class Meta:
        model = Concern
        fields = ["status"]


class ConcernViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PolicyViewSet[Concern]
):
    serializer_class = ConcernSerializer
    filterset_class = ConcernFilter
    audit_type = "concern"

    @staticmethod
    def visible_to(user: User | AnonymousUser) -> QuerySet[Concern]:
        return (
            policy.visible_concerns(user)
            .select_related("owner", "raised_by", "raised_by_agency")
            .prefetch_related(
                Prefetch("subjects", queryset=ConcernSubject.objects.select_related("person").order_by("pk")),
                Prefetch("consultations", queryset=Consultation.objects.select_related("by", "with_user")),
                Prefetch(
                    "transfers", queryset=ConcernTransfer.objects.select_related("from_user", "to_user")
                ),
                Prefetch("referrals", queryset=Referral.objects.select_related("to_agency")),
            )
        )

    def people_of(self, rows: Iterable[Concern]) -> list[uuid.UUID]:
        return [subject.person_id for concern in rows for subject in concern.subjects.all()]

    def _respond(self, concern: Concern, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(ConcernSerializer(self.get_queryset().get(pk=concern.pk)).data, status=status_code)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.listed_page()
        self.audit(page, action=AccessAction.SEARCH, detail={"query": dict(request.query_params.lists())})
        return self.get_paginated_response(ConcernSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        concern = self.get_object()
        self.audit([concern])
        return Response(ConcernSerializer(concern).data)

    @extend_schema(
        request=ConcernRaiseSerializer,
        responses={201: ConcernSerializer},
        summary="Raise a concern: the caller owns it",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ConcernRaiseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_visible(policy.visible_people(request.user), data["subjects"], "subjects")
        concern = actions.raise_concern(
            actor=member(request),
            subjects=data["subjects"],
            summary=data["summary"],
            referral_required=data["referral_required"],
        )
        return self._respond(concern, status.HTTP_201_CREATED)

    @extend_schema(
        request=ConsultSerializer,
        responses={201: ConsultationSerializer},
        summary="Consult a colleague: recorded, and the concern stays the owner's",
    )
    @action(detail=True, methods=["post"])
    def consultations(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        concern = self.get_object()
        serializer = ConsultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consultation = actions.consult(actor=member(request), concern=concern, **serializer.validated_data)
        return Response(ConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TransferSerializer,
        responses={201: TransferOfferSerializer},
        summary="Offer the concern to a colleague: it moves only when they accept",
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        concern = self.get_object()
        serializer = TransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = actions.offer_transfer(actor=member(request), concern=concern, **serializer.validated_data)
        return Response(TransferOfferSerializer(offer).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, responses={200: ConcernSerializer}, summary="Accept the concern offered to you"
    )
    @action(detail=True, methods=["post"], url_path="transfer/accept")
    def accept_transfer(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        concern = actions.accept_transfer(actor=member(request), concern=self.get_object())
        return self._respond(concern)

    @extend_schema(
        request=ReferSerializer,
        responses={201: ReferralSerializer},
        summary="Refer the concern to an agency (the owner only)",
    )
    @action(detail=True, methods=["post"])
    def referral(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        concern = self.get_object()
        serializer = ReferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = actions.make_referral(actor=member(request), concern=concern, **serializer.validated_data)
        return Response(_referrals_data([referral])[0], status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CloseConcernSerializer, responses={200: ConcernSerializer}, summary="Close, with a reason"
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        concern = self.get_object()
        serializer = CloseConcernSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        concern = actions.close_concern(
            actor=member(request), concern=concern, reason=serializer.validated_data["reason"]
        )
        return self._respond(concern)


class ReferralFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=ReferralStatus.choices)
    to_agency = django_filters.UUIDFilter(
        field_name="to_agency_id", label="Made to this agency (a manager's queue: their own agency)"
    )
    from_agency = django_filters.UUIDFilter(field_name="from_agency_id", label="Made by this agency")

    class Meta:
        model = Referral
        fields = ["status", "to_agency", "from_agency"]


class OldestFirstPagination(StrictCursorPagination):
    """The longest waiting first: the receiving agency's manager allocates in that order."""

    ordering = ("made_at", "id")


class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet[Referral]):
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    pagination_class = OldestFirstPagination
    audit_type = "referral"

    @staticmethod
    def visible_to(user: User | AnonymousUser) -> QuerySet[Referral]:
        return (
            policy.visible_referrals(user)
            .select_related("concern", "made_by", "from_agency", "to_agency", "allocated_to")
            .prefetch_related("concern__subjects")
        )

    def people_of(self, rows: Iterable[Referral]) -> list[uuid.UUID]:
        return [subject.person_id for referral in rows for subject in referral.concern.subjects.all()]

    def _respond(self, referral: Referral) -> Response:
        return Response(_referrals_data([self.get_queryset().get(pk=referral.pk)])[0])

    def filter_queryset(self, queryset: QuerySet[Referral, _Row]) -> QuerySet[Referral, _Row]:
        """A manager's `?status=unallocated` is their agency's queue (what they may allocate), unless
        they name the agency (`?to_agency=`, `?from_agency=`)."""
        queryset = super().filter_queryset(queryset)
        params = self.request.query_params
        if (
            params.get("status") == ReferralStatus.UNALLOCATED
            and not {"to_agency", "from_agency"} & set(params)
            and policy.is_manager(self.request.user)
        ):
            queryset = queryset.filter(to_agency_id=policy.agency_id_of(self.request.user))
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.listed_page()
        self.audit(page, action=AccessAction.SEARCH, detail={"query": dict(request.query_params.lists())})
        return self.get_paginated_response(_referrals_data(page))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        referral = self.get_object()
        self.audit([referral])
        return Response(_referrals_data([referral])[0])

    @extend_schema(
        request=AllocateSerializer,
        responses={200: ReferralSerializer},
        summary="Allocate to a social worker of the receiving agency (its managers)",
    )
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        referral = self.get_object()
        serializer = AllocateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = actions.allocate_referral(
            actor=member(request), referral=referral, **serializer.validated_data
        )
        return self._respond(referral)

    @extend_schema(
        request=RespondSerializer,
        responses={200: ReferralSerializer},
        summary="Write back to the referrer (the first response stops the response clock)",
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        referral = self.get_object()
        serializer = RespondSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.respond_to_referral(
            actor=member(request), referral=referral, note=serializer.validated_data["note"]
        )
        return self._respond(referral)

    @extend_schema(
        request=OutcomeSerializer,
        responses={200: ReferralSerializer},
        summary="Record the outcome with its explanation: the concern's owner, its raiser and everyone consulted are told",
    )
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        referral = self.get_object()
        serializer = OutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = actions.record_outcome(
            actor=member(request), referral=referral, **serializer.validated_data
        )
        return self._respond(referral)
