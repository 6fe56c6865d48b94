"""After the night: an incident's or a concern's chronology (JSON, CSV, PDF), and the data protection
officer's subject access export. Reviewer grants and legal holds are api/views/grants.py.

Who may read is ooh.access.policy's (reviews.py): a record outside it is 404, as an id never issued,
and an expired reviewer grant reads the same. Every read is audited before it is answered, naming the
people the record is about; a CSV or PDF is an export (it leaves the service)."""

import uuid
from datetime import datetime
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import member
from api.views.base import BaseAPIView
from ooh.access import policy
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.incidents.models import Incident
from ooh.people.models import Person
from ooh.records.chronology import concern_chronology, incident_chronology
from ooh.records.documents import chronology_csv, chronology_pdf
from ooh.records.shapes import Chronology
from ooh.records.subject_access import subject_access_export
from ooh.records.subject_access_files import subject_access_pdf
from ooh.referrals.models import Concern

FORMATS = ("json", "csv", "pdf")


class StrictQuery(serializers.Serializer[Any]):
    """A query string read by its fields alone: any other parameter is a 400 naming it, not ignored (a
    typo such as `?fromat=pdf` would otherwise answer JSON)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: "Not a parameter of this endpoint." for name in unknown})
        return attrs


class ChronologyQuery(StrictQuery):
    format = serializers.ChoiceField(choices=FORMATS, default="json")
    pseudonymise = serializers.BooleanField(default=False)


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
            person_ids=chronology.person_ids,  # the family it names, not only the subjects
            request=request,
            incident_id=record.pk if self.record == "incident" else None,
            detail={"format": fmt, "pseudonymised": pseudonymise},
        )
        # A document for publication is named as it names the family ("Family W87"), never by reference.
        name = (
            f"{chronology.reference.replace(' ', '-')}-chronology"
            if pseudonymise
            else f"{record.reference}-chronology"
        )
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


# --- Subject access -------------------------------------------------------------------------------


class SubjectAccessQuery(StrictQuery):
    format = serializers.ChoiceField(choices=("json", "pdf"), default="json")


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
