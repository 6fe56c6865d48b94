"""DASH risk assessments of a person, as an action of the people viewset (a mixin: the viewset keeps its
own queryset, so a person outside need to know is a 404).

- `POST /people/{id}/dash-assessments/`: the checklist scored, with the MARAC recommendation and why.
- `GET /people/{id}/dash-assessments/`: the person's assessments, newest first, audited.
"""

import uuid
from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import require, require_purpose, require_visible
from api.permissions import member
from ooh.access import policy
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.people.models import Person
from ooh.referrals import dash

from ..serializers.dash import DashAssessmentSerializer, DashAssessRequestSerializer

if TYPE_CHECKING:  # the viewset this mixes into, for the checker only
    from api.views.base import PolicyViewSet

    _PersonViewSet = PolicyViewSet[Person]
else:
    _PersonViewSet = object

AUDIT_TYPE = "dash_assessment"


class PersonDashActions(_PersonViewSet):
    """For PersonViewSet: the person's DASH risk assessments (record, list)."""

    @extend_schema(
        methods=["GET"],
        responses={200: DashAssessmentSerializer(many=True)},
        summary="The person's DASH risk assessments, newest first",
    )
    @extend_schema(
        methods=["POST"],
        request=DashAssessRequestSerializer,
        responses={201: DashAssessmentSerializer},
        summary="Record a DASH risk assessment: its score, risk level and whether a MARAC referral is "
        "recommended, and why",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="dash-assessments",
        filter_backends=[],
        pagination_class=None,
    )
    def dash_assessments(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        person = self.get_object()
        if policy.is_control_room(request.user) and policy.needs_purpose(request.user, person.pk):
            # A control room sees everyone; a victim's answers outside its own incidents need a purpose.
            require_purpose(request)
        if request.method == "POST":
            return self._assess(request, person)
        assessments = list(
            policy.visible_dash_assessments(request.user)
            .filter(person=person)
            .select_related("assessor")
            .order_by("-at", "id")
        )
        record_access(
            action=AccessAction.READ,
            object_type=AUDIT_TYPE,
            object_ids=[a.pk for a in assessments],
            person_ids=[person.pk],
            request=request,
        )
        return Response(DashAssessmentSerializer(assessments, many=True).data)

    def _assess(self, request: Request, person: Person) -> Response:
        require(policy.may_assess_risk(request.user), "Your role does not assess risk.")
        serializer = DashAssessRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_visible(policy.visible_incidents(request.user), [data["incident"]], "incident")
        assessment = dash.assess(actor=member(request), person=person, **data)
        return Response(DashAssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)
