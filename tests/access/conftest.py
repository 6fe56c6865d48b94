"""Fixtures of the authorisation matrix: its world, and a signed-in client for every persona."""

import pytest

from tests.conftest import client_for

from .matrix import PERSONAS, build_matrix_world


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
