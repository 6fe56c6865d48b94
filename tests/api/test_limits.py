"""Input limits, rate limits and Cache-Control, each found by attacking the running service.

Every refusal is in the one error shape and writes nothing; every 429 says when to come back.
"""

import datetime
import importlib
import io
import json
import uuid
from unittest import mock

import pytest
from asgiref.testing import ApplicationCommunicator
from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.parsers import MAX_DEPTH, BoundedJSONParser, RequestTooLarge
from ooh.audit.models import AccessLog
from ooh.incidents import actions as incident_actions
from ooh.incidents.models import Incident
from ooh.people.models import Address, Person, PersonIdentifier
from ooh.people.search import search_form
from ooh.plans.models import BirthPlan, BirthPlanVersion
from ooh.settings import StrictEnv
from tests import factories
from tests.personas import client_for

MIB = 1024 * 1024
PEOPLE = "/api/v1/people/"
# Control rooms state why they search (API.md "Who may see"); the header is harmless elsewhere.
PURPOSE = {"HTTP_X_ACCESS_REASON": "Checking the limits of search"}


def _refusal(response, status, code, attr=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == ("validation_error" if attr else "client_error")
    assert [(e["code"], e["attr"]) for e in body["errors"]] == [(code, attr)]
    return body["errors"][0]["detail"]


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


# --- 1. Body size ---------------------------------------------------------------------------------


@pytest.mark.django_db
class TestBodySize:
    def test_body_over_one_mib_is_413_and_writes_nothing(self, alice_client):
        body = json.dumps({"family_name": "Vale", "aliases": ["x" * 2_500_000]})
        response = alice_client.post(PEOPLE, data=body, content_type="application/json")
        detail = _refusal(response, 413, "request_too_large")
        assert str(MIB) in detail
        assert response["X-Request-ID"]
        assert not Person.objects.exists()
        assert not AccessLog.objects.exists()

    def test_body_of_one_mib_is_read(self, alice_client):
        padding = MIB - len(json.dumps({"family_name": "Vale", "given_name": ""}))
        body = json.dumps({"family_name": "Vale", "given_name": "x" * padding})
        assert len(body) == MIB
        response = alice_client.post(PEOPLE, data=body, content_type="application/json")
        _refusal(response, 400, "max_length", "given_name")

    def test_admin_form_over_one_mib_is_413(self, client, db):
        response = client.post("/admin/login/", data="x" * (MIB + 1), content_type="text/plain")
        assert response.status_code == 413

    def test_a_stream_longer_than_the_limit_is_refused_when_read(self, settings):
        """A body whose length was not declared (chunked) is read no further than one byte past the limit."""
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
        stream = io.BytesIO(b'{"a": "' + b"x" * 200 + b'"}')
        with pytest.raises(RequestTooLarge):
            BoundedJSONParser().parse(stream, "application/json", {})
        assert stream.tell() == 101


async def _post_chunks(chunks, path="/api/v1/people/", headers=()):
    """A POST through the ASGI application with no Content-Length, its body sent in chunks."""
    from ooh.asgi import application

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "scheme": "http",
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
            *headers,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    communicator = ApplicationCommunicator(application, scope)
    for index, chunk in enumerate(chunks):
        await communicator.send_input(
            {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        )
    start = await communicator.receive_output(timeout=10)
    body = b""
    while True:
        message = await communicator.receive_output(timeout=10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.send_input({"type": "http.disconnect"})
    await communicator.wait(timeout=10)
    return start["status"], {name.lower(): value for name, value in start["headers"]}, json.loads(body)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_chunked_body_over_one_mib_is_413_before_the_rest_is_read():
    chunk = b" " * (600 * 1024)
    status, headers, body = await _post_chunks([b"{", chunk, chunk, chunk, b"}"])
    assert status == 413
    assert body["errors"][0]["code"] == "request_too_large"
    assert headers[b"cache-control"] == b"no-store"
    assert b"x-request-id" in headers


# --- 2. JSON nesting --------------------------------------------------------------------------------


def _nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.django_db
class TestJsonDepth:
    @pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 200_000])
    def test_json_nested_deeper_than_32_is_400_naming_the_problem(self, alice_client, depth):
        response = alice_client.post(
            PEOPLE, data='{"family_name": ' + _nested(depth - 1) + "}", content_type="application/json"
        )
        detail = _refusal(response, 400, "parse_error")
        assert f"nested deeper than {MAX_DEPTH}" in detail
        assert not Person.objects.exists()

    def test_json_nested_32_deep_reaches_the_serializer(self, alice_client):
        response = alice_client.post(
            PEOPLE, data='{"family_name": ' + _nested(MAX_DEPTH - 1) + "}", content_type="application/json"
        )
        _refusal(response, 400, "invalid", "family_name")

    def test_brackets_inside_text_are_not_nesting(self, alice_client):
        name = "[{" * 40
        response = alice_client.post(PEOPLE, {"given_name": name[:100], "family_name": "Vale"})
        assert response.status_code == 201, response.content
        assert response.json()["given_name"] == name[:100]

    def test_malformed_json_is_still_a_parse_error(self, alice_client):
        response = alice_client.post(PEOPLE, data='{"family_name": "Va', content_type="application/json")
        assert "JSON parse error" in _refusal(response, 400, "parse_error")

    def test_nan_is_still_refused(self, alice_client):
        response = alice_client.post(PEOPLE, data='{"family_name": NaN}', content_type="application/json")
        _refusal(response, 400, "parse_error")


# --- 3. NUL in query parameters -------------------------------------------------------------------


@pytest.mark.django_db
class TestNulInQuery:
    @pytest.mark.parametrize(
        ("query", "attr"),
        [
            ("?foo=%00", "foo"),  # an unknown parameter: a 500 on PostgreSQL before
            ("?search=Ker%00ry", "search"),
            ("?search=Kerry&page_size=%0010", "page_size"),
            ("?x%00y=1", "x%00y"),  # in the name
            ("?search=Ker\x00ry", "search"),  # raw, not percent-encoded
        ],
    )
    def test_nul_in_any_query_parameter_is_400_naming_it_and_writes_nothing(self, alice_client, query, attr):
        response = alice_client.get(PEOPLE + query, **PURPOSE)
        detail = _refusal(response, 400, "null_characters_not_allowed", attr)
        assert "Null characters" in detail
        assert not AccessLog.objects.exists()

    @pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/addresses/", "/api/v1/incidents/"])
    def test_nul_is_refused_on_every_api_path(self, alice_client, path):
        _refusal(alice_client.get(path + "?a=%00", **PURPOSE), 400, "null_characters_not_allowed", "a")

    def test_nul_is_refused_before_authentication(self, api_client, db):
        _refusal(api_client.get("/api/v1/me/?a=%00"), 400, "null_characters_not_allowed", "a")


# --- 4. Cache-Control -----------------------------------------------------------------------------


@pytest.mark.django_db
class TestNoStore:
    def test_every_authenticated_response_is_no_store(self, api_client, alice, alice_client):
        login = api_client.post(
            "/api/v1/auth/token/",
            {"username": "alice", "password": factories.DEFAULT_PASSWORD, "device_name": "phone"},
        )
        assert login.status_code == 201
        responses = [
            login,  # carries a token
            alice_client.get("/api/v1/me/"),
            alice_client.get(PEOPLE, **PURPOSE),
            alice_client.get("/api/v1/people/00000000-0000-0000-0000-000000000000/"),
            alice_client.post(PEOPLE, {"family_name": ""}),
            alice_client.get("/api/v1/no-such-thing/"),
            api_client.get("/api/v1/me/"),  # 401
            api_client.get("/admin/login/"),
        ]
        assert [r.status_code for r in responses] == [201, 200, 200, 404, 400, 404, 401, 200]
        for response in responses:
            assert "no-store" in response["Cache-Control"], response.status_code

    def test_public_probes_are_not_marked(self, client, db):
        assert "Cache-Control" not in client.get("/healthz")

    def test_snapshot_etag_and_304_still_work(self, alice, alice_client):
        incident = incident_actions.open_incident(
            actor=alice, kind="welfare_concern", summary="Welfare check"
        )
        first = alice_client.get(f"/api/v1/incidents/{incident.pk}/")
        assert first.status_code == 200
        assert first["Cache-Control"] == "no-store"
        again = alice_client.get(f"/api/v1/incidents/{incident.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304
        assert again["ETag"] == first["ETag"]
        assert again["Cache-Control"] == "no-store"


# --- 5 and 7. Per-user rate limits, each 429 with Retry-After -------------------------------------


def _assert_throttled(response, retry_after):
    _refusal(response, 429, "throttled")
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


# --- 8. List and text sizes -----------------------------------------------------------------------


def _identifiers(count):
    return [{"scheme": "local", "value": f"L{i}"} for i in range(count)]


@pytest.mark.django_db
class TestPersonLists:
    def test_more_than_50_identifiers_is_400_naming_the_field_and_writes_nothing(self, alice_client):
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "identifiers": _identifiers(51)})
        assert "50" in _refusal(response, 400, "max_length", "identifiers")
        assert not Person.objects.exists()
        assert not PersonIdentifier.objects.exists()

    def test_ten_thousand_identifiers_are_refused_before_any_is_looked_at(
        self, alice_client, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(10):
            response = alice_client.post(PEOPLE, {"family_name": "Vale", "identifiers": _identifiers(10_000)})
        _refusal(response, 400, "max_length", "identifiers")

    def test_50_identifiers_are_kept(self, alice_client):
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "identifiers": _identifiers(50)})
        assert response.status_code == 201, response.content
        assert PersonIdentifier.objects.count() == 50

    def test_too_many_aliases_is_400_naming_the_field(self, alice_client):
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "aliases": ["K"] * 10_000})
        _refusal(response, 400, "max_length", "aliases")
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "aliases": ["K"] * 51})
        _refusal(response, 400, "max_length", "aliases")
        assert not Person.objects.exists()

    def test_fifty_aliases_are_accepted(self, alice_client):
        response = alice_client.post(PEOPLE, {"family_name": "Vale", "aliases": [f"K{n}" for n in range(50)]})
        assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_ten_thousand_incident_subjects_are_refused_before_any_is_looked_up(
    alice_client, django_assert_max_num_queries
):
    subjects = [str(uuid.uuid4()) for _ in range(10_000)]
    with django_assert_max_num_queries(10):
        response = alice_client.post(
            "/api/v1/incidents/", {"kind": "welfare_concern", "summary": "Check", "subjects": subjects}
        )
    _refusal(response, 400, "max_length", "subjects")
    assert not Incident.objects.exists()


