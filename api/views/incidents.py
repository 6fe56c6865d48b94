"""Incidents: open, read the snapshot, and every change of the night - each one a domain action."""

import uuid
from typing import Any, cast

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import disclosure
from api.access import require, require_visible
from api.filters import StrictBooleanFilter, StrictFilterSet
from api.pagination import KeysetCursorPagination, StrictCursorPagination
from api.permissions import member
from api.responses import RenderedResponse
from api.views.base import PolicyViewSet
from ooh.access import policy
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.flags.models import SEVERITY_RANK, Severity
from ooh.incidents import actions, answers, appointments, details
from ooh.incidents.events import event_dict, events_after
from ooh.incidents.models import AppointmentRole, Incident, IncidentAgency, IncidentStatus
from ooh.picture import board, snapshot
from ooh.picture import ready as kept
from ooh.picture.audience import audience_of

from ..serializers.incidents import (
    AppointableQuerySerializer,
    AppointableSerializer,
    AppointmentSerializer,
    AppointSerializer,
    AttendanceRequestSerializer,
    AttendanceSerializer,
    AttendanceUpdateSerializer,
    CloseSerializer,
    DecisionRecordSerializer,
    DecisionSerializer,
    DeclineSerializer,
    EventSerializer,
    EventsQuerySerializer,
    FlagAcknowledgementSerializer,
    FlagReadSerializer,
    IncidentListItemSerializer,
    IncidentOpenSerializer,
    IncidentSnapshotSerializer,
    IncidentUpdateSerializer,
    PresenceSerializer,
    PresenceUpdateSerializer,
    StandDownSerializer,
    SubjectAddSerializer,
)

EVENTS_PAGE = 1000


class OpenedCursorPagination(KeysetCursorPagination):
    """Newest first unless `?ordering=` says otherwise; the board's keys (board.listing) then the newest,
    the id last so the order is total and a page never repeats or skips an incident."""

    default_ordering = "-opened_at"
    orderings = {
        "-opened_at": ("-opened_at", "id"),
        "opened_at": ("opened_at", "id"),
        "-severity": (f"-{board.SEVERITY_KEY}", "-opened_at", "id"),
        "severity": (board.SEVERITY_KEY, "-opened_at", "id"),
        "-open_escalations": (f"-{board.ESCALATIONS_KEY}", "-opened_at", "id"),
        "open_escalations": (board.ESCALATIONS_KEY, "-opened_at", "id"),
    }


class AppointableCursorPagination(StrictCursorPagination):
    """By agency, then name; the id last so the order is total."""

    ordering = ("agency_name", "display_name", "id")


