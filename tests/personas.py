"""The named people of every test: one cast, each user standing for one agency and role.

Every test meets the same people (Healthchecks' alice/bob/charlie habit): Alice is always the police call
handler, Bob the ambulance responder, Dana the Vale family's social worker. A test asks for a persona or an
agency by name as a fixture (`def test_x(alice, bob)`: the fixtures are registered by tests/conftest.py),
or builds them outside pytest's fixtures with `persona("dana")` and `agency("edt")`. Everyone who should
be refused is here beside the one who should not.

The need-to-know world of the Vale family, with the cast who works their case and the Mosses', is
tests/vale_world.py (fixture `world`).
"""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from ooh.accounts.actions import issue_token
from ooh.accounts.models import AgencyKind, Role

from .factories import AgencyFactory, UserFactory, member

# code -> (name, kind)
AGENCIES = {
    "police": ("Police control", AgencyKind.POLICE),
    "ambulance": ("Ambulance service", AgencyKind.AMBULANCE),
    "ambulance2": ("Neighbouring ambulance service", AgencyKind.AMBULANCE),
    "csc": ("North council children's services", AgencyKind.CHILDRENS_SOCIAL_CARE),
    "csc2": ("South council children's services", AgencyKind.CHILDRENS_SOCIAL_CARE),
    "edt": ("Emergency Duty Team", AgencyKind.OOH_SOCIAL_CARE),
    "partnership": ("Northshire Safeguarding Children Partnership", AgencyKind.OTHER),
    "midwifery": ("Community midwives", AgencyKind.MIDWIFERY),
    "health": ("Health visiting", AgencyKind.HEALTH),
    "hospital": ("Northshire Hospital", AgencyKind.HEALTH),
    "gp": ("Riverside Surgery", AgencyKind.HEALTH),
}


@dataclass(frozen=True)
class Persona:
    role: str
    agency: str  # a code of AGENCIES
    who: str
    is_staff: bool = False  # signs in to the Django admin


CAST = {
    # Police: the control room that opens the night's incident, its supervisor, an officer on scene.
    "alice": Persona(Role.CALL_HANDLER, "police", "police call handler: a control room, sees everyone"),
    "pat": Persona(Role.CONTROL_ROOM_SUPERVISOR, "police", "police control room supervisor"),
    "hale": Persona(Role.RESPONDER, "police", "police sergeant on scene; often the decision maker"),
    "mo": Persona(Role.MANAGER, "police", "police duty manager: reads the audit of police records"),
    "pam": Persona(Role.ADMIN, "police", "police's agency admin, staff in the Django admin", is_staff=True),
    # Ambulance: another control room (did not open the incident), a paramedic; a neighbouring service.
    "amy": Persona(Role.CALL_HANDLER, "ambulance", "ambulance call handler: a control room"),
    "bob": Persona(Role.RESPONDER, "ambulance", "paramedic; his service is asked to attend"),
    "ray": Persona(Role.RESPONDER, "ambulance2", "paramedic of a neighbouring service, not involved"),
    # North council: the Vales' case.
    "dana": Persona(Role.SOCIAL_WORKER, "csc", "the Vales' social worker and lead professional"),
    "carol": Persona(Role.MANAGER, "csc", "Dana's manager"),
    "ada": Persona(Role.ADMIN, "csc", "administers North council's users, sees no casework"),
    "dora": Persona(
        Role.DATA_PROTECTION_OFFICER, "csc", "North council's data protection officer: subject access, holds"
    ),
    # South council: the Mosses' case, nothing of the Vales.
    "sam": Persona(Role.SOCIAL_WORKER, "csc2", "social worker of another council"),
    "sid": Persona(Role.SOCIAL_WORKER, "csc2", "Sam's colleague, who breaks glass"),
    "max": Persona(Role.MANAGER, "csc2", "Sam's manager"),
    # The out-of-hours social care team.
    "omar": Persona(Role.OOH_SOCIAL_WORKER, "edt", "out-of-hours social worker"),
    "eve": Persona(Role.CALL_HANDLER, "edt", "EDT call handler: a call handler, but no control room"),
    "morgan": Persona(Role.MANAGER, "edt", "EDT duty manager: escalations reach him first"),
    "ezra": Persona(Role.ADMIN, "edt", "EDT's agency admin: the top of an escalation chain"),
    # Health.
    "mia": Persona(Role.MIDWIFE, "midwifery", "community midwife"),
    "meg": Persona(Role.MIDWIFE, "midwifery", "Mia's colleague at the community midwives"),
    "hana": Persona(Role.PRACTITIONER, "health", "health visitor"),
    "mandy": Persona(Role.MANAGER, "midwifery", "Mia's manager, the community midwifery manager"),
    # Baby A (tests/baby_a.py): the consultant who raised the worry, the GP he consulted, their managers;
    # North council's head of children's services, to whom Carol reports there.
    "connor": Persona(Role.PRACTITIONER, "hospital", "consultant physician: raises the concern about Baby A"),
    "harriet": Persona(Role.MANAGER, "hospital", "Connor's manager, the clinical director"),
    "gail": Persona(Role.PRACTITIONER, "gp", "the GP Connor consults"),
    # After the night: the independent reviewer the safeguarding partnership commissions (a review of
    # tonight's incident is granted to him by name).
    "rex": Persona(Role.REVIEWER, "partnership", "independent reviewer of the partnership"),
    "hugo": Persona(
        Role.MANAGER, "csc", "North council's head of children's services (Carol's line manager)"
    ),
}

