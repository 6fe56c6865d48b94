import datetime

import pytest
from django.utils import timezone

from ooh.accounts.models import AgencyKind, Role
from ooh.incidents import actions
from tests import factories
from tests.factories import AgencyFactory, member


@pytest.fixture
def edt(db):
    return AgencyFactory(code="edt", name="Emergency Duty Team", kind=AgencyKind.OOH_SOCIAL_CARE)


@pytest.fixture
def omar(edt):
    """An out-of-hours social worker."""
    return member(role=Role.OOH_SOCIAL_WORKER, agency=edt, username="omar")


@pytest.fixture
def asha(ambulance):
    """An ambulance call handler: a control room, so she sees every family and opens the incident."""
    return member(role=Role.CALL_HANDLER, agency=ambulance, username="asha")


def ask(incident_id, agency, *, by):
    """The control room asks an agency to attend (so it is on the incident and its members see it)."""
    actions.request_attendance(
        actor=by,
        incident=actions.Incident.objects.get(pk=incident_id),
        agency=agency,
        respond_within_minutes=10,
    )


@pytest.fixture
def hale(police):
    """A police sergeant on scene."""
    return member(role=Role.RESPONDER, agency=police, username="hale")


@pytest.fixture
def family(alice):
    home = factories.address(alice, line1="14 Larch Close", postcode="NE3 2QX")
    kerry = factories.person(alice, given_name="Kerry", family_name="Vale", current_address=home)
    baby = factories.person(
        alice,
        family_name="Vale",
        status="unborn",
        expected_date=timezone.localdate() + datetime.timedelta(days=7),
    )
    dean = factories.person(alice, given_name="Dean", family_name="Vale", current_address=home)
    factories.link(alice, kerry, "mother_of", baby)
    factories.link(alice, dean, "father_of", baby)
    return {"home": home, "kerry": kerry, "baby": baby, "dean": dean}


@pytest.fixture
def incident(alice, family):
    return actions.open_incident(
        actor=alice,
        kind="birth",
        summary="Home birth",
        subjects=[family["kerry"], family["baby"]],
        address=family["home"],
    )