class IncidentFilter(StrictFilterSet):
    """The board's filters, over a queryset read through board.listing (its annotations)."""

    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices)
    agency = django_filters.UUIDFilter(method="_on_incident", label="This agency is on the incident")
    has_decision_maker = StrictBooleanFilter(
        method="_decided", label="A decision maker is appointed and has accepted"
    )
    has_open_escalations = StrictBooleanFilter(method="_escalated", label="Something has slipped")
    min_severity = django_filters.ChoiceFilter(
        choices=Severity.choices, method="_severe", label="The highest flag in force is at least this"
    )
    # What the list's pagination reads (OpenedCursorPagination); any other parameter is a 400.
    paging_params = frozenset({"cursor", "page_size", "ordering"})

    class Meta:
        model = Incident
        fields = ["status"]

    def is_valid(self) -> bool:
        valid = super().is_valid()
        given = cast(QueryDict, self.data)  # the request's query (FilterSet keeps an empty one for none)
        for name in sorted(set(given) - set(self.filters) - self.paging_params):
            unknown = ValidationError("Not a parameter of this list.", code="invalid")
            self.form.errors[name] = self.form.error_class([unknown])
            valid = False
        return valid

    def _on_incident(self, queryset: QuerySet[Incident], name: str, value: uuid.UUID) -> QuerySet[Incident]:
        return queryset.filter(pk__in=IncidentAgency.objects.filter(agency_id=value).values("incident_id"))

    def _decided(self, queryset: QuerySet[Incident], name: str, value: bool) -> QuerySet[Incident]:
        accepted = Q(decision_maker__isnull=False, decision_maker__accepted_at__isnull=False)
        return queryset.filter(accepted if value else ~accepted)

    def _escalated(self, queryset: QuerySet[Incident], name: str, value: bool) -> QuerySet[Incident]:
        lookup = f"{board.ESCALATIONS_KEY}__gt" if value else board.ESCALATIONS_KEY
        return queryset.filter(**{lookup: 0})

    def _severe(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return queryset.filter(**{f"{board.SEVERITY_KEY}__gte": SEVERITY_RANK[value]})


@extend_validation_errors(["invalid", "min_value"], field_name="after", actions=["events"])
@extend_validation_errors(["invalid"], field_name="Idempotency-Key", methods=["post"])
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet[Incident]):
    serializer_class = IncidentSnapshotSerializer
    filterset_class = IncidentFilter
    pagination_class = OpenedCursorPagination
    visible_to = staticmethod(policy.visible_incidents)
    select_related = ("opening_agency",)
    audit_type = "incident"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_object(self, *related: str) -> Incident:
        """The incident through the access policy, with `related` fetched in the same query."""
        queryset = self.get_queryset()
        # select_related() with no names would follow every foreign key: only the ones asked for.
        incident = get_object_or_404(
            queryset.select_related(*related) if related else queryset, pk=self.kwargs["pk"]
        )
        self.check_object_permissions(self.request, incident)
        return incident

    @extend_schema(
        responses={200: IncidentListItemSerializer(many=True)},
        summary="The board: each incident with what a control room triages it by",
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        now = timezone.now()
        incidents = self.filter_queryset(board.listing(self.get_queryset(), now=now))
        page = cast(list[Incident], self.paginate_queryset(incidents))
        shown = board.rows(page, now=now)
        # The search names everyone a row's highest flag names (its person, and the subject they are
        # linked to), as a picture's read does.
        record_access(
            action=AccessAction.SEARCH,
            object_type=self.audit_type,
            object_ids=[incident.pk for incident in page],
            person_ids=shown.person_ids,
            request=request,
        )
        return self.get_paginated_response(IncidentListItemSerializer(shown.rows, many=True).data)

    @extend_schema(
        request=IncidentOpenSerializer,
        responses={201: IncidentSnapshotSerializer},
        summary="Open an incident for its subjects; agencies with a stake in them hear of it on their feeds",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(policy.may_open_incident(request.user), "Your role does not open incidents.")
        serializer = IncidentOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_visible(policy.visible_people(request.user), data["subjects"], "subjects")
        require_visible(policy.visible_addresses(request.user), [data.get("address")], "address")
        incident = actions.open_incident(
            actor=member(request),
            kind=data["kind"],
            summary=data["summary"],
            subjects=data["subjects"],
            address=data.get("address"),
            location_text=data["location_text"],
        )
        return self._snapshot_response(request, incident, status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            200: IncidentSnapshotSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match)"),
        },
        summary="The snapshot: subjects, linked picture, birth plans, attendance, who decides, guidance",
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # One query: the incident through the access policy, with everything a snapshot reads of its row.
        return self._snapshot_response(request, self.get_object(*snapshot.RELATED), fresh=True)

    @extend_schema(
        request=IncidentUpdateSerializer,
        responses={200: IncidentSnapshotSerializer},
        summary="Change the summary, kind, address or location (the opening control room or the decision maker)",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        require(policy.may_change_incident(request.user, incident), details.REFUSED)
        serializer = IncidentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_visible(policy.visible_addresses(request.user), [data.get("address")], "address")
        incident = details.update_incident(actor=member(request), incident=incident, **data)
        return self._snapshot_response(request, incident)

    @extend_schema(
        request=SubjectAddSerializer,
        responses={201: IncidentSnapshotSerializer},
        summary="Add a person found at the scene as a subject; the picture follows",
    )
    @action(detail=True, methods=["post"])
    def subjects(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        incident = self.get_object()
        require(policy.may_change_incident(request.user, incident), details.REFUSED)
        serializer = SubjectAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        person = serializer.validated_data["person"]
        require_visible(policy.visible_people(request.user), [person], "person")
        details.add_subject(actor=member(request), incident=incident, person=person)
        return self._snapshot_response(request, incident, status.HTTP_201_CREATED)

    def _snapshot_response(
        self, request: Request, incident: Incident, code: int = status.HTTP_200_OK, *, fresh: bool = False
    ) -> Response:
        """The snapshot as this reader sees it, kept ready or built (ooh/picture/ready.py); either way
        the read is audited with everyone it discloses, and disclosures are told, before it is served.
        `fresh`: `incident` was just read with snapshot.RELATED (a write's own copy is reloaded)."""
        reader = member(request)
        ready = kept.shelf().get(incident if fresh else snapshot.load(incident.pk), audience_of(reader))
        disclosure.notify_if_disclosed(
            reader, ready.flags, purpose={"incident": str(incident.pk), "reason": ""}
        )
        record_access(
            action=AccessAction.READ,
            object_type="incident",
            object_ids=[incident.pk],
            person_ids=ready.person_ids,
            request=request,
            incident_id=incident.pk,
        )
        if code == status.HTTP_200_OK and ready.etag in [
            t.strip() for t in request.headers.get("If-None-Match", "").split(",")
        ]:
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = RenderedResponse(ready.content, status=code)
        response["ETag"] = ready.etag
        return response

    def _incident_for_write(self) -> Incident:
        return self.get_object()

    @extend_schema(
        request=AttendanceRequestSerializer,
        responses={201: AttendanceSerializer},
        summary="Ask an agency to attend and to answer within N minutes (control room)",
    )
    @action(detail=True, methods=["post"], url_path="attendance-requests")
    def attendance_requests(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        serializer = AttendanceRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = actions.request_attendance(
            actor=member(request), incident=self.get_object(), **serializer.validated_data
        )
        row.agency = serializer.validated_data["agency"]
        return Response(AttendanceSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AttendanceUpdateSerializer,
        responses={200: AttendanceSerializer},
        summary="My agency's answer: attending with an ETA, en route, on scene, left, or cannot attend and why",
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        # An agency not asked may still declare itself, so the incident is found by id alone: the action
        # locks it by id (one read, not two, on the phones' busiest write).
        serializer = AttendanceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            row = actions.update_attendance(
                actor=member(request), incident=Incident(pk=pk), **serializer.validated_data
            )
        except Incident.DoesNotExist as missing:
            raise Http404 from missing
        row.agency = member(request).membership.agency
        return Response(AttendanceSerializer(row).data)

    @extend_schema(
        request=StandDownSerializer,
        responses={200: AttendanceSerializer},
        summary="Stand an agency down (control room)",
    )
    @action(detail=True, methods=["post"], url_path="stand-down")
    def stand_down(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        serializer = StandDownSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = actions.stand_down(
            actor=member(request), incident=self.get_object(), **serializer.validated_data
        )
        row.agency = serializer.validated_data["agency"]
        return Response(AttendanceSerializer(row).data)

    def _appoint(self, request: Request, role: str) -> Response:
        serializer = AppointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = actions.appoint(
            actor=member(request), incident=self.get_object(), role=role, **serializer.validated_data
        )
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AppointSerializer,
        responses={201: AppointmentSerializer},
        summary="Name the lead professional (replaces the current one)",
    )
    @action(detail=True, methods=["post"], url_path="lead-professional")
    def lead_professional(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        return self._appoint(request, AppointmentRole.LEAD_PROFESSIONAL)

    @extend_schema(
        request=AppointSerializer,
        responses={201: AppointmentSerializer},
        summary="Name the decision maker (replaces the current one)",
    )
    @action(detail=True, methods=["post"], url_path="decision-maker")
    def decision_maker(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        return self._appoint(request, AppointmentRole.DECISION_MAKER)

    def _accept(self, request: Request, role: str) -> Response:
        appointment = answers.accept_appointment(actor=member(request), incident=self.get_object(), role=role)
        return Response(AppointmentSerializer(appointment).data)

    def _decline(self, request: Request, role: str) -> Response:
        serializer = DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = answers.decline_appointment(
            actor=member(request), incident=self.get_object(), role=role, **serializer.validated_data
        )
        return Response(AppointmentSerializer(appointment).data)

    @extend_schema(
        request=None,
        responses={200: AppointmentSerializer},
        summary="I accept my appointment as decision maker (the appointee of the current one only)",
    )
    @action(detail=True, methods=["post"], url_path="decision-maker/accept")
    def decision_maker_accept(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        return self._accept(request, AppointmentRole.DECISION_MAKER)

    @extend_schema(
        request=DeclineSerializer,
        responses={200: AppointmentSerializer},
        summary="I decline my appointment as decision maker, saying why; nobody decides until someone else is named",
    )
    @action(detail=True, methods=["post"], url_path="decision-maker/decline")
    def decision_maker_decline(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        return self._decline(request, AppointmentRole.DECISION_MAKER)

    @extend_schema(
        request=None,
        responses={200: AppointmentSerializer},
        summary="I accept my appointment as lead professional (the appointee of the current one only)",
    )
    @action(detail=True, methods=["post"], url_path="lead-professional/accept")
    def lead_professional_accept(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        return self._accept(request, AppointmentRole.LEAD_PROFESSIONAL)

    @extend_schema(
        request=DeclineSerializer,
        responses={200: AppointmentSerializer},
        summary="I decline my appointment as lead professional, saying why; the role is empty until someone else is named",
    )
    @action(detail=True, methods=["post"], url_path="lead-professional/decline")
    def lead_professional_decline(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        return self._decline(request, AppointmentRole.LEAD_PROFESSIONAL)

    @extend_schema(
        request=PresenceUpdateSerializer,
        responses={200: PresenceSerializer},
        summary="I am on scene, or I have left (for myself; an agency's on_scene puts its caller on scene too)",
    )
    @action(detail=True, methods=["post"])
    def presence(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        serializer = PresenceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = member(request)
        row = answers.report_presence(actor=actor, incident=self.get_object(), **serializer.validated_data)
        row.user = actor
        return Response(PresenceSerializer(row).data)

    @extend_schema(
        request=DecisionSerializer,
        responses={201: DecisionRecordSerializer},
        summary="Record a decision with its rationale (the current decision maker only)",
    )
    @action(detail=True, methods=["post"])
    def decisions(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = actions.record_decision(
            actor=member(request), incident=self.get_object(), **serializer.validated_data
        )
        return Response(DecisionRecordSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=FlagReadSerializer,
        responses={201: FlagAcknowledgementSerializer},
        summary="I have read this flag for this incident (a read receipt for the control room)",
    )
    @action(detail=True, methods=["post"], url_path="flag-acknowledgements")
    def flag_acknowledgements(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        serializer = FlagReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = actions.acknowledge_flag(
            actor=member(request), incident=self.get_object(), **serializer.validated_data
        )
        return Response(FlagAcknowledgementSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CloseSerializer,
        responses={200: IncidentSnapshotSerializer},
        summary="Close with an outcome; later changes are refused with 409",
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = details.close_incident(
            actor=member(request), incident=self.get_object(), **serializer.validated_data
        )
        return self._snapshot_response(request, incident)

    @extend_schema(
        parameters=[AppointableQuerySerializer],
        responses={200: AppointableSerializer(many=True)},
        summary="Whom the caller may appoint: active members of the agencies on the incident "
        "(for whoever appoints: the control room or the decision maker)",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def appointable(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        incident = self.get_object()
        require(
            policy.may_appoint(request.user, incident),
            "Only the control room or the current decision maker appoints, and sees whom they may.",
        )
        query = AppointableQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        users = appointments.appointable(incident, **query.validated_data)
        paginator = AppointableCursorPagination()
        page = paginator.paginate_queryset(users, request, view=self) or []  # always a page: it has a size
        record_access(
            action=AccessAction.READ,
            object_type="staff",
            object_ids=[user.pk for user in page],
            request=request,
            incident_id=incident.pk,
        )
        context = {"appointed": appointments.appointed_roles(incident)}
        return paginator.get_paginated_response(AppointableSerializer(page, many=True, context=context).data)

    @extend_schema(
        parameters=[OpenApiParameter("after", int, description="Return events with seq greater than this.")],
        responses={200: EventSerializer(many=True)},
        summary=f"The timeline after a seq, in order (at most {EVENTS_PAGE}; ask again after the last)",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        query = EventsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        incident = self.get_object()
        events = events_after(incident.pk, query.validated_data["after"], limit=EVENTS_PAGE)
        self.audit(
            [incident],
            object_type="incident_events",
            incident_id=incident.pk,
            detail={"after": query.validated_data["after"]},
        )
        return Response(EventSerializer([event_dict(e) for e in events], many=True).data)
