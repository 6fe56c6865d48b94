"""People, addresses and relationships, and the linked picture of a person or an address.

Every read is audited through record_access, naming every person disclosed.
"""

import django_filters
from django.db.models import OuterRef, Q, Subquery, UUIDField
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import StrictFilterSet
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.people import actions
from ooh.people.models import Address, Person, PersonIdentifier, Relationship, Residence, normalise_postcode
from ooh.people.network import address_network
from ooh.people.network_sql import person_network_payload
from ooh.people.payload import network_payload

from ..serializers.people import (
    AddressSerializer,
    NetworkSerializer,
    PersonSerializer,
    RelationshipSerializer,
)


def _tokens(text):
    return [t for t in text.lower().split() if t][:5]


class PersonFilter(StrictFilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, label="Name, alias, identifier or postcode"
    )
    date_of_birth = django_filters.DateFilter()

    class Meta:
        model = Person
        fields = ["search", "date_of_birth"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        by_name = Q()
        for token in _tokens(value):
            by_name &= Q(search_text__contains=token)
        by_identifier = Q(pk__in=PersonIdentifier.objects.filter(value=value).values("person_id"))
        by_postcode = Q(
            pk__in=Residence.objects.filter(current=True, address__postcode=normalise_postcode(value)).values(
                "person_id"
            )
        )
        return queryset.filter(by_name | by_identifier | by_postcode)


class AddressFilter(StrictFilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, label="Any part of the address"
    )

    class Meta:
        model = Address
        fields = ["search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        by_text = Q()
        for token in _tokens(value):
            by_text &= Q(search_text__contains=token)
        return queryset.filter(by_text | Q(postcode=normalise_postcode(value)))


class DepthQuery(serializers.Serializer):
    # Query strings are text, so the lenient IntegerField is right here ("2" -> 2; "two" -> 400).
    depth = serializers.IntegerField(required=False, default=1, min_value=1, max_value=2)


def _with_current_address(queryset):
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
    viewsets.GenericViewSet,
):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return _with_current_address(Person.objects.all())

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        ids = [p["id"] for p in response.data["results"]]
        record_access(
            action=AccessAction.SEARCH,
            object_type="person",
            object_ids=ids,
            person_ids=ids,
            request=request,
            detail={"query": dict(request.query_params.lists())},
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        person = self.get_object()
        record_access(
            action=AccessAction.READ,
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            request=request,
        )
        return Response(self.get_serializer(person).data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = actions.create_person(actor=self.request.user, **data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        person = self.get_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(person).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        person = self.get_object()
        serializer = self.get_serializer(person, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        actions.update_person(actor=request.user, person=person, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("depth", int, enum=[1, 2], description="Hops of family links (1 or 2).")
        ],
        responses={200: NetworkSerializer},
        summary="The linked picture: family, addresses and every active flag, officer safety first",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def network(self, request, pk=None):
        query = DepthQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        depth = query.validated_data["depth"]
        found = person_network_payload(self.kwargs["pk"], depth=depth)
        if found is None:
            raise Http404
        payload, person_ids = found
        record_access(
            action=AccessAction.READ,
            object_type="network",
            object_ids=[self.kwargs["pk"]],
            person_ids=person_ids,
            request=request,
            detail={"depth": depth, "flags": len(payload["flags"])},
        )
        return Response(payload)


class AddressViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = AddressSerializer
    filterset_class = AddressFilter
    queryset = Address.objects.all()
    lookup_value_converter = "uuid"

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        record_access(
            action=AccessAction.SEARCH,
            object_type="address",
            object_ids=[a["id"] for a in response.data["results"]],
            request=request,
            detail={"query": dict(request.query_params.lists())},
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        address = self.get_object()
        record_access(
            action=AccessAction.READ, object_type="address", object_ids=[address.pk], request=request
        )
        return Response(self.get_serializer(address).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = actions.create_address(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(address).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: NetworkSerializer},
        summary="The linked picture of an address: residents, the people linked to them, every active flag",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def network(self, request, pk=None):
        address = self.get_object()
        network = address_network(address)
        record_access(
            action=AccessAction.READ,
            object_type="network",
            object_ids=[address.pk],
            person_ids=network.person_ids,
            request=request,
            detail={"flags": len(network.flags)},
        )
        return Response(network_payload(network))


class RelationshipViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = RelationshipSerializer
    queryset = Relationship.objects.all()
    lookup_value_converter = "uuid"

    def retrieve(self, request, *args, **kwargs):
        relationship = self.get_object()
        record_access(
            action=AccessAction.READ,
            object_type="relationship",
            object_ids=[relationship.pk],
            person_ids=[relationship.from_person_id, relationship.to_person_id],
            request=request,
        )
        return Response(self.get_serializer(relationship).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        relationship = actions.link_people(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(relationship).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        actions.unlink_people(actor=request.user, relationship=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
