"""The pre-birth protocol and the birth, as actions of the people and birth plan viewsets (mixins: the
viewsets keep their own queryset, need to know and audit).

- `GET /people/{id}/milestones/` and `GET /birth-plans/{id}/milestones/`: the protocol, audited.
- `POST /people/{id}/milestones/`: the pre-birth assessment or the initial conference recorded as met.
- `POST /people/{id}/birth/`: the unborn baby is born.
"""

import uuid
from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import member
from ooh.people.models import Person
from ooh.plans.models import BirthPlan
from ooh.referrals import prebirth
from ooh.referrals.birth import record_birth

from ..serializers.people import PersonSerializer
from ..serializers.prebirth import (
    MilestoneSerializer,
    RecordBirthSerializer,
    RecordMilestoneSerializer,
)

if TYPE_CHECKING:  # the viewsets these mix into, for the checker only
    from api.views.base import PolicyViewSet

    _PersonViewSet = PolicyViewSet[Person]
    _PlanViewSet = PolicyViewSet[BirthPlan]
else:
    _PersonViewSet = _PlanViewSet = object

AUDIT_TYPE = "prebirth_milestones"


class PersonPrebirthActions(_PersonViewSet):
    """For PersonViewSet: the baby's milestones (read, record) and its birth."""

    @extend_schema(
        methods=["GET"],
        responses={200: MilestoneSerializer(many=True)},
        summary="The pre-birth protocol: each milestone's due date, whether, when and by what it was met",
    )
    @extend_schema(
        methods=["POST"],
        request=RecordMilestoneSerializer,
        responses={201: MilestoneSerializer(many=True)},
        summary="Record the pre-birth assessment completed or the initial conference held",
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def milestones(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        person = self.get_object()
        if request.method == "POST":
            serializer = RecordMilestoneSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            prebirth.record_milestone(actor=member(request), person=person, **serializer.validated_data)
            return Response(prebirth.protocol_for(person), status=status.HTTP_201_CREATED)
        protocol = prebirth.protocol_for(person)
        self.audit([person], object_type=AUDIT_TYPE)
        return Response(protocol)

    @extend_schema(
        request=RecordBirthSerializer,
        responses={200: PersonSerializer},
        summary="Record the birth: the unborn baby becomes a living child, keeping its links and flags",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def birth(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        person = self.get_object()
        serializer = RecordBirthSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record_birth(
            actor=member(request),
            person=person,
            date_of_birth=serializer.validated_data["date_of_birth"],
            place=serializer.validated_data["place"],
        )
        return Response(PersonSerializer(self.get_queryset().get(pk=person.pk)).data)


class PlanMilestoneActions(_PlanViewSet):
    """For BirthPlanViewSet: the protocol of the plan's baby."""

    @extend_schema(
        responses={200: MilestoneSerializer(many=True)},
        summary="The pre-birth protocol of the plan's baby",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def milestones(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        plan = self.get_object()
        protocol = prebirth.protocol_for(Person.objects.get(pk=plan.unborn_child_id))
        self.audit([plan], object_type=AUDIT_TYPE)
        return Response(protocol)
