"""Push backends against a local fake server: request formats, HMAC, retry with backoff, then failed."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.exceptions import Retry

from alerts import push, tasks
from alerts.models import Notification, PushDelivery
from ooh.accounts.actions import register_device

pytestmark = pytest.mark.django_db


class FakeServer:
    """Records every request; answers with the next scripted status (200 when the script runs out)."""

    def __init__(self, statuses=()):
        self.requests, self.statuses = [], list(statuses)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(server.statuses.pop(0) if server.statuses else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _delivery(user, backend, platform="fcm"):
    from django.utils import timezone

    device, _ = register_device(user=user, platform=platform, push_token="device-token-123", name="phone")
    notification = Notification.objects.create(
        user=user,
        kind="escalation.no_decision_maker",
        title="Escalation",
        body="Name a decision maker",
        data={"incident": "abc"},
        created_at=timezone.now(),
    )
    return PushDelivery.objects.create(
        notification=notification, device=device, backend=backend, updated_at=timezone.now()
    )


def test_webhook_posts_the_notification_signed_with_hmac(alice, settings):
    with FakeServer() as fake:
        settings.PUSH_WEBHOOK_URL, settings.PUSH_WEBHOOK_SECRET = f"{fake.url}/hook", "s3cret"
        delivery = _delivery(alice, "webhook")
        tasks.deliver_push(delivery.pk)
    [request] = fake.requests
    timestamp = request["headers"]["X-OOH-Timestamp"]
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-OOH-Signature"] == f"sha256={expected}"
    assert json.loads(request["body"])["body"] == "Name a decision maker"
    assert PushDelivery.objects.get(pk=delivery.pk).status == "sent"


def test_a_failing_push_is_retried_with_backoff_then_marked_failed_and_the_inbox_copy_stays(alice, settings):
    settings.PUSH_MAX_ATTEMPTS = 3
    with FakeServer([503, 503, 503]) as fake:
        settings.PUSH_WEBHOOK_URL = f"{fake.url}/hook"
        delivery = _delivery(alice, "webhook")
        for _ in range(2):
            with pytest.raises(Retry):
                tasks.deliver_push.apply(args=(delivery.pk,), throw=True)
        tasks.deliver_push(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert "503" in delivery.last_error
    assert len(fake.requests) == 3
    assert Notification.objects.filter(pk=delivery.notification_id).exists()


def test_a_rejected_device_is_not_retried(alice, settings):
    with FakeServer([400]) as fake:
        settings.PUSH_WEBHOOK_URL = f"{fake.url}/hook"
        delivery = _delivery(alice, "webhook")
        tasks.deliver_push(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)


@pytest.mark.parametrize("backend", ["fcm", "apns"])
def test_a_device_removed_before_its_push_fails_the_delivery_for_good(alice, settings, backend):
    """SET_NULL left the delivery without a device: failed at once, never retried, never stuck pending."""
    settings.FCM_PROJECT_ID, settings.FCM_ACCESS_TOKEN = "ooh-prod", "ya29.token"
    delivery = _delivery(alice, backend, platform=backend)
    delivery.device.delete()
    tasks.deliver_push(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.device_id) == ("failed", 1, None)
    assert "removed" in delivery.last_error


def test_fcm_http_v1_request_format(alice, settings):
    with FakeServer() as fake:
        settings.FCM_ENDPOINT, settings.FCM_PROJECT_ID, settings.FCM_ACCESS_TOKEN = (
            fake.url,
            "ooh-prod",
            "ya29.token",
        )
        push.send(_delivery(alice, "fcm"))
    [request] = fake.requests
    assert request["path"] == "/v1/projects/ooh-prod/messages:send"
    assert request["headers"]["Authorization"] == "Bearer ya29.token"
    message = json.loads(request["body"])["message"]
    assert message["token"] == "device-token-123"
    assert message["notification"] == {"title": "Escalation", "body": "Name a decision maker"}
    assert all(isinstance(v, str) for v in message["data"].values())  # FCM data values must be strings
    assert message["android"]["priority"] == "high"


def test_apns_request_format(alice, settings):
    with FakeServer() as fake:
        settings.APNS_ENDPOINT, settings.APNS_TOPIC, settings.APNS_AUTH_TOKEN = (
            fake.url,
            "org.ooh.app",
            "jwt.token",
        )
        push.send(_delivery(alice, "apns", platform="apns"))
    [request] = fake.requests
    assert request["path"] == "/3/device/device-token-123"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["authorization"] == "bearer jwt.token"
    assert headers["apns-topic"] == "org.ooh.app"
    assert headers["apns-push-type"] == "alert"
    assert json.loads(request["body"])["aps"]["alert"] == {
        "title": "Escalation",
        "body": "Name a decision maker",
    }


def test_escalation_pushes_to_every_registered_device_of_the_addressees(
    alice, incident, edt, morgan, settings
):
    from alerts import escalations
    from ooh.incidents import actions
    from tests.alerts.night import T0, at

    register_device(user=morgan, platform="fcm", push_token="manager-phone", name="phone")
    actions.request_attendance(actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=T0)
    escalations.sweep(now=at(minutes=10))
    [delivery] = PushDelivery.objects.all()
    assert (delivery.device.push_token, delivery.backend) == ("manager-phone", "log")
