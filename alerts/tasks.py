"""Celery tasks: thin wrappers over alerts.escalations; each re-reads state and is safe to repeat.

Routed to named queues in settings.CELERY_TASK_ROUTES (a test fails if one is missing).
"""

import logging

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from . import escalations
from .models import Escalation, EscalationStatus, PushDelivery, PushStatus
from .push import PushError, send
from .scheduling import CASEWORK_RULES

logger = logging.getLogger(__name__)


@shared_task(name="alerts.tasks.sweep")
def sweep() -> dict[str, int]:
    result = escalations.sweep()
    if any(result.values()):
        logger.info("sweep %s", result)
    return result


@shared_task(name="alerts.tasks.check_subject")
def check_subject(rule: str, subject_key: str) -> None:
    escalations.check_subject(rule, subject_key)


@shared_task(name="alerts.tasks.resolve_ended")
def resolve_ended(incident_id: str) -> None:
    """Something changed on an incident: resolve any of its chains whose condition ended."""
    now = timezone.now()
    for rule, key in (
        Escalation.objects.filter(incident_id=incident_id)
        .exclude(status=EscalationStatus.RESOLVED)
        .values_list("rule", "subject_key")
        .distinct()
    ):
        escalations.check_subject(rule, key, now=now)


@shared_task(name="alerts.tasks.resolve_casework")
def resolve_casework() -> int:
    """A concern or referral changed: end at once any casework chain it answered (the sweeper would,
    within a sweep)."""
    return escalations.resolve_ended(rules=CASEWORK_RULES)


@shared_task(name="alerts.tasks.climb")
def climb(escalation_id: str, token: str) -> None:
    escalations.climb(escalation_id, token)


@shared_task(name="alerts.tasks.deliver_push", bind=True, max_retries=None)
def deliver_push(self: Task[..., None], delivery_id: int) -> None:
    """Send one push; retry with backoff; after PUSH_MAX_ATTEMPTS mark it failed (admins see it)."""
    delivery = PushDelivery.objects.select_related("notification", "device").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != PushStatus.PENDING:
        return
    delivery.attempts += 1
    try:
        send(delivery)
    except PushError as exc:
        delivery.last_error = str(exc)[:2000]
        if exc.retryable and delivery.attempts < settings.PUSH_MAX_ATTEMPTS:
            delivery.updated_at = timezone.now()
            delivery.save(update_fields=["attempts", "last_error", "updated_at"])
            raise self.retry(countdown=min(2**delivery.attempts, 300)) from exc
        delivery.status = PushStatus.FAILED
        logger.warning("push %s failed after %s attempts: %s", delivery.pk, delivery.attempts, exc)
    else:
        delivery.status, delivery.last_error = PushStatus.SENT, ""
    delivery.updated_at = timezone.now()
    delivery.save(update_fields=["attempts", "status", "last_error", "updated_at"])
