"""The one write path for escalations: raise, climb, acknowledge, resolve, and the sweeper.

Exactly once: an escalation is unique per (rule, subject, level), so a second raise is an IntegrityError
swallowed in its own savepoint; a scheduled climb acts only if its token is still the chain's token
(acknowledging and resolving rotate it); the sweeper raises late rather than never what no scheduled
task handled. Notifications and the incident event are written in the same transaction as the row.
"""

import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import Membership, Role, User
from ooh.errors import Conflict
from ooh.incidents.events import emit
from ooh.metrics import ESCALATIONS_CLIMBED, ESCALATIONS_RAISED
from ooh.referrals.calendar import working_day_deadline
from ooh.shapes import escalation_row

from . import escalation_rules
from .models import Escalation, EscalationStatus
from .notify import notify
from .scheduling import schedule

logger = logging.getLogger(__name__)

# A casework level raised this soon after its chain fell due counts its wait from the deadline.
CASEWORK_RAISED_ON_TIME = timedelta(hours=12)


def level_wait(snapshot: Mapping[str, Any]) -> timedelta:
    """How long a level waits for an acknowledgement before the next: the wait frozen onto the chain
    when it started (a later change of the setting does not rewrite a running chain)."""
    minutes = snapshot.get("level_wait_minutes")
    return timedelta(minutes=minutes if minutes is not None else settings.ESCALATION_LEVEL_WAIT_MINUTES)


def next_level_at(
    snapshot: Mapping[str, Any], level: int, now: datetime, due_at: datetime
) -> datetime | None:
    """When this level climbs if nobody acknowledges: never at the top; a night's chain its frozen
    minutes after the level was raised; a casework chain at the end of a working day counted from when
    the chain fell due (level 1 due at the end of Tuesday climbs at the end of Wednesday, level 2 at the
    end of Thursday), however late a sweep raised it; a chain raised long after it fell due (a late
    booking) counts from when it was raised (casework_anchor, frozen onto the chain)."""
    if level >= snapshot["max_level"]:
        return None
    working_days = snapshot.get("level_wait_working_days")
    if working_days is not None:
        return working_day_deadline(datetime.fromisoformat(snapshot["anchor"]), working_days * level)
    return now + level_wait(snapshot)


def casework_anchor(due_at: datetime, now: datetime) -> datetime:
    """Where a casework chain counts its working days from, fixed when level 1 is raised: the deadline
    when it was raised on time (a sweep moments after it), else the raise (a late booking, weeks past its
    milestones), so every rung gets its working day."""
    if now - due_at <= CASEWORK_RAISED_ON_TIME:
        return due_at - timedelta(seconds=1)
    return now


def _emit(
    escalation: Escalation,
    event_type: str,
    actor: User | None,
    users: Iterable[uuid.UUID],
    agencies: Iterable[uuid.UUID],
    now: datetime,
    **extra: object,
) -> None:
    """The incident event (phones on the incident see it) and the addressees' feeds, after commit."""
    emit(
        type=event_type,
        actor=actor,
        at=now,
        data=escalation_row(escalation, users) | extra,
        incident_id=escalation.incident_id,
        feed_users=list(users),
        feed_agencies=list(agencies),
    )


def _schedule_climb(escalation: Escalation) -> None:
    escalation_id, token, at = escalation.pk, escalation.token, escalation.next_level_at
    if at is not None:
        transaction.on_commit(lambda: schedule("climb", (str(escalation_id), str(token)), at))


def _create(
    *,
    rule: str,
    subject_key: str,
    level: int,
    due_at: datetime,
    message: str,
    incident_id: uuid.UUID | None,
    users: Iterable[uuid.UUID],
    agencies: Iterable[uuid.UUID],
    snapshot: dict[str, Any],
    now: datetime,
) -> Escalation | None:
    """Insert one level; None if it already exists (raised by another task, sweep or worker)."""
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                rule=rule,
                subject_key=subject_key,
                level=level,
                incident_id=incident_id,
                message=message,
                due_at=due_at,
                raised_at=now,
                next_level_at=next_level_at(snapshot, level, now, due_at),
                rule_snapshot=snapshot,
            )
    except IntegrityError:
        return None
    # set() takes primary keys, which django-stubs allows to be int only (ours are UUIDs).
    escalation.addressed_users.set(users)  # type: ignore[arg-type]
    escalation.addressed_agencies.set(agencies)  # type: ignore[arg-type]
    notify(escalation, users, now)
    _emit(escalation, "escalation.raised", None, users, agencies, now)
    _schedule_climb(escalation)
    counted = ESCALATIONS_RAISED if level == 1 else ESCALATIONS_CLIMBED
    transaction.on_commit(lambda: counted.labels(rule=rule).inc())  # only what the record kept
    return escalation


