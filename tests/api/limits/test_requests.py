"""What a request may be: its body size, its JSON nesting, no NUL in a query; every answer is no-store."""

import io
import json

import pytest
from asgiref.testing import ApplicationCommunicator

from api.parsers import MAX_DEPTH, BoundedJSONParser, RequestTooLarge
from ooh.audit.models import AccessLog
from ooh.incidents import actions as incident_actions
from ooh.people.models import Person
from tests import factories

from .refusals import MIB, PEOPLE, PURPOSE, refusal

# --- 1. Body size ---------------------------------------------------------------------------------


@pytest.mark.django_db
class TestBodySize:
    def test_body_over_one_mib_is_413_and_writes_nothing(self, alice_client):
        body = json.dumps({"family_name": "Vale", "aliases": ["x" * 2_500_000]})
        response = alice_client.post(PEOPLE, data=body, content_type="application/json")
        detail = refusal(response, 413, "request_too_large")
        assert str(MIB) in detail
        assert response["X-Request-ID"]
        assert not Person.objects.exists()
        assert not AccessLog.objects.exists()

    def test_body_of_one_mib_is_read(self, alice_client):
        padding = MIB - len(json.dumps({"family_name": "Vale", "given_name": ""}))
        body = json.dumps({"family_name": "Vale", "given_name": "x" * padding})
        assert len(body) == MIB
        response = alice_client.post(PEOPLE, data=body, content_type="application/json")
        refusal(response, 400, "max_length", "given_name")

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
        detail = refusal(response, 400, "parse_error")
        assert f"nested deeper than {MAX_DEPTH}" in detail
        assert not Person.objects.exists()

    def test_json_nested_32_deep_reaches_the_serializer(self, alice_client):
        response = alice_client.post(
            PEOPLE, data='{"family_name": ' + _nested(MAX_DEPTH - 1) + "}", content_type="application/json"
        )
        refusal(response, 400, "invalid", "family_name")

    def test_brackets_inside_text_are_not_nesting(self, alice_client):
        name = "[{" * 40
        response = alice_client.post(PEOPLE, {"given_name": name[:100], "family_name": "Vale"})
        assert response.status_code == 201, response.content
        assert response.json()["given_name"] == name[:100]

    def test_malformed_json_is_still_a_parse_error(self, alice_client):
        response = alice_client.post(PEOPLE, data='{"family_name": "Va', content_type="application/json")
        assert "JSON parse error" in refusal(response, 400, "parse_error")

    def test_nan_is_still_refused(self, alice_client):
        response = alice_client.post(PEOPLE, data='{"family_name": NaN}', content_type="application/json")
        refusal(response, 400, "parse_error")


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
        detail = refusal(response, 400, "null_characters_not_allowed", attr)
        assert "Null characters" in detail
        assert not AccessLog.objects.exists()

    @pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/addresses/", "/api/v1/incidents/"])
    def test_nul_is_refused_on_every_api_path(self, alice_client, path):
        refusal(alice_client.get(path + "?a=%00", **PURPOSE), 400, "null_characters_not_allowed", "a")

    def test_nul_is_refused_before_authentication(self, api_client, db):
        refusal(api_client.get("/api/v1/me/?a=%00"), 400, "null_characters_not_allowed", "a")


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
