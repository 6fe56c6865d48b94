"""People, addresses and relationships, and the linked picture of a person or an address.

Every read is audited through record_access, naming every person disclosed.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery, UUIDField
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle

from alerts import disclosure
from api.access import has_purpose, require, require_purpose, require_visible, stated_reason
from api.filters import StrictFilterSet
from api.permissions import member
from api.views.access import BreakGlassOpenSerializer, BreakGlassSerializer, open_break_glass
from api.views.base import PolicyViewSet
from api.views.dash import PersonDashActions
from api.views.prebirth import PersonPrebirthActions
from ooh.access import policy
from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict
from ooh.people import actions
from ooh.people.models import Address, Person, PersonStatus, Relationship, Residence
from ooh.people.search import addresses_matching, people_matching
from ooh.picture.audience import audience_of
from ooh.picture.described import with_headline
from ooh.picture.linked import address_network
from ooh.picture.linked_sql import person_network_payload
from ooh.picture.payload import network_payload

from ..serializers.people import (
    AddressSerializer,
    NetworkSerializer,
    PersonSerializer,
    RelationshipSerializer,
)
from ..throttles import PictureThrottle, SearchThrottle


class PersonFilter(StrictFilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, label="Name, alias, identifier or postcode"
    )
    date_of_birth = django_filters.DateFilter()

    class Meta:
        model = Person
        fields = ["search", "date_of_birth"]

    def filter_search(self, queryset: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return people_matching(queryset, value)


class AddressFilter(StrictFilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, label="Any part of the address"
    )

    class Meta:
        model = Address
        fields = ["search"]

    def filter_search(self, queryset: QuerySet[Address], name: str, value: str) -> QuerySet[Address]:
        return addresses_matching(queryset, value)


class DepthQuery(serializers.Serializer[Any]):
    # Query strings are text, so the lenient IntegerField is right here ("2" -> 2; "two" -> 400).
    depth = serializers.IntegerField(required=False, default=1, min_value=1, max_value=2)


def _with_current_address(queryset: QuerySet[Person]) -> QuerySet[Person]:
    current = Residence.objects.filter(person=OuterRef("pk"), current=True).values("address_id")[:1]
    return queryset.annotate(current_address_id=Subquery(current, output_field=UUIDField())).prefetch_related(
        "identifiers"
    )


@extend_validation_errors(["invalid", "min_value", "max_value"], field_name="depth", actions=["network"])
class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PersonPrebirthActions,
    PersonDashActions,
    PolicyViewSet[Person],
):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    audit_type = "person"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_throttles(self) -> list[BaseThrottle]:
        # A per-user budget for searching (a list with ?search=) and for opening the linked picture.
        if self.action == "list":
            return [SearchThrottle()]
        if self.action == "network":
            return [PictureThrottle()]
        return super().get_throttles()

    @staticmethod
    def visible_to(user: User | AnonymousUser) -> QuerySet[Person]:
        return _with_current_address(policy.visible_people(user))

    def people_of(self, rows: Iterable[Person]) -> list[uuid.UUID]:
        return [person.pk for person in rows]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if policy.is_control_room(request.user):
            require_purpose(request)  # a control room's search reaches everyone
        page = self.listed_page()
        self.audit(page, action=AccessAction.SEARCH, detail={"query": dict(request.query_params.lists())})
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        self.audit([person])
        return Response(self.get_serializer(person).data)

    def perform_create(self, serializer: BaseSerializer[Person]) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = actions.create_person(actor=member(self.request), **data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(policy.may_record(request.user), "Your role does not record people.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _require_visible_address(request, serializer.validated_data)
        self.perform_create(serializer)
        created = cast(Person, serializer.instance)  # set by perform_create
        person = self.get_queryset().get(pk=created.pk)
        return Response(self.get_serializer(person).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        require(
            policy.may_edit_person(request.user, person),
            "Only an agency with a case on this person changes their record.",
        )
        serializer = self.get_serializer(person, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        _require_visible_address(request, serializer.validated_data)
        data = dict(serializer.validated_data)
        if person.status == PersonStatus.UNBORN and data.get("status") == PersonStatus.LIVING:
            raise Conflict(
                "Record the birth with POST /api/v1/people/{id}/birth/ {date_of_birth, place}: the lead "
                "professional and the agencies the birth plan was shared with are told.",
                code="record_the_birth",
            )
        actions.update_person(actor=member(request), person=person, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("depth", int, enum=[1, 2], description="Hops of family links (1 or 2).")
        ],
        responses={200: NetworkSerializer},
        summary="The linked picture: family, addresses and every active flag, officer safety first",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def network(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        query = DepthQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        depth = query.validated_data["depth"]
        if not policy.is_control_room(request.user) and policy.needs_purpose(request.user, self.kwargs["pk"]):
            raise Http404  # the one-statement picture reads past the queryset: need to know is asked here
        _require_control_room_purpose(request, Person, self.kwargs["pk"], policy.needs_purpose)
        found = person_network_payload(self.kwargs["pk"], depth=depth)
        if found is None:
            raise Http404
        payload, person_ids = found
        payload = with_headline(payload, audience_of(member(request)))
        purpose = _purpose(request, person_id=self.kwargs["pk"])
        disclosure.notify_if_disclosed(member(request), payload["flags"], purpose=purpose)
        record_access(
            action=AccessAction.READ,
            object_type="network",
            object_ids=[self.kwargs["pk"]],
            person_ids=person_ids,
            request=request,
            reason=purpose["reason"] or "",  # always text: _purpose gives "" when none was stated
            detail={"depth": depth, "flags": len(payload["flags"])},
        )
        return Response(payload)

    @extend_schema(
        request=BreakGlassOpenSerializer,
        responses={201: BreakGlassSerializer},
        summary="Break glass: 60 minutes of access to this person outside the rules, reviewed by your manager",
    )
    @action(detail=True, methods=["post"], url_path="break-glass", filter_backends=[], pagination_class=None)
    def break_glass(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        return open_break_glass(request, pk)


class AddressViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PolicyViewSet[Address]
):
    serializer_class = AddressSerializer
    filterset_class = AddressFilter
    visible_to = staticmethod(policy.visible_addresses)
    audit_type = "address"

    def get_throttles(self) -> list[BaseThrottle]:
        # A per-user budget for searching (a list with ?search=) and for opening the linked picture.
        if self.action == "list":
            return [SearchThrottle()]
        if self.action == "network":
            return [PictureThrottle()]
        return super().get_throttles()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if policy.is_control_room(request.user):
            require_purpose(request)
        page = self.listed_page()
        self.audit(page, action=AccessAction.SEARCH, detail={"query": dict(request.query_params.lists())})
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        address = self.get_object()
        self.audit([address])
        return Response(self.get_serializer(address).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(policy.may_record(request.user), "Your role does not record addresses.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = actions.create_address(actor=member(request), **serializer.validated_data)
        return Response(self.get_serializer(address).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: NetworkSerializer},
        summary="The linked picture of an address: residents, the people linked to them, every active flag",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def network(self, request: Request, pk: uuid.UUID | None = None) -> Response:
        address = self.get_object()  # 404 outside need to know
        _require_control_room_purpose(request, Address, address.pk, policy.address_needs_purpose)
        network = address_network(address)
        payload = with_headline(network_payload(network), audience_of(member(request)))
        disclosure.notify_if_disclosed(member(request), payload["flags"], purpose=_purpose(request))
        record_access(
            action=AccessAction.READ,
            object_type="network",
            object_ids=[address.pk],
            person_ids=network.person_ids,
            request=request,
            detail={"flags": len(network.flags)},
        )
        return Response(payload)


class RelationshipViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, PolicyViewSet[Relationship]
):
    serializer_class = RelationshipSerializer
    visible_to = staticmethod(policy.visible_relationships)
    audit_type = "relationship"

    def people_of(self, rows: Iterable[Relationship]) -> list[uuid.UUID]:
        return [pid for link in rows for pid in (link.from_person_id, link.to_person_id)]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        relationship = self.get_object()
        self.audit([relationship])
        return Response(self.get_serializer(relationship).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(policy.may_record(request.user), "Your role does not record links between people.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        people = policy.visible_people(request.user)
        require_visible(people, [serializer.validated_data["from_person"]], "from_person")
        require_visible(people, [serializer.validated_data["to_person"]], "to_person")
        relationship = actions.link_people(actor=member(request), **serializer.validated_data)
        return Response(self.get_serializer(relationship).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "X-Access-Reason",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Why the link is ended (at least 10 characters); kept with the link's history.",
            )
        ],
        summary="End a link: it leaves the picture and stays in the history with who, when and why",
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        relationship = self.get_object()
        require(
            policy.may_end_link(request.user, relationship),
            "Only an agency with a case on one of these people ends a link between them.",
        )
        actions.end_link(actor=member(request), relationship=relationship, reason=stated_reason(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _purpose(request: Request, person_id: uuid.UUID | None = None) -> dict[str, str | None]:
    """What the caller said the read was for, as recorded with it; with nothing said, the reason given
    when they broke glass on this person, if that is why they may see it."""
    incident, reason = request.query_params.get("incident"), stated_reason(request)[:500]
    if not incident and not reason and person_id is not None:
        reason = policy.break_glass_reason(request.user, person_id) or ""
    return {"incident": incident, "reason": reason[:500]}


def _require_visible_address(request: Request, data: Mapping[str, Any]) -> None:
    if data.get("current_address") is not None:
        require_visible(policy.visible_addresses(request.user), [data["current_address"]], "current_address")


def _require_control_room_purpose(
    request: Request,
    model: type[Person] | type[Address],
    pk: uuid.UUID,
    needs_purpose: Callable[[User | AnonymousUser, uuid.UUID], bool],
) -> None:
    """A control room opening a picture outside its own cases and incidents states a purpose (400 naming
    `purpose`); an id that does not exist is still a 404 first."""
    user = request.user
    if policy.is_control_room(user) and not has_purpose(request) and needs_purpose(user, pk):
        if not model.objects.filter(pk=pk).exists():
            raise Http404
        require_purpose(request)
