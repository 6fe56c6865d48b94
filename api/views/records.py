"""After the night: an incident's or a concern's chronology (JSON, CSV, PDF), reviewer grants, and the
data protection officer's subject access export and legal holds.

Who may read or grant is ooh.access.policy's (reviews.py): a record outside it is 404, as an id never
issued, and an expired reviewer grant reads the same. Every read is audited before it is answered,
naming the people the record is about; a CSV or PDF is an export (it leaves the service)."""

import uuid
from datetime import datetime
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import require
from api.fields import StrictCharField
from api.pagination import StrictCursorPagination
from api.permissions import member
from api.views.base import BaseAPIView, PolicyViewSet
from ooh.access import actions, policy
from ooh.access.models import ReviewerGrant
from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.incidents.models import Incident
from ooh.people.models import Person
from ooh.records import holds
from ooh.records.chronology import concern_chronology, incident_chronology, person_ids_of
from ooh.records.documents import chronology_csv, chronology_pdf
from ooh.records.models import HoldScope, LegalHold
from ooh.records.shapes import Chronology
from ooh.records.subject_access import subject_access_export
from ooh.records.subject_access_files import subject_access_pdf
from ooh.referrals.models import Concern

FORMATS = ("json", "csv", "pdf")


class ChronologyQuery(serializers.Serializer[Any]):
    """The query string of a chronology: nothing else is accepted, so a typo is a 400, not ignored."""

    format = serializers.ChoiceField(choices=FORMATS, default="json")
    pseudonymise = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: "Not a parameter of this endpoint." for name in unknown})
        return attrs


class JsonOnly:
    """`?format=` chooses the document here, not DRF's renderer (which would answer an unknown one 404);
    errors and JSON are rendered as JSON."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        return JSONRenderer(), JSONRenderer.media_type


def _document(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ChronologyView(JsonOnly, BaseAPIView):
    """GET: the record's chronology. Managers of an agency on the record, or a reviewer granted it."""

    record: ClassVar[str]
    query_serializer_class = ChronologyQuery

    def visible(self, user: Any, now: datetime) -> QuerySet[Any]:
        """The records of this kind whose chronology the user may read now."""
        raise NotImplementedError

    def build(self, record: Any, *, now: datetime, pseudonymise: bool) -> Chronology:
        raise NotImplementedError

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=list(FORMATS), description="json (default), csv or pdf"
            ),
            OpenApiParameter(
                "pseudonymise",
                OpenApiTypes.BOOL,
                description="People become 'Mother', 'Baby'; staff their role and agency, as published reviews write them",
            ),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request, pk: uuid.UUID) -> Response | HttpResponse:
        query = ChronologyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        fmt, pseudonymise = query.validated_data["format"], query.validated_data["pseudonymise"]
        now = timezone.now()
        record = get_object_or_404(self.visible(request.user, now), pk=pk)
        chronology = self.build(record, now=now, pseudonymise=pseudonymise)
        record_access(
            action=AccessAction.READ if fmt == "json" else AccessAction.EXPORT,
            object_type=f"{self.record}_chronology",
            object_ids=[record.pk],
            person_ids=person_ids_of(record),
            request=request,
            incident_id=record.pk if self.record == "incident" else None,
            detail={"format": fmt, "pseudonymised": pseudonymise},
        )
        name = f"{record.reference}-chronology{'-pseudonymised' if pseudonymise else ''}"
        if fmt == "csv":
            return _document(chronology_csv(chronology), "text/csv; charset=utf-8", f"{name}.csv")
        if fmt == "pdf":
            return _document(chronology_pdf(chronology), "application/pdf", f"{name}.pdf")
        return Response(chronology.as_dict())


class IncidentChronologyView(ChronologyView):
    record = "incident"

    def visible(self, user: Any, now: datetime) -> QuerySet[Incident]:
        return policy.chronology_incidents(user, now)

    def build(self, record: Incident, *, now: datetime, pseudonymise: bool) -> Chronology:
        return incident_chronology(record, now=now, pseudonymise=pseudonymise)


class ConcernChronologyView(ChronologyView):
    record = "concern"

    def visible(self, user: Any, now: datetime) -> QuerySet[Concern]:
        return policy.chronology_concerns(user, now)

    def build(self, record: Concern, *, now: datetime, pseudonymise: bool) -> Chronology:
        return concern_chronology(record, now=now, pseudonymise=pseudonymise)


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


# --- Subject access -------------------------------------------------------------------------------


class SubjectAccessQuery(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=("json", "pdf"), default="json")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: "Not a parameter of this endpoint." for name in unknown})
        return attrs


class SubjectAccessView(JsonOnly, BaseAPIView):
    """GET: everything held about a person, for their subject access request (the data protection
    officer; anyone else is answered as if the person did not exist). `X-Access-Reason` names the
    request (its reference); the export is audited as a disclosure to the data subject."""

    query_serializer_class = SubjectAccessQuery
    required_headers = ("X-Access-Reason",)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "pdf"]),
            OpenApiParameter("X-Access-Reason", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request, pk: uuid.UUID) -> Response | HttpResponse:
        actor = member(request)
        if not policy.may_export_subject_access(actor):
            raise Http404
        query = SubjectAccessQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        reason = request.headers.get("X-Access-Reason", "").strip()
        if len(reason) < policy.MIN_REASON_LENGTH:
            raise serializers.ValidationError(
                {
                    "X-Access-Reason": "Name the subject access request (its reference and why), 10+ characters."
                }
            )
        person = get_object_or_404(Person, pk=pk)
        fmt = query.validated_data["format"]
        export = subject_access_export(person, now=timezone.now(), requested_by=actor)
        record_access(
            action=AccessAction.EXPORT,
            object_type="subject_access",
            object_ids=[person.pk],
            person_ids=[person.pk, *(p["id"] for p in export.get("third_party_people", []))],
            request=request,
            reason=reason[:500],
            detail={"format": fmt, "disclosed_to": "the data subject (subject access request)"},
        )
        if fmt == "pdf":
            return _document(subject_access_pdf(export), "application/pdf", f"subject-access-{person.pk}.pdf")
        return Response(export)


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
