"""Push backends, chosen by OOH_PUSH_BACKEND: log (default), webhook (HMAC-signed), FCM HTTP v1, APNs.

Each `send(delivery)` raises PushError on failure; `retryable` says whether trying again can help
(a 5xx or a timeout can; a 400 for a dead device token cannot).
"""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings

from ooh.accounts.models import Device

from .models import PushDelivery

logger = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(5.0)


class PushError(Exception):
    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def _payload(delivery: PushDelivery) -> dict[str, Any]:
    notification = delivery.notification
    return {
        "notification": str(notification.pk),
        "user": str(notification.user_id),
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
    }


def _push_token(delivery: PushDelivery) -> str:
    """The device's token; a device removed since the notice was written (SET_NULL) fails the delivery
    for good (the inbox still holds the notice)."""
    device: Device | None = delivery.device
    if device is None:
        raise PushError("the device was removed before the push was sent", retryable=False)
    return device.push_token


def _check(response: httpx.Response) -> None:
    if response.status_code >= 500 or response.status_code == 429:
        raise PushError(f"HTTP {response.status_code}: {response.text[:200]}", retryable=True)
    if response.status_code >= 400:
        raise PushError(f"HTTP {response.status_code}: {response.text[:200]}", retryable=False)


def send_log(delivery: PushDelivery) -> None:
    logger.info("push %s", json.dumps(_payload(delivery)))


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """sha256 HMAC of "<timestamp>.<body>", so a receiver can check origin and reject replays."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_webhook(delivery: PushDelivery) -> None:
    body = json.dumps(_payload(delivery), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-OOH-Timestamp": timestamp,
        "X-OOH-Signature": f"sha256={webhook_signature(settings.PUSH_WEBHOOK_SECRET, timestamp, body)}",
    }
    try:
        response = httpx.post(settings.PUSH_WEBHOOK_URL, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise PushError(str(exc)) from exc
    _check(response)


def send_fcm(delivery: PushDelivery) -> None:
    """FCM HTTP v1: POST /v1/projects/{project}/messages:send with an OAuth2 bearer token."""
    payload = _payload(delivery)
    message = {
        "message": {
            "token": _push_token(delivery),
            "notification": {"title": payload["title"], "body": payload["body"]},
            "data": {
                k: str(v) for k, v in {**payload["data"], "notification": payload["notification"]}.items()
            },
            "android": {"priority": "high"},
            "apns": {"headers": {"apns-priority": "10"}},
        }
    }
    url = f"{settings.FCM_ENDPOINT}/v1/projects/{settings.FCM_PROJECT_ID}/messages:send"
    try:
        response = httpx.post(
            url,
            json=message,
            headers={"Authorization": f"Bearer {settings.FCM_ACCESS_TOKEN}"},
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise PushError(str(exc)) from exc
    _check(response)


def send_apns(delivery: PushDelivery) -> None:
    """APNs provider API over HTTP/2: POST /3/device/{token} with a provider (JWT) token."""
    payload = _payload(delivery)
    body = {
        "aps": {"alert": {"title": payload["title"], "body": payload["body"]}, "sound": "default"},
        "notification": payload["notification"],
        **payload["data"],
    }
    headers = {
        "authorization": f"bearer {settings.APNS_AUTH_TOKEN}",
        "apns-topic": settings.APNS_TOPIC,
        "apns-push-type": "alert",
        "apns-priority": "10",
    }
    url = f"{settings.APNS_ENDPOINT}/3/device/{_push_token(delivery)}"
    try:
        with httpx.Client(http2=url.startswith("https"), timeout=TIMEOUT) as client:
            response = client.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise PushError(str(exc)) from exc
    _check(response)


BACKENDS: dict[str, Callable[[PushDelivery], None]] = {
    "log": send_log,
    "webhook": send_webhook,
    "fcm": send_fcm,
    "apns": send_apns,
}


def send(delivery: PushDelivery) -> None:
    BACKENDS[delivery.backend](delivery)
