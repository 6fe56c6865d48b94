"""Request ids: on every response, echoed when the client sends a good one, on every log line."""

import json
import logging
import re

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.utils.module_loading import import_string

from ooh.observability import RequestIdFilter, current_request_id, request_id_var

logger = logging.getLogger("ooh.tests.observability")


def logging_view(request):
    logger.info("inside the view")
    return HttpResponse("ok")


urlpatterns = [path("log-something", logging_view)]


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def records(caplog):
    """Captured records after the project's RequestIdFilter, as the console handler applies it."""
    id_filter = RequestIdFilter()
    caplog.handler.addFilter(id_filter)
    caplog.set_level(logging.INFO)
    yield caplog
    caplog.handler.removeFilter(id_filter)


def test_a_response_carries_a_fresh_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_well_formed_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "phone-42.retry:1"})
    assert response["X-Request-ID"] == "phone-42.retry:1"


@pytest.mark.parametrize(
    "supplied",
    ["short", "x" * 65, "has space in it", "evil\\r\\nSet-Cookie:a", "id-with-ümlaut", ""],
)
def test_a_malformed_incoming_request_id_is_replaced(client, supplied):
    response = client.get("/healthz", headers={"X-Request-ID": supplied})
    assert response["X-Request-ID"] != supplied
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_the_request_id_does_not_outlive_the_request(client):
    client.get("/healthz", headers={"X-Request-ID": "phone-42-abcdef"})
    assert current_request_id() == "-"


@pytest.mark.urls(__name__)
def test_log_records_in_a_view_carry_the_request_id(client, records):
    response = client.get("/log-something", headers={"X-Request-ID": "trace-0001-abcd"})
    assert response.status_code == 200
    [record] = [r for r in records.records if r.getMessage() == "inside the view"]
    assert record.request_id == "trace-0001-abcd"


@pytest.mark.django_db
def test_djangos_log_line_for_a_refused_request_carries_the_request_id(client, records):
    response = client.get("/api/v1/me/", headers={"X-Request-ID": "trace-0002-abcd"})
    assert response.status_code == 401
    [record] = [r for r in records.records if r.name == "django.request"]
    assert record.getMessage() == "Unauthorized: /api/v1/me/"
    assert record.request_id == "trace-0002-abcd"


@pytest.mark.django_db
def test_djangos_log_line_for_a_failing_readiness_probe_carries_the_request_id(client, records, monkeypatch):
    from api.views import health

    def down():
        raise ConnectionError("down")

    monkeypatch.setitem(health.READINESS_CHECKS, "broker", down)
    response = client.get("/readyz", headers={"X-Request-ID": "trace-0003-abcd"})
    assert response.status_code == 503
    [record] = [r for r in records.records if r.name == "django.request"]
    assert record.levelname == "ERROR"
    assert record.request_id == "trace-0003-abcd"


def test_a_404_is_logged_once(client, records):
    client.get("/no-such-page", headers={"X-Request-ID": "trace-0004-abcd"})
    logged = [r for r in records.records if r.name == "django.request"]
    assert [r.request_id for r in logged] == ["trace-0004-abcd"]


def test_outside_a_request_the_filter_marks_records_with_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    assert RequestIdFilter().filter(record) is True
    assert record.request_id == "-"


def make_formatter(name):
    spec = dict(settings.LOGGING["formatters"][name])
    factory = import_string(spec.pop("()")) if "()" in spec else logging.Formatter
    if factory is logging.Formatter:
        return logging.Formatter(spec["format"])
    return factory(**spec)


def formatted(formatter_name, message="audit written"):
    record = logging.LogRecord("ooh.audit", logging.WARNING, __file__, 1, message, (), None)
    token = request_id_var.set("trace-0005-abcd")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    return make_formatter(formatter_name).format(record)


def test_the_json_formatter_writes_one_json_object_with_the_request_id():
    line = formatted("json", message='quotes " and\nnewlines')
    assert "\n" not in line
    body = json.loads(line)
    assert body["request_id"] == "trace-0005-abcd"
    assert body["message"] == 'quotes " and\nnewlines'
    assert body["level"] == "WARNING"
    assert body["logger"] == "ooh.audit"
    assert "at" in body


def test_the_text_formatter_shows_the_request_id():
    assert "WARNING [trace-0005-abcd] ooh.audit: audit written" in formatted("text")


def test_the_console_handler_applies_the_request_id_filter():
    handler = settings.LOGGING["handlers"]["console"]
    assert "request_id" in handler["filters"]
    assert settings.LOGGING["filters"]["request_id"]["()"] == "ooh.observability.RequestIdFilter"
