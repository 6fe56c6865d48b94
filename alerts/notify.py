"""Notifications: an inbox copy per addressee (the record), then push to their devices (a courtesy)."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ooh.accounts.models import Device

from .models import Escalation, Notification, PushDelivery
from .scheduling import schedule


def notify(
    escalation: Escalation, user_ids: Iterable[uuid.UUID], now: datetime | None = None
) -> list[Notification]:
    """Write the inbox entries in the escalation's transaction; schedule pushes after commit."""
    return notify_users(
        user_ids,
        escalation=escalation,
        kind=f"escalation.{escalation.rule}",
        title=f"Escalation (level {escalation.level}): {escalation.rule.replace('_', ' ')}",
        body=escalation.message,
        data={"escalation": str(escalation.pk), "incident": str(escalation.incident_id or "")},
        now=now,
    )


def notify_users(
    user_ids: Iterable[uuid.UUID],
    *,
    kind: str,
    title: str,
    body: str,
    data: dict[str, Any],
    escalation: Escalation | None = None,
    now: datetime | None = None,
) -> list[Notification]:
    """An inbox entry per user, in the caller's transaction; a push per active device after commit."""
    now = now or timezone.now()
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                escalation=escalation,
                kind=kind,
                title=title[:200],
                body=body,
                data=data,
                created_at=now,
            )
            for user_id in sorted(set(user_ids), key=str)
        ]
    )
    by_user = {n.user_id: n for n in notifications}
    deliveries = PushDelivery.objects.bulk_create(
        [
            PushDelivery(
                notification=by_user[device.user_id],
                device=device,
                backend=settings.PUSH_BACKEND,
                updated_at=now,
            )
            for device in Device.objects.filter(user_id__in=list(by_user), active=True)
        ]
    )
    ids = [d.pk for d in deliveries]

    def push() -> None:
        for delivery_id in ids:
            schedule("deliver_push", (delivery_id,), timezone.now())

    if ids:
        transaction.on_commit(push)
    return notifications


def on_notice(
    sender: object,
    *,
    users: list[uuid.UUID],
    kind: str,
    title: str,
    body: str,
    data: dict[str, Any],
    at: datetime,
    **kwargs: object,
) -> None:
    """The core told someone something (ooh.incidents.signals.notice): their inbox, then push."""
    notify_users(users, kind=kind, title=title, body=body, data=data, now=at)
