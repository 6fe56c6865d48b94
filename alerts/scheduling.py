"""Scheduling deadline checks and climbs on the broker, never blocking a write when it is down.

Delays are capped well short of the Redis visibility timeout (a longer one would be redelivered, and
is the sweeper's job anyway); every task is guarded, so an early, late or repeated run does nothing wrong.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.utils import timezone

from .escalation_rules import stamp

logger = logging.getLogger(__name__)

# The rules a change to a concern, a referral or a baby's birth may end.
CASEWORK_RULES = (
    "concern_not_referred",
    "referral_unallocated",
    "agency_response_overdue",
    "prebirth_milestone_missed",
)


def max_delay_seconds() -> float:
    visibility_timeout: float = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    return visibility_timeout / 2


def schedule(task_name: str, args: tuple[object, ...], at: datetime) -> bool:
    """Run alerts.tasks.<task_name>(*args) at `at` (or now if past). False if left to the sweeper.

    The task is called by its registered name, so this module (and the escalation engine that calls
    it) never imports the tasks that in turn call the engine."""
    delay = max((at - timezone.now()).total_seconds(), 0)
    if delay > max_delay_seconds():
        return False
    try:
        current_app.tasks[f"alerts.tasks.{task_name}"].apply_async(args=args, countdown=delay)
    except Exception:  # broker down: the database holds the deadline and the sweeper will raise it
        logger.warning("could not schedule %s%s; the sweeper will catch up", task_name, args, exc_info=True)
        return False
    return True


def on_incident_event(sender: object, message: dict[str, Any], **kwargs: object) -> None:
    """After an incident change commits (ooh.incidents.signals.event_committed): check each new
    deadline when it falls due, and re-check anything the change may have ended (an answer, a
    decision maker who accepted) straight away."""
    minutes = settings.ESCALATION_MINUTES
    event, data = message["event"], message["data"]

    def parse(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    def at(value: str, rule: str) -> datetime:
        # A second late, never early: a timer that fires a moment before the deadline would find nothing due.
        return parse(value) + timedelta(minutes=minutes[rule], seconds=1)

    if event == "attendance.requested" and data.get("respond_by"):
        key = f"attendance:{data['id']}:{stamp(parse(data['respond_by']))}"
        schedule(
            "check_subject",
            ("attendance_not_answered", key),
            at(data["respond_by"], "attendance_not_answered"),
        )
    elif event == "attendance.updated":
        if data.get("eta") and data.get("status") in ("attending", "en_route"):
            key = f"eta:{data['id']}:{stamp(parse(data['eta']))}"
            schedule("check_subject", ("eta_overdue", key), at(data["eta"], "eta_overdue"))
        schedule("resolve_ended", (message["incident"],), timezone.now())
    elif event == "incident.opened":
        schedule(
            "check_subject",
            ("no_decision_maker", f"incident:{message['incident']}"),
            at(message["at"], "no_decision_maker"),
        )
    elif event in ("decision_maker.accepted", "incident.closed"):
        schedule("resolve_ended", (message["incident"],), timezone.now())
    elif event in ("decision_maker.appointed", "decision_maker.declined"):
        # Nobody decides until the one named accepts: checked now (raised if past its deadline; the timer
        # set at opening still runs for an incident that is not).
        schedule("check_subject", ("no_decision_maker", f"incident:{message['incident']}"), timezone.now())
    elif event.startswith(("concern.", "referral.", "person.born")):
        schedule("resolve_casework", (), timezone.now())
