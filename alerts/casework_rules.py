"""Casework deadlines, the Baby A review's lessons as rules: a concern nobody referred, a referral nobody
allocated, an agency that never answered the referrer.

Counted in working days (ooh/referrals/calendar.py: weekends, the nation's bank holidays and closure days
do not count) from settings.REFERRAL_DEADLINE_WORKING_DAYS; each is due at the end of the last working day
allowed. Each climbs a ladder (alerts/ladder.py), a level a working day, and the professional who raised
the concern hears every level:

- `concern_not_referred` (a referral is required and none made, 1 working day after raising): the owner;
  then the owner's manager; then the owner's agency's next level. Consulting a colleague changes nothing:
  the owner is escalated to.
- `referral_unallocated` (3 working days after the referral): the receiving agency's first-line managers,
  who allocate, and the owner; then that agency's next level and the owner's manager.
- `agency_response_overdue` (no first word back, by a response or an outcome, 5 working days after the
  referral): the owner; the owner's manager; the receiving agency's first-line managers; its next level.

Each level also tells whoever holds the concern now, so a transfer accepted mid-chain reaches the new
owner and their manager. Messages name references and agencies, never the family.
"""

import uuid
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import QuerySet

from ooh.accounts.lines import first_line_managers
from ooh.referrals.calendar import local_date, working_day_deadline
from ooh.referrals.models import Concern, ConcernStatus, Referral, ReferralStatus

from .due import Due, Rule, row_id_in_key, unraised
from .ladder import managers_of_users, next_level

_Row = TypeVar("_Row", Concern, Referral)


def deadline(rule: str, start: datetime) -> datetime:
    """When the rule's working days from `start` run out."""
    return working_day_deadline(start, settings.REFERRAL_DEADLINE_WORKING_DAYS[rule])


def _started_by(rule: str, now: datetime) -> datetime:
    """No row that started after this can be due yet (N working days are at least N calendar days):
    the query's cheap bound before each row's working days are counted."""
    return now - timedelta(days=settings.REFERRAL_DEADLINE_WORKING_DAYS[rule])


def _by(moment: datetime) -> str:
    """The last day allowed, in words: a deadline falls at midnight, the end of the day before."""
    return f"{local_date(moment - timedelta(seconds=1)):%a %d %b %Y}"


def _agency_of(user: object) -> uuid.UUID | None:
    membership = getattr(user, "membership", None)
    return membership.agency_id if membership is not None else None


def _due_rows(
    rule: str,
    rows: QuerySet[_Row],
    key: Callable[[_Row], str],
    start: Callable[[_Row], datetime],
    now: datetime,
    *,
    only: str | None,
    fresh: bool,
    among: Collection[str] | None,
) -> dict[str, _Row]:
    """{subject key: row} of the rows whose working days ran out by `now`."""
    if only:
        rows = rows.filter(pk=only)
    if among is not None:
        rows = rows.filter(pk__in=[k.split(":")[1] for k in among])
    keyed = {key(row): row for row in rows if deadline(rule, start(row)) <= now}
    return unraised(rule, keyed) if fresh else keyed


def concern_not_referred(
    now: datetime,
    subject_key: str | None = None,
    *,
    fresh: bool = False,
    keys_only: bool = False,
    among: Collection[str] | None = None,
) -> list[Due]:
    """A concern that needs a referral, still without one when its working day ran out."""
    rule = "concern_not_referred"
    only = row_id_in_key(subject_key, "concern")
    if only is False:
        return []
    rows = Concern.objects.filter(
        status=ConcernStatus.OPEN,
        referral_required=True,
        referrals__isnull=True,
        created_at__lte=_started_by(rule, now),
    ).select_related("owner__membership__agency", "raised_by", "raised_by_agency")
    keyed = _due_rows(
        rule,
        rows,
        lambda c: f"concern:{c.pk}",
        lambda c: c.created_at,
        now,
        only=only,
        fresh=fresh,
        among=among,
    )
    return [_concern_due(key, concern, keys_only) for key, concern in keyed.items()]


