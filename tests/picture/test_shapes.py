"""One definition of each shape: the serializers that document a shape for the schema name exactly the
fields ooh/shapes.py renders, so the OpenAPI document, the ORM rows and the SQL json cannot drift."""

import pytest

from api.serializers.accounts import AgencyBriefSerializer, AgencySerializer
from api.serializers.incidents import AppointmentSerializer, AttendanceSerializer, DecisionRecordSerializer
from api.serializers.people import (
    IdentifierSerializer,
    NetworkBirthPlanSerializer,
    NetworkFlagSerializer,
    NetworkKeyContactSerializer,
    NetworkPersonSerializer,
    PlanShareSerializer,
    UserBriefSerializer,
)
from ooh import shapes

DOCUMENTED = [
    (shapes.AGENCY, AgencyBriefSerializer),
    (shapes.AGENCY_CONTACT, AgencySerializer),
    (shapes.PLAN_SHARE, PlanShareSerializer),
    (shapes.USER, UserBriefSerializer),
    (shapes.PERSON, NetworkPersonSerializer),
    (shapes.IDENTIFIER, IdentifierSerializer),
    (shapes.FLAG, NetworkFlagSerializer),
    (shapes.KEY_CONTACT, NetworkKeyContactSerializer),
    (shapes.PLAN_SUMMARY, NetworkBirthPlanSerializer),
    (shapes.ATTENDANCE, AttendanceSerializer),
    (shapes.APPOINTMENT, AppointmentSerializer),
    (shapes.DECISION, DecisionRecordSerializer),
]


@pytest.mark.parametrize(("shape", "serializer"), DOCUMENTED, ids=[s.name for s, _ in DOCUMENTED])
def test_the_documenting_serializer_names_the_shapes_fields(shape, serializer):
    assert list(serializer().fields) == shape.keys


def test_sql_and_python_render_the_same_keys():
    """A shape's SQL is built from its own field list: every key appears once, in order."""
    sql = shapes.FLAG.sql("f", source_agency="x", owner="y", status="'active'")
    positions = [sql.index(f"'{key}', ") for key in shapes.FLAG.keys]
    assert positions == sorted(positions)
