import datetime

import pytest
from django.utils import timezone

from ooh.accounts.models import AgencyKind, Role
from ooh.incidents import actions
from ooh.incidents.models import IncidentAgency
from tests import factories
from tests.factories import AgencyFactory, member

T0 = timezone.now().replace(microsecond=0)


def at(**delta):
    return T0 + datetime.timedelta(**delta)


@pytest.fixture
def edt(db):
    return AgencyFactory(code="edt", name="Emergency Duty Team", kind=AgencyKind.OOH_SOCIAL_CARE)


@pytest.fixture
def edt_manager(edt):
    return member(role=Role.MANAGER, agency=edt, username="morgan")


@pytest.fixture
def edt_admin(edt):
    return member(role=Role.ADMIN, agency=edt, username="edtadmin")


@pytest.fixture
def supervisor(police):
    return member(role=Role.CONTROL_ROOM_SUPERVISOR, agency=police, username="priya")


@pytest.fixture
def omar(edt):
    return member(role=Role.OOH_SOCIAL_WORKER, agency=edt, username="omar")


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
    factories.link(alice, kerry, "mother_of", baby)
    return {"home": home, "kerry": kerry, "baby": baby}


@pytest.fixture
def incident(alice, family, edt):
    incident = actions.open_incident(
        actor=alice, kind="birth", summary="Home birth", subjects=[family["kerry"], family["baby"]], now=T0
    )
    # EDT holds the family's birth plan: it sees the incident and may answer before it is asked.
    IncidentAgency.objects.create(incident=incident, agency=edt, reason="stakeholder", since=T0)
    return incident