@pytest.fixture
def plan_body(mia, midwifery):
    kerry = factories.person(mia, given_name="Kerry", family_name="Vale")
    baby = factories.person(
        mia,
        family_name="Vale",
        status="unborn",
        expected_date=timezone.localdate() + datetime.timedelta(days=7),
    )
    factories.link(mia, kerry, "mother_of", baby)
    return {
        "mother": str(kerry.pk),
        "unborn_child": str(baby.pk),
        "expected_date": str(timezone.localdate() + datetime.timedelta(days=7)),
        "key_contacts": [{"agency": str(midwifery.pk), "name": "Mia", "phone_out_of_hours": "01632 960101"}],
    }


def _contacts(agency, count):
    return [
        {"agency": str(agency.pk), "name": f"Contact {i}", "phone_in_hours": "01632 960101"}
        for i in range(count)
    ]


@pytest.mark.django_db
class TestBirthPlanBounds:
    def test_more_than_50_key_contacts_is_400_naming_the_field_and_writes_nothing(
        self, mia, midwifery, plan_body
    ):
        body = {**plan_body, "key_contacts": _contacts(midwifery, 51)}
        _refusal(client_for(mia).post("/api/v1/birth-plans/", body), 400, "max_length", "key_contacts")
        assert not BirthPlan.objects.exists()

    def test_8000_key_contacts_are_refused_before_any_agency_is_looked_up(
        self, mia, midwifery, plan_body, django_assert_max_num_queries
    ):
        body = {**plan_body, "key_contacts": _contacts(midwifery, 8_000)}
        client = client_for(mia)
        with django_assert_max_num_queries(10):
            response = client.post("/api/v1/birth-plans/", body)
        _refusal(response, 400, "max_length", "key_contacts")

    def test_more_than_50_people_excluded_is_400_naming_the_field(self, mia, plan_body):
        excluded = [{"name": f"Person {i}", "reason": "Threats to staff"} for i in range(51)]
        response = client_for(mia).post("/api/v1/birth-plans/", {**plan_body, "people_excluded": excluded})
        _refusal(response, 400, "max_length", "people_excluded")
        assert not BirthPlan.objects.exists()

    @pytest.mark.parametrize(
        ("field", "bound"),
        [
            ("plan_at_birth", 5000),
            ("home_birth_contingency", 5000),
            ("out_of_hours_instructions", 5000),
            ("discharge_arrangements", 5000),
            ("parents_not_aware_reason", 2000),
            ("planned_place_of_birth", 200),
            ("hospital", 200),
        ],
    )
    def test_free_text_over_its_bound_is_400_saying_the_bound(self, mia, plan_body, field, bound):
        response = client_for(mia).post("/api/v1/birth-plans/", {**plan_body, field: "x" * (bound + 1)})
        assert str(bound) in _refusal(response, 400, "max_length", field)

    def test_each_stored_version_is_a_bounded_copy(self, mia, midwifery, plan_body):
        """The largest plan the API accepts is stored in well under 100 kB per version."""
        longest = {
            "plan_at_birth": "x" * 5000,
            "home_birth_contingency": "x" * 5000,
            "out_of_hours_instructions": "x" * 5000,
            "discharge_arrangements": "x" * 5000,
            "parents_not_aware_reason": "x" * 2000,
            "planned_place_of_birth": "x" * 200,
            "hospital": "x" * 200,
            "people_excluded": [{"name": "n" * 150, "reason": "r" * 500}] * 50,
            "key_contacts": [
                {
                    "agency": str(midwifery.pk),
                    "name": "n" * 150,
                    "role": "r" * 150,
                    "phone_in_hours": "01632 960101",
                    "phone_out_of_hours": "01632 960101",
                }
            ]
            * 50,
        }
        response = client_for(mia).post("/api/v1/birth-plans/", {**plan_body, **longest})
        assert response.status_code == 201, response.content
        version = BirthPlanVersion.objects.get(plan_id=response.json()["id"])
        assert len(json.dumps(version.snapshot)) < 100_000

    def test_sharing_with_ten_thousand_agencies_is_refused_before_any_is_looked_up(
        self, mia, plan_body, django_assert_max_num_queries
    ):
        client = client_for(mia)
        plan = client.post("/api/v1/birth-plans/", plan_body).json()
        agencies = [str(uuid.uuid4()) for _ in range(10_000)]
        with django_assert_max_num_queries(12):
            response = client.post(f"/api/v1/birth-plans/{plan['id']}/share/", {"agencies": agencies})
        _refusal(response, 400, "max_length", "agencies")