def _concern_due(key: str, concern: Concern, keys_only: bool) -> Due:
    due_at = deadline("concern_not_referred", concern.created_at)
    if keys_only:
        return Due("concern_not_referred", key, due_at, "")
    told = {concern.owner_id, concern.raised_by_id}
    owner_agency = _agency_of(concern.owner)
    return Due(
        "concern_not_referred",
        key,
        due_at,
        f"Concern {concern.reference}, raised by {concern.raised_by} of {concern.raised_by_agency.name} on "
        f"{local_date(concern.created_at):%d %b}, needs a referral and none has been made: it was due by "
        f"the end of {_by(due_at)}. The professional who owns a concern makes the referral.",
        users=told,
        agencies={a for a in (owner_agency, concern.raised_by_agency_id) if a is not None},
        ladder=[
            managers_of_users([concern.owner_id]),
            next_level([owner_agency] if owner_agency else []),
        ],
    )


def _referrals() -> QuerySet[Referral]:
    """Every referral, whether or not its concern has been closed since: closing a concern never takes
    a referral out of the receiving agency's queue, nor silences it."""
    return Referral.objects.select_related(
        "concern__owner__membership", "concern__raised_by", "from_agency", "to_agency"
    )


def referral_unallocated(
    now: datetime,
    subject_key: str | None = None,
    *,
    fresh: bool = False,
    keys_only: bool = False,
    among: Collection[str] | None = None,
) -> list[Due]:
    """A referral nobody at the receiving agency allocated when its working days ran out."""
    rule = "referral_unallocated"
    only = row_id_in_key(subject_key, "referral")
    if only is False:
        return []
    rows = _referrals().filter(status=ReferralStatus.UNALLOCATED, made_at__lte=_started_by(rule, now))
    keyed = _due_rows(
        rule,
        rows,
        lambda r: f"referral:{r.pk}",
        lambda r: r.made_at,
        now,
        only=only,
        fresh=fresh,
        among=among,
    )
    due = []
    for key, referral in keyed.items():
        due_at = deadline(rule, referral.made_at)
        if keys_only:
            due.append(Due(rule, key, due_at, ""))
            continue
        concern = referral.concern
        due.append(
            Due(
                rule,
                key,
                due_at,
                f"Referral {referral.reference} from {referral.from_agency.name} to {referral.to_agency.name}, "
                f"made {local_date(referral.made_at):%d %b}, is not allocated to a social worker: it was due "
                f"by the end of {_by(due_at)}.",
                users=first_line_managers([referral.to_agency_id]) | {concern.owner_id, concern.raised_by_id},
                agencies={referral.to_agency_id, referral.from_agency_id},
                ladder=[next_level([referral.to_agency_id]) | managers_of_users([concern.owner_id])],
            )
        )
    return due


def agency_response_overdue(
    now: datetime,
    subject_key: str | None = None,
    *,
    fresh: bool = False,
    keys_only: bool = False,
    among: Collection[str] | None = None,
) -> list[Due]:
    """No first word back from the agency referred to (a response or an outcome) when its working days
    ran out: the referrer's side escalates, up to the receiving agency's next level."""
    rule = "agency_response_overdue"
    only = row_id_in_key(subject_key, "referral")
    if only is False:
        return []
    rows = (
        _referrals()
        .filter(first_response_at__isnull=True, made_at__lte=_started_by(rule, now))
        .exclude(status=ReferralStatus.COMPLETED)
    )
    keyed = _due_rows(
        rule,
        rows,
        lambda r: f"referral:{r.pk}",
        lambda r: r.made_at,
        now,
        only=only,
        fresh=fresh,
        among=among,
    )
    due = []
    for key, referral in keyed.items():
        due_at = deadline(rule, referral.made_at)
        if keys_only:
            due.append(Due(rule, key, due_at, ""))
            continue
        concern = referral.concern
        due.append(
            Due(
                rule,
                key,
                due_at,
                f"{referral.to_agency.name} has not responded to referral {referral.reference} from "
                f"{referral.from_agency.name}, made {local_date(referral.made_at):%d %b}: a response was due "
                f"by the end of {_by(due_at)}. Escalate to the receiving agency.",
                users={concern.owner_id, concern.raised_by_id},
                agencies={referral.from_agency_id, referral.to_agency_id},
                ladder=[
                    managers_of_users([concern.owner_id]),
                    first_line_managers([referral.to_agency_id]),
                    next_level([referral.to_agency_id]),
                ],
            )
        )
    return due


RULES: dict[str, Rule] = {
    "concern_not_referred": concern_not_referred,
    "referral_unallocated": referral_unallocated,
    "agency_response_overdue": agency_response_overdue,
}
