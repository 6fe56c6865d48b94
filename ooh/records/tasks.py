"""The nightly retention run (Celery beat, settings.CELERY_BEAT_SCHEDULE): the same function as the
apply_retention command, on today's local date. Routed to the default queue (settings.CELERY_TASK_ROUTES)."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from .models import RunTrigger
from .retention import apply_retention as apply_schedule
from .retention import local_date

logger = logging.getLogger(__name__)


@shared_task(name="ooh.records.tasks.apply_retention")
def apply_retention(today: str | None = None) -> dict[str, int]:
    """Dispose of what the schedule says is due. `today` (ISO date) is for tests and a rerun of a missed
    night; by default the local date now. Safe to repeat: what is gone is not due again."""
    day = datetime.date.fromisoformat(today) if today else local_date(timezone.now())
    report = apply_schedule(today=day, trigger=RunTrigger.BEAT)
    result = {"due": len(report.due), "disposed": len(report.tombstones), "held": len(report.held)}
    logger.info("retention %s %s", day.isoformat(), result)
    return result
