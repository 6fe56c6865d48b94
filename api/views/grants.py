"""After the night: reviewer grants (one named account may read one record's chronology for a review,
until the grant ends) and legal holds (records an inquiry ordered kept). Who may is ooh.access.policy's
(reviews.py); every read and change is audited."""

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import require
from api.fields import StrictCharField
from api.pagination import StrictCursorPagination
from api.permissions import member
from api.views.base import PolicyViewSet
from ooh.access import actions, policy
from ooh.access.models import ReviewerGrant
from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.incidents.models import Incident
from ooh.records import holds
from ooh.records.models import HoldScope, LegalHold
from ooh.referrals.models import Concern

# --- Reviewer grants ------------------------------------------------------------------------------


class ReviewerGrantSerializer(serializers.ModelSerializer[ReviewerGrant]):
    user = serializers.UUIDField(source="user_id", read_only=True)
    incident = serializers.UUIDField(source="incident_id", read_only=True, allow_null=True)
    concern = serializers.UUIDField(source="concern_id", read_only=True, allow_null=True)
    granted_by = serializers.UUIDField(source="granted_by_id", read_only=True)
    agency = serializers.UUIDField(source="agency_id", read_only=True)
    revoked_by = serializers.UUIDField(source="revoked_by_id", read_only=True, allow_null=True)
    live = serializers.SerializerMethodField()

    class Meta:
        model = ReviewerGrant
        fields = [
            "id",
            "user",
            "incident",
            "concern",
            "review",
            "reason",
            "granted_by",
            "agency",
            "granted_at",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "live",
        ]
        read_only_fields = fields

    def get_live(self, grant: ReviewerGrant) -> bool:
        now = self.context.get("now") or timezone.now()
        return grant.revoked_at is None and grant.granted_at <= now < grant.expires_at


class ReviewerGrantCreateSerializer(serializers.Serializer[Any]):
    user = serializers.UUIDField(help_text="The reviewer's account.")
    incident = serializers.UUIDField(required=False, allow_null=True, default=None)
    concern = serializers.UUIDField(required=False, allow_null=True, default=None)
    review = StrictCharField(max_length=200, help_text="The review it serves, e.g. 'LCSPR Family C19'.")
    reason = StrictCharField(
        max_length=2000, help_text="Why this reviewer needs the record (10+ characters)."
    )
    expires_at = serializers.DateTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs["incident"] is None) == (attrs["concern"] is None):
            raise serializers.ValidationError({"incident": "Name one incident or one concern (not both)."})
        return attrs


class ReviewerGrantRevokeSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=500)


class GrantedCursorPagination(StrictCursorPagination):
    ordering = "-granted_at"


def _grant_target(actor: User, data: dict[str, Any]) -> tuple[Model, uuid.UUID]:
    """The record named in a grant's body, among those whose chronology the actor reads as a manager (a
    record they cannot read is one that does not exist: 400), and its lead agency."""
    now = timezone.now()
    if data["incident"] is not None:
        incident: Incident | None = (
            policy.chronology_incidents(actor, now).filter(pk=data["incident"]).first()
        )
        if incident is None:
            raise serializers.ValidationError(
                {"incident": f'Invalid pk "{data["incident"]}" - object does not exist.'}
            )
        return incident, policy.incident_lead_agency_id(incident)
    concern: Concern | None = policy.chronology_concerns(actor, now).filter(pk=data["concern"]).first()
    if concern is None:
        raise serializers.ValidationError(
            {"concern": f'Invalid pk "{data["concern"]}" - object does not exist.'}
        )
    return concern, policy.concern_lead_agency_id(concern)


class ReviewerGrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet[ReviewerGrant]):
    """Reviewers let in to one record's chronology: every agency on the record sees who and until when."""

    serializer_class = ReviewerGrantSerializer
    pagination_class = GrantedCursorPagination

    @staticmethod
    def visible_to(user: Any) -> QuerySet[ReviewerGrant]:
        return policy.visible_reviewer_grants(user, timezone.now())

    def _audit(self, request: Request, grants: list[dict[str, Any]]) -> None:
        record_access(
            action=AccessAction.READ,
            object_type="reviewer_grant",
            object_ids=[g["id"] for g in grants],
            request=request,
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        self._audit(request, response.data["results"])
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ReviewerGrantSerializer(self.get_object()).data
        self._audit(request, [data])
        return Response(data)

    @extend_schema(request=ReviewerGrantCreateSerializer, responses={201: ReviewerGrantSerializer})
    def create(self, request: Request) -> Response:
        actor = member(request)
        require(policy.is_manager(actor), "A reviewer is granted by a manager of the record's lead agency.")
        serializer = ReviewerGrantCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record, lead_agency_id = _grant_target(actor, data)
        reviewer = User.objects.filter(pk=data["user"], is_active=True).first()
        if reviewer is None:
            raise serializers.ValidationError(
                {"user": f'Invalid pk "{data["user"]}" - object does not exist.'}
            )
        with transaction.atomic():
            grant = actions.grant_reviewer(
                actor=actor,
                user=reviewer,
                record=record,
                lead_agency_id=lead_agency_id,
                review=data["review"],
                reason=data["reason"],
                expires_at=data["expires_at"],
            )
        return Response(ReviewerGrantSerializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewerGrantRevokeSerializer, responses={200: ReviewerGrantSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        grant = self.get_object()
        serializer = ReviewerGrantRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = actions.revoke_reviewer(
            actor=member(request), grant=grant, reason=serializer.validated_data["reason"]
        )
        return Response(ReviewerGrantSerializer(grant).data)


# --- Legal holds ----------------------------------------------------------------------------------


class LegalHoldSerializer(serializers.ModelSerializer[LegalHold]):
    id = serializers.UUIDField(read_only=True)
    target = serializers.UUIDField(source="target_id", read_only=True)
    placed_by = serializers.UUIDField(source="placed_by_id", read_only=True)
    released_by = serializers.UUIDField(source="released_by_id", read_only=True, allow_null=True)

    class Meta:
        model = LegalHold
        fields = [
            "id",
            "scope",
            "target",
            "reason",
            "placed_by",
            "placed_at",
            "released_at",
            "released_by",
            "release_reason",
        ]
        read_only_fields = fields


class LegalHoldCreateSerializer(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=HoldScope.choices)
    id = serializers.UUIDField(help_text="The person's, agency's or incident's id.")
    reason = StrictCharField(max_length=2000, help_text="Who ordered it and why (10+ characters).")


class LegalHoldReleaseSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=2000)


class PlacedCursorPagination(StrictCursorPagination):
    ordering = "-placed_at"


class LegalHoldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet[LegalHold]):
    """Records an inquiry ordered kept: never disposed of while the hold is in force. The data
    protection officer places, lists and releases them."""

    serializer_class = LegalHoldSerializer
    pagination_class = PlacedCursorPagination
    visible_to = staticmethod(policy.visible_legal_holds)

    def _audit(self, request: Request, holds: list[dict[str, Any]]) -> None:
        record_access(
            action=AccessAction.READ,
            object_type="legal_hold",
            object_ids=[h["id"] for h in holds],
            request=request,
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(
            policy.is_data_protection_officer(request.user), "Legal holds are the data protection officer's."
        )
        response = super().list(request, *args, **kwargs)
        self._audit(request, response.data["results"])
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = LegalHoldSerializer(self.get_object()).data
        self._audit(request, [data])
        return Response(data)

    @extend_schema(request=LegalHoldCreateSerializer, responses={201: LegalHoldSerializer})
    def create(self, request: Request) -> Response:
        actor = member(request)
        require(policy.may_place_legal_hold(actor), "Legal holds are placed by the data protection officer.")
        serializer = LegalHoldCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        hold = holds.place_hold(actor=actor, scope=data["scope"], target_id=data["id"], reason=data["reason"])
        return Response(LegalHoldSerializer(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LegalHoldReleaseSerializer, responses={200: LegalHoldSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        hold = self.get_object()
        serializer = LegalHoldReleaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hold = holds.release_hold(
            actor=member(request), hold=hold, reason=serializer.validated_data["reason"]
        )
        return Response(LegalHoldSerializer(hold).data)
