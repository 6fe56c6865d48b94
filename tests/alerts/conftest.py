"""The alerts' night: Kerry Vale's incident with the EDT already on it."""

import pytest

from ooh.incidents import actions
from ooh.incidents.models import IncidentAgency
from tests import factories

from .night import T0


@pytest.fixture
def family(alice):
    """Kerry and her unborn baby at home, recorded by police control."""
    return factories.vale_family(alice)


@pytest.fixture
def incident(alice, family, edt):
    incident = actions.open_incident(
        actor=alice, kind="birth", summary="Home birth", subjects=[family["kerry"], family["baby"]], now=T0
    )
    # EDT holds the family's birth plan: it sees the incident and may answer before it is asked.
    IncidentAgency.objects.create(incident=incident, agency=edt, reason="stakeholder", since=T0)
    return incident
