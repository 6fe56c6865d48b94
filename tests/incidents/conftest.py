"""The incidents' night: Kerry Vale's family, the incident police control opens for them."""

import pytest

from ooh.incidents import actions
from tests import factories


@pytest.fixture
def slow_resync(settings):
    """Live delivery must come through the channel layer, not the periodic database re-check."""
    settings.WS_RESYNC_SECONDS = 60


@pytest.fixture
def fast_resync(settings):
    """The periodic re-check every 50 ms: what it catches is seen at once."""
    settings.WS_RESYNC_SECONDS = 0.05


@pytest.fixture
def family(alice):
    """Kerry, Dean and their unborn baby at home, recorded by police control."""
    return factories.vale_family(alice, father=True)


@pytest.fixture
def incident(alice, family):
    return actions.open_incident(
        actor=alice,
        kind="birth",
        summary="Home birth",
        subjects=[family["kerry"], family["baby"]],
        address=family["home"],
    )