# A control room states a purpose for a search or a picture outside its own incidents.
PURPOSE = "Welfare check after a 999 call"


def agency(code):
    """The agency of that code, as AGENCIES names it (the same row however often it is asked for)."""
    name, kind = AGENCIES[code]
    return AgencyFactory(code=code, name=name, kind=kind)


def persona(username):
    """The user of that name in CAST, a member of their agency in their role."""
    cast = CAST[username]
    return member(role=cast.role, agency=agency(cast.agency), username=username, is_staff=cast.is_staff)


def client_for(user, device_name="test phone", *, reason=None):
    """An API client signed in as `user` (None: not signed in); `reason` is sent as X-Access-Reason on
    every request (the purpose a control room states for a search or a picture outside its own incidents)."""
    client = APIClient()
    if user is not None:
        _, token = issue_token(user=user, device_name=device_name)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    if reason:
        client.defaults["HTTP_X_ACCESS_REASON"] = reason  # a request may still say otherwise
    return client


def browser_for(user, *, enforce_csrf=True):
    """A web browser signed in to the board as `user` (None: not signed in): Django's test client with
    the session a sign-in opens (ooh.accounts.browser), and CSRF enforced as in a real browser."""
    from django.conf import settings
    from django.test import Client

    from ooh.accounts.browser import open_browser_session

    client = Client(enforce_csrf_checks=enforce_csrf)
    if user is not None:
        session = client.session
        open_browser_session(session, user=user)
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


# --- Agencies ------------------------------------------------------------------------------------------


@pytest.fixture
def police(db):
    return agency("police")


@pytest.fixture
def ambulance(db):
    return agency("ambulance")


@pytest.fixture
def edt(db):
    return agency("edt")


@pytest.fixture
def midwifery(db):
    return agency("midwifery")


# --- People ---------------------------------------------------------------------------------------------


@pytest.fixture
def alice(police):
    """A police call handler: a control room, who may do most things in her agency."""
    return persona("alice")


@pytest.fixture
def pat(police):
    """The police control room supervisor."""
    return persona("pat")


@pytest.fixture
def hale(police):
    """A police sergeant on scene."""
    return persona("hale")


@pytest.fixture
def mo(police):
    """The police duty manager."""
    return persona("mo")


@pytest.fixture
def pam(police):
    """The police's agency admin (staff in the Django admin)."""
    return persona("pam")


@pytest.fixture
def amy(ambulance):
    """An ambulance call handler: a control room, so she sees every family, but not police's."""
    return persona("amy")


@pytest.fixture
def bob(ambulance):
    """A paramedic in another agency than Alice's."""
    return persona("bob")


@pytest.fixture
def dana(db):
    """North council's social worker."""
    return persona("dana")


@pytest.fixture
def omar(edt):
    """An out-of-hours social worker."""
    return persona("omar")


@pytest.fixture
def morgan(edt):
    """The EDT duty manager."""
    return persona("morgan")


@pytest.fixture
def ezra(edt):
    """The EDT's agency admin."""
    return persona("ezra")


@pytest.fixture
def mia(midwifery):
    """A community midwife."""
    return persona("mia")


@pytest.fixture
def meg(midwifery):
    """Mia's colleague."""
    return persona("meg")


@pytest.fixture
def nobody(db):
    """A user with no agency membership: refused everywhere."""
    return UserFactory(username="nobody")


@pytest.fixture
def root(db):
    """A superuser: cross-agency administration, audited."""
    return UserFactory(username="root", is_superuser=True, is_staff=True)


# --- Clients --------------------------------------------------------------------------------------------


@pytest.fixture
def api_client():
    """Not signed in."""
    return APIClient()


@pytest.fixture
def alice_client(alice):
    return client_for(alice)


@pytest.fixture
def bob_client(bob):
    return client_for(bob)
