"""GET /metrics: who may scrape it, and that it tells what happened - requests by route, events
published, escalations raised, open and overdue, and each task queue's depth - with no id in a label."""

import re

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from alerts import escalations
from ooh.incidents import actions
from tests.personas import client_for

from .night import T0, at

pytestmark = pytest.mark.django_db

TOKEN = "a-scrape-token-long-enough-to-mean-it"


@pytest.fixture
def scraper(settings):
    settings.METRICS_TOKEN = TOKEN
    return Client(headers={"Authorization": f"Bearer {TOKEN}"})


def scrape(scraper) -> str:
    response = scraper.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def sample(text: str, name: str, **labels) -> float | None:
    """One sample's value from the exposition text (None if absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match and match.group(1) == name:
            found = ",".join(sorted(filter(None, (match.group(2) or "").split(","))))
            if found == wanted:
                return float(match.group(3))
    return None


def counted(name, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_without_a_configured_token_there_is_no_such_page(settings):
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Token {TOKEN}", f"Basic {TOKEN}", "Bearer ", f"Bearer {TOKEN}x"],
)
def test_a_scrape_without_the_token_is_refused_in_the_error_shape(scraper, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = Client(headers=headers).get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_a_members_login_does_not_open_it(scraper, alice):
    assert client_for(alice).get("/metrics").status_code == 401


def test_requests_are_counted_and_timed_by_route_pattern_never_by_id(scraper, alice, incident):
    before = counted(
        "ooh_http_requests_total", route="api/v1/incidents/<uuid:pk>/", method="GET", status="200"
    )
    response = client_for(alice, reason="Tonight's incident").get(f"/api/v1/incidents/{incident.pk}/")
    assert response.status_code == 200
    Client().get("/no-such-page/")
    text = scrape(scraper)
    route = "api/v1/incidents/<uuid:pk>/"
    assert sample(text, "ooh_http_requests_total", route=route, method="GET", status="200") == before + 1
    assert sample(text, "ooh_http_request_duration_seconds_count", route=route, method="GET") >= 1
    assert sample(text, "ooh_http_requests_total", route="unmatched", method="GET", status="404") >= 1
    assert str(incident.pk) not in text
    assert "kerry" not in text.lower()


def test_events_published_and_escalations_raised_are_counted_once_committed(
    scraper, alice, incident, edt, django_capture_on_commit_callbacks
):
    published = counted("ooh_events_published_total", event="attendance.requested")
    raised = counted("ooh_escalations_raised_total", rule="attendance_not_answered")
    with django_capture_on_commit_callbacks(execute=True):  # counted once committed, as in production
        actions.request_attendance(
            actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=T0
        )
        assert escalations.sweep(now=at(minutes=10))["raised"] == 1
    text = scrape(scraper)
    assert sample(text, "ooh_events_published_total", event="attendance.requested") == published + 1
    assert sample(text, "ooh_escalations_raised_total", rule="attendance_not_answered") == raised + 1


def test_an_open_escalation_is_counted_by_rule_and_level_and_is_not_overdue_before_its_climb(
    scraper, alice, incident, edt
):
    actions.request_attendance(actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=T0)
    assert escalations.sweep(now=at(minutes=10))["raised"] == 1
    text = scrape(scraper)
    assert sample(text, "ooh_escalations_open", rule="attendance_not_answered", level="1") == 1
    # The level's wait has not passed (T0 is now): nothing is overdue yet.
    assert sample(text, "ooh_escalations_overdue", rule="attendance_not_answered") is None


def test_an_escalation_whose_climb_is_late_is_overdue(scraper, alice, incident, edt):
    actions.request_attendance(
        actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=at(hours=-3)
    )
    escalations.sweep(now=at(hours=-2))  # raised two hours ago; its next level long due, never climbed
    text = scrape(scraper)
    assert sample(text, "ooh_escalations_overdue", rule="attendance_not_answered") == 1


def test_each_task_queue_has_its_depth_and_the_broker_is_up(scraper, settings):
    text = scrape(scraper)
    assert sample(text, "ooh_broker_up") == 1
    for queue in settings.CELERY_TASK_QUEUES:
        depth = sample(text, "ooh_task_queue_depth", queue=queue.name)
        assert depth is not None
        assert depth >= 0


def test_a_broker_that_does_not_answer_is_a_figure_not_an_error(scraper, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("api.views.metrics.celery_app.connection_for_read", down)
    text = scrape(scraper)
    assert sample(text, "ooh_broker_up") == 0
    assert "ooh_task_queue_depth{" not in text