# --- 9. Search normalisation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Kerry", "kerry"),
        ("Ke\u200brry", "kerry"),  # zero-width space
        ("Ke\u200crr\u200dy", "kerry"),  # zero-width non-joiner and joiner
        ("\u202eKerry\u202c", "kerry"),  # bidi override and pop
        ("Ker\u00adry", "kerry"),  # soft hyphen
        ("\ufeffKerry", "kerry"),  # byte order mark
        ("\uff2b\uff45\uff52\uff52\uff59", "kerry"),  # full-width letters
        ("KERRY VALE", "kerry vale"),
        ("Stra\u00dfe", "strasse"),  # case folding, not just lower case
        ("Zo\u0065\u0301", "zo\u00e9"),  # a combining accent composes
    ],
)
def test_search_form_folds_names(typed, folded):
    assert search_form(typed) == folded


@pytest.mark.django_db
class TestSearchNormalisation:
    def _found(self, client, query, url=PEOPLE):
        response = client.get(url, {"search": query}, **PURPOSE)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    def test_a_zero_width_character_in_the_query_still_finds_the_name(self, alice, alice_client):
        kerry = factories.person(alice, given_name="Kerry", family_name="Vale")
        assert self._found(alice_client, "Ke\u200brry") == {str(kerry.pk)}

    def test_a_name_stored_with_a_zero_width_character_is_found_typed_plainly(self, alice, alice_client):
        kerry = factories.person(alice, given_name="Ke\u200brry", family_name="Va\u200dle")
        assert self._found(alice_client, "Kerry Vale") == {str(kerry.pk)}

    def test_full_width_letters_match(self, alice, alice_client):
        kerry = factories.person(alice, given_name="Kerry", family_name="Vale", aliases=["\uff2b\uff4c"])
        assert self._found(alice_client, "\uff2b\uff45\uff52\uff52\uff59") == {str(kerry.pk)}
        assert self._found(alice_client, "kl") == {str(kerry.pk)}

    def test_addresses_fold_the_same_way(self, alice, alice_client):
        home = factories.address(alice, line1="14 Larch\u200b Close", postcode="NE3 2QX")
        assert self._found(alice_client, "LARCH", url="/api/v1/addresses/") == {str(home.pk)}

    def test_the_migration_refolds_rows_stored_before(self, alice):
        kerry = factories.person(alice, given_name="Ke\u200brry", family_name="VALE", aliases=["\uff2b"])
        home = factories.address(alice, line1="14 Larch\u200b Close")
        # as the older code stored them: lower-cased only
        Person.objects.filter(pk=kerry.pk).update(search_text="ke\u200brry vale \uff4b")
        Address.objects.filter(pk=home.pk).update(search_text="14 larch\u200b close  ne1 4st")
        migration = importlib.import_module("ooh.people.migrations.0003_search_text_in_search_form")
        migration.fold_search_text(django_apps, None)
        assert Person.objects.get(pk=kerry.pk).search_text == "kerry vale k"
        assert Address.objects.get(pk=home.pk).search_text == "14 larch close   ne1 4st"
