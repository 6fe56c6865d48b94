"""What a rule returns (Due), the shape of a rule, and the helpers every rule module shares.

The rules are small functions over database state: escalation_rules.py (the night), casework_rules.py
(concerns and referrals) and prebirth_rules.py (the pre-birth protocol); escalation_rules.RULES names
them all.
"""

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, Protocol, TypeVar, cast

from django.conf import settings

from ooh.accounts.models import MANAGER_ROLES, Membership

from .models import Escalation


@dataclass
class Due:
    rule: str
    subject_key: str
    due_at: datetime
    message: str
    users: set[uuid.UUID] = field(default_factory=set)  # level-1 addressees
    agencies: set[uuid.UUID] = field(
        default_factory=set
    )  # agencies concerned (their feeds; their managers next)
    incident_id: uuid.UUID | None = None
    # A casework chain (concerns, referrals, the pre-birth protocol): whom each further level tells, in
    # order (level 2 first); each level also tells everyone told before. Its levels wait working days.
    # Worked out again at every climb, so a transfer accepted since reaches the new owner's manager.
    ladder: list[set[uuid.UUID]] = field(default_factory=list)


class Rule(Protocol):
    """A rule: what is due at `now` (one subject, or every one; `among` the sweeper's open chains)."""

    def __call__(
        self,
        now: datetime,
        subject_key: str | None = None,
        *,
        fresh: bool = False,
        keys_only: bool = False,
        among: Collection[str] | None = None,
    ) -> list[Due]: ...


_Row = TypeVar("_Row")
_When = TypeVar("_When", datetime, date)


def set_by_filter(moment: _When | None) -> _When:
    """A nullable time the rule's query filtered on (`__lte`, `__lt`): set on every row it returns."""
    return cast(_When, moment)


def minutes(rule: str) -> timedelta:
    return timedelta(minutes=settings.ESCALATION_MINUTES[rule])


def managers_of(agency_ids: Iterable[uuid.UUID | str]) -> set[uuid.UUID]:
    return set(
        Membership.objects.filter(
            agency_id__in=agency_ids, role__in=MANAGER_ROLES, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def stamp(moment: datetime) -> str:
    """A deadline in a subject key: whole seconds, the same however the time was serialised on the way."""
    return str(int(moment.timestamp()))


def row_id_in_key(subject_key: str | None, prefix: str) -> str | Literal[False] | None:
    """(row id, stamp) from a subject key like 'attendance:<id>:<stamp>' if it belongs to this rule."""
    if subject_key is None:
        return None
    kind, _, rest = subject_key.partition(":")
    if kind != prefix:
        return False
    return rest.partition(":")[0]


def unraised(rule: str, keyed: dict[str, _Row]) -> dict[str, _Row]:
    """{subject key: row} without the keys this rule has already raised: one indexed query (the unique
    rule, subject key, level). The sweeper asks only for these, so what stays overdue after it was
    raised (an agency that never answers) costs nothing per row on every later sweep."""

    if not keyed:
        return keyed
    raised = set(
        Escalation.objects.filter(rule=rule, level=1, subject_key__in=list(keyed)).values_list(
            "subject_key", flat=True
        )
    )
    return {key: row for key, row in keyed.items() if key not in raised}