@transaction.atomic
def raise_due(due: escalation_rules.Due, *, now: datetime | None = None) -> Escalation | None:
    """Raise level 1 for something due, exactly once."""
    now = now or timezone.now()
    snapshot: dict[str, Any] = {"agencies": sorted(str(a) for a in due.agencies)}
    if due.ladder:  # a casework chain: as many levels as rungs, a wait in working days
        snapshot |= {
            "working_days": settings.REFERRAL_DEADLINE_WORKING_DAYS.get(due.rule),
            "ladder": True,
            "level_wait_working_days": settings.CASEWORK_LEVEL_WAIT_WORKING_DAYS,
            "anchor": casework_anchor(due.due_at, now).isoformat(),
            "max_level": 1 + len(due.ladder),
        }
    else:
        snapshot |= {
            "minutes": settings.ESCALATION_MINUTES[due.rule],
            "level_wait_minutes": settings.ESCALATION_LEVEL_WAIT_MINUTES,
            "max_level": settings.ESCALATION_MAX_LEVEL,
        }
    return _create(
        rule=due.rule,
        subject_key=due.subject_key,
        level=1,
        due_at=due.due_at,
        message=due.message,
        incident_id=due.incident_id,
        users=due.users,
        agencies=due.agencies,
        snapshot=snapshot,
        now=now,
    )


