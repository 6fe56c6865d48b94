"""Per-user rate limits, each 429 with Retry-After; rates are read from the environment at start-up."""

from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ooh.settings import StrictEnv
from tests import factories

from .refusals import PEOPLE, PURPOSE, refusal


class Clock:
    """The throttles' time, moved by the test."""

    now = 1_000_000.0


@pytest.fixture
def clock():
    clock = Clock()
    with mock.patch.object(SimpleRateThrottle, "timer", new=lambda self: clock.now):  # noqa: PT008
        yield clock


@pytest.fixture
def rates():
    """Set throttle rates for one test: rates(search="3/min")."""
    patches = []

    def set_rates(**overrides):
        patch = mock.patch.object(
            SimpleRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, **overrides}
        )
        patch.start()
        patches.append(patch)

    yield set_rates
    for patch in patches:
        patch.stop()


# --- 5 and 7. Per-user rate limits, each 429 with Retry-After -------------------------------------


def _assert_throttled(response, retry_after):
    refusal(response, 429, "throttled")
    assert response["Retry-After"] == str(retry_after)


@pytest.mark.django_db
class TestPerUserRates:
    def test_searching_people_and_addresses_shares_one_budget_per_user(
        self, alice, alice_client, bob_client, rates, clock
    ):
        rates(search="3/min")
        assert alice_client.get(PEOPLE + "?search=Vale", **PURPOSE).status_code == 200
        clock.now += 10
        assert alice_client.get(PEOPLE + "?search=Kerry", **PURPOSE).status_code == 200
        assert alice_client.get("/api/v1/addresses/?search=Larch", **PURPOSE).status_code == 200
        _assert_throttled(alice_client.get(PEOPLE + "?search=Dean", **PURPOSE), retry_after=50)
        _assert_throttled(alice_client.get("/api/v1/addresses/?search=Close", **PURPOSE), 50)
        # a list without a search is not a search; another user has a budget of their own
        assert alice_client.get(PEOPLE, **PURPOSE).status_code == 200
        assert bob_client.get(PEOPLE + "?search=Vale", **PURPOSE).status_code == 200
        clock.now += 50
        assert alice_client.get(PEOPLE + "?search=Dean", **PURPOSE).status_code == 200

    def test_opening_the_linked_picture_is_limited_per_user(self, alice, alice_client, rates, clock):
        rates(picture="2/min")
        kerry = factories.person(alice, given_name="Kerry", family_name="Vale")
        home = factories.address(alice)
        assert alice_client.get(f"{PEOPLE}{kerry.pk}/network/", **PURPOSE).status_code == 200
        assert alice_client.get(f"/api/v1/addresses/{home.pk}/network/", **PURPOSE).status_code == 200
        clock.now += 1
        _assert_throttled(alice_client.get(f"{PEOPLE}{kerry.pk}/network/", **PURPOSE), retry_after=59)
        _assert_throttled(alice_client.get(f"/api/v1/addresses/{home.pk}/network/", **PURPOSE), 59)
        # reading the record itself is not the picture
        assert alice_client.get(f"{PEOPLE}{kerry.pk}/", **PURPOSE).status_code == 200

    def test_websocket_tickets_are_limited_per_user(self, alice_client, bob_client, rates, clock):
        rates(ws_ticket="2/min")
        assert [alice_client.post("/api/v1/ws-ticket/").status_code for _ in range(2)] == [201, 201]
        clock.now += 30
        _assert_throttled(alice_client.post("/api/v1/ws-ticket/"), retry_after=30)
        assert bob_client.post("/api/v1/ws-ticket/").status_code == 201

    def test_retry_after_is_at_least_one_second(self, alice_client, rates, clock):
        rates(ws_ticket="1/min")
        alice_client.post("/api/v1/ws-ticket/")
        clock.now += 59.9
        _assert_throttled(alice_client.post("/api/v1/ws-ticket/"), retry_after=1)

    def test_a_lowered_rate_still_says_when_to_come_back(self, alice_client, rates, clock):
        rates(ws_ticket="3/min")
        for _ in range(3):
            alice_client.post("/api/v1/ws-ticket/")
            clock.now += 10
        rates(ws_ticket="1/min")
        # three counted at 0, 10 and 20 s, and now one a minute: all three must leave first
        _assert_throttled(alice_client.post("/api/v1/ws-ticket/"), retry_after=50)

    def test_search_still_answers_when_the_cache_is_down(self, alice_client, rates, monkeypatch):
        from django.core.cache import cache

        def down(*args, **kwargs):
            raise ConnectionError("cache down")

        rates(search="1/min")
        monkeypatch.setattr(cache, "get", down)
        monkeypatch.setattr(cache, "set", down)
        assert [alice_client.get(PEOPLE + "?search=Vale", **PURPOSE).status_code for _ in range(3)] == [
            200,
            200,
            200,
        ]


@pytest.mark.parametrize(
    "variable", ["OOH_SEARCH_RATE_PER_USER", "OOH_PICTURE_RATE_PER_USER", "OOH_WS_TICKET_RATE_PER_USER"]
)
@pytest.mark.parametrize("raw", ["120", "5/mango", "0/min", "-1/min", "lots"])
def test_a_rate_that_is_not_a_rate_stops_start_up(monkeypatch, variable, raw):
    monkeypatch.setenv(variable, raw)
    with pytest.raises(ImproperlyConfigured, match=f"{variable} must be a rate such as 120/min"):
        StrictEnv().rate(variable, default="120/min")


@pytest.mark.parametrize("raw", ["120/min", "2/s", "1000/hour", "5/day", " 30/m "])
def test_a_rate_is_read_from_the_environment(monkeypatch, raw):
    monkeypatch.setenv("OOH_SEARCH_RATE_PER_USER", raw)
    assert StrictEnv().rate("OOH_SEARCH_RATE_PER_USER", default="120/min") == raw.strip()


def test_rates_default_generous_for_a_control_room():
    rates = api_settings.DEFAULT_THROTTLE_RATES
    assert (rates["search"], rates["picture"], rates["ws_ticket"]) == ("120/min", "120/min", "30/min")
