"""Fixtures of the access tests: tonight's incident in the Vale world, and the authorisation matrix's world
with a signed-in client for every persona of it."""

import pytest

from tests.personas import browser_for, client_for
from tests.vale_world import open_vale_incident

from .matrix import PERSONAS, build_matrix_world


@pytest.fixture
def incident(world):
    """Police control opened tonight's incident for Kerry and the baby; the ambulance service is asked."""
    return open_vale_incident(world)


@pytest.fixture(autouse=True)
def metrics_token(settings):
    """A deployment that lets its Prometheus scrape /metrics: the matrix checks no login opens it."""
    settings.METRICS_TOKEN = "scrape-token-of-the-matrix-deployment"


@pytest.fixture
def matrix_world(db):
    """The world of tests/access/matrix.py, built through the domain actions for each test."""
    return build_matrix_world()


@pytest.fixture
def matrix_clients(matrix_world):
    """{persona: API client}: each signed in with a token of its own, stating its purpose if it has one.
    A server error comes back as a 500 to be reported with the row, not raised out of the test."""
    clients = {}
    for persona in PERSONAS:
        user = matrix_world.user(persona.username) if persona.username else None
        client = client_for(user, reason=persona.reason)
        client.raise_request_exception = False
        clients[persona.name] = client
    return clients


@pytest.fixture
def matrix_browsers(matrix_world):
    """{persona: web browser}: each signed in to the board (a session, not a token), for the board's rows."""
    browsers = {}
    for persona in PERSONAS:
        user = matrix_world.user(persona.username) if persona.username else None
        browser = browser_for(user)
        browser.raise_request_exception = False
        browsers[persona.name] = browser
    return browsers