def _next_rung(
    escalation: Escalation,
    due: escalation_rules.Due | None,
    told: set[uuid.UUID],
    agencies: set[uuid.UUID],
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Everyone told before, whoever the rule addresses now (a transfer accepted since), and the rung."""
    if due is None:
        return told, agencies
    rung = set(due.users) | (
        due.ladder[escalation.level - 1] if len(due.ladder) >= escalation.level else set()
    )
    agencies = agencies | set(due.agencies)
    agencies |= set(Membership.objects.filter(user__in=rung).values_list("agency_id", flat=True))
    return told | rung, agencies


def next_addressees(
    escalation: Escalation, due: escalation_rules.Due | None = None
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """A casework chain: the next rung of the rule's ladder as it stands now. A night's chain: level 2,
    the managers of every agency concerned; level 3 and up, their admins too. Everyone told before is
    told again."""
    told = set(escalation.addressed_users.values_list("pk", flat=True))
    agencies = set(escalation.addressed_agencies.values_list("pk", flat=True))
    if escalation.rule_snapshot.get("ladder"):
        return _next_rung(escalation, due, told, agencies)
    agencies |= set(
        Membership.objects.filter(user__in=escalation.addressed_users.all()).values_list(
            "agency_id", flat=True
        )
    )
    roles = [Role.MANAGER, Role.CONTROL_ROOM_SUPERVISOR] + ([Role.ADMIN] if escalation.level + 1 >= 3 else [])
    users = set(
        Membership.objects.filter(agency_id__in=agencies, role__in=roles, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    return users | told, agencies


@transaction.atomic
def climb(
    escalation_id: uuid.UUID | str, token: uuid.UUID | str, *, now: datetime | None = None
) -> Escalation | None:
    """Raise the next level if nobody acknowledged in time. A stale token (acknowledged, resolved,
    already climbed, or a duplicate delivery of this task) does nothing."""
    now = now or timezone.now()
    escalation = Escalation.objects.select_for_update().filter(pk=escalation_id).first()
    if (
        escalation is None
        or str(escalation.token) != str(token)
        or escalation.status != EscalationStatus.OPEN
    ):
        return None
    if escalation.next_level_at is None or escalation.next_level_at > now:
        return None  # early: the sweeper or a later task will come back
    due = escalation_rules.due_now(escalation.rule, escalation.subject_key, now)
    if due is None:
        resolve_chain(escalation.rule, escalation.subject_key, reason="condition ended", now=now)
        return None
    escalation.token, escalation.next_level_at = uuid.uuid4(), None
    escalation.save(update_fields=["token", "next_level_at"])
    users, agencies = next_addressees(escalation, due)
    return _create(
        rule=escalation.rule,
        subject_key=escalation.subject_key,
        level=escalation.level + 1,
        due_at=escalation.due_at,
        message=escalation.message,
        incident_id=escalation.incident_id,
        users=users,
        agencies=agencies,
        snapshot=escalation.rule_snapshot,
        now=now,
    )


def _chain(rule: str, subject_key: str) -> QuerySet[Escalation]:
    return Escalation.objects.select_for_update().filter(rule=rule, subject_key=subject_key).order_by("level")


def visible_escalations(user: User) -> QuerySet[Escalation]:
    membership: Membership | None = getattr(user, "membership", None)
    condition = Q(addressed_users=user)
    if membership is not None:
        condition |= Q(addressed_agencies=membership.agency_id)
    return Escalation.objects.filter(condition).distinct()


@transaction.atomic
def acknowledge(
    *, actor: User, escalation: Escalation, note: str = "", now: datetime | None = None
) -> Escalation:
    """Someone addressed has it: the climb stops (every level of the chain)."""
    now = now or timezone.now()
    if not policy.may_acknowledge_escalation(actor, escalation):
        raise PermissionDenied("This escalation is not addressed to you or your agency.")
    chain = list(_chain(escalation.rule, escalation.subject_key))
    if all(e.status != EscalationStatus.OPEN for e in chain):
        raise Conflict("This escalation is already acknowledged or resolved.", code="escalation_closed")
    for row in chain:
        if row.status == EscalationStatus.OPEN:
            row.status, row.acknowledged_at, row.acknowledged_by = EscalationStatus.ACKNOWLEDGED, now, actor
            row.acknowledgement_note, row.token, row.next_level_at = note, uuid.uuid4(), None
            row.save()
    top = chain[-1]
    users = set(top.addressed_users.values_list("pk", flat=True))
    agencies = set(top.addressed_agencies.values_list("pk", flat=True))
    _emit(top, "escalation.acknowledged", actor, users, agencies, now, note=note)
    return Escalation.objects.get(pk=escalation.pk)


@transaction.atomic
def resolve_chain(rule: str, subject_key: str, *, reason: str, now: datetime | None = None) -> int:
    """The condition ended (the agency answered, a decision maker is named): every level is resolved."""
    now = now or timezone.now()
    chain = [e for e in _chain(rule, subject_key) if e.status != EscalationStatus.RESOLVED]
    if not chain:
        return 0
    for row in chain:
        row.status, row.resolved_at, row.resolution, row.token, row.next_level_at = (
            EscalationStatus.RESOLVED,
            now,
            reason,
            uuid.uuid4(),
            None,
        )
        row.save()
    top = chain[-1]
    _emit(
        top,
        "escalation.resolved",
        None,
        set(top.addressed_users.values_list("pk", flat=True)),
        set(top.addressed_agencies.values_list("pk", flat=True)),
        now,
        reason=reason,
    )
    return len(chain)


def check_subject(rule: str, subject_key: str, *, now: datetime | None = None) -> Escalation | None:
    """A scheduled deadline arrived (or something changed): raise it if due, resolve it if not."""
    now = now or timezone.now()
    due = [
        d for d in escalation_rules.RULES[rule](now, subject_key=subject_key) if d.subject_key == subject_key
    ]
    if due:
        return raise_due(due[0], now=now)
    if (
        Escalation.objects.filter(rule=rule, subject_key=subject_key)
        .exclude(status=EscalationStatus.RESOLVED)
        .exists()
    ):
        resolve_chain(rule, subject_key, reason="condition ended", now=now)
    return None


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The safety net: raise everything due that nobody raised, climb what is overdue, resolve what ended."""
    now = now or timezone.now()
    raised = sum(1 for due in escalation_rules.all_due(now) if raise_due(due, now=now) is not None)
    climbed = 0
    for escalation_id, token in Escalation.objects.filter(
        status=EscalationStatus.OPEN, next_level_at__lte=now
    ).values_list("pk", "token"):
        climbed += climb(escalation_id, token, now=now) is not None
    return {"raised": raised, "climbed": climbed, "resolved": resolve_ended(now=now)}


def resolve_ended(*, now: datetime | None = None, rules: Iterable[str] | None = None) -> int:
    """Resolve every open chain (of these rules, or all) whose condition ended; how many."""
    now = now or timezone.now()
    resolved = 0
    open_chains: dict[str, set[str]] = {}
    chains = Escalation.objects.exclude(status=EscalationStatus.RESOLVED)
    if rules is not None:
        chains = chains.filter(rule__in=list(rules))
    for rule, subject_key in chains.order_by().values_list("rule", "subject_key").distinct():
        open_chains.setdefault(rule, set()).add(subject_key)
    for rule, subject_keys in open_chains.items():  # one pass per rule, not one per chain
        for subject_key in sorted(subject_keys - escalation_rules.still_due_among(rule, subject_keys, now)):
            resolved += resolve_chain(rule, subject_key, reason="condition ended", now=now) > 0
    return resolved
