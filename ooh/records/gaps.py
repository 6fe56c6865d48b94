"""The waits nobody closed in time, found in a record's history: "police request to out-of-hours social
care unanswered for 47 minutes".

Each uses the deadline the service itself escalates on, never a number of its own:

- a request to attend: its respond_by, plus settings.ESCALATION_MINUTES["attendance_not_answered"] (the
  `attendance_not_answered` rule); measured from the request to the agency's first answer of any kind;
- an ETA: the time the agency gave, plus ESCALATION_MINUTES["eta_overdue"] (the `eta_overdue` rule);
  measured from that time to the agency's arrival on scene (its attendance, or a member's presence);
- a decision maker: ESCALATION_MINUTES["no_decision_maker"] after the incident opened (the
  `no_decision_maker` rule, without its condition on flags: an incident nobody decided is a gap to a
  reviewer whatever its flags); measured to the first decision maker appointed;
- an escalation: the time its first level would climb (alerts.escalations.next_level_at, on the rule
  frozen onto the chain); measured from its raising to its acknowledgement;
- a concern that needs a referral, a referral nobody allocated, a referral nobody answered: the working
  days of settings.REFERRAL_DEADLINE_WORKING_DAYS (alerts.casework_rules.deadline, over
  ooh/referrals/calendar.py's working days).

A wait still open when the record closed ends at the closing; one still open now has no end.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from alerts.casework_rules import deadline as casework_deadline
from alerts.escalations import next_level_at
from ooh.incidents.models import AttendanceStatus
from ooh.referrals.calendar import local_zone

from .shapes import Gap

COMING = (AttendanceStatus.ATTENDING, AttendanceStatus.EN_ROUTE)
GAVE_UP = (AttendanceStatus.CANNOT_ATTEND, AttendanceStatus.LEFT, AttendanceStatus.STOOD_DOWN)


class EventLike(Protocol):
    type: str
    at: datetime.datetime
    data: Any
    actor_id: Any


class AgencyNames(Protocol):
    def agency(self, agency_id: object) -> str: ...

    def agency_of(self, user_id: object) -> str | None: ...


@dataclass(frozen=True)
class Found:
    """A gap, with the moment it became one (where the timeline marks it), and what it is about."""

    gap: Gap
    due: datetime.datetime
    kind: str  # "gap.unanswered", "gap.eta_missed", ...
    agency: str | None = None


@dataclass(frozen=True)
class Limit:
    """Where an open wait stops: the record's closing, else the chronology's `now` (still open)."""

    at: datetime.datetime
    closed: bool

    @property
    def end(self) -> datetime.datetime | None:
        return self.at if self.closed else None


def whole_minutes(start: datetime.datetime, end: datetime.datetime) -> int:
    return max(int((end - start).total_seconds() // 60), 0)


def duration(minutes: int) -> str:
    """'47 minutes', '2 hours 5 minutes', '3 days 4 hours'."""

    def unit(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if minutes < 60:
        return unit(minutes, "minute")
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return unit(hours, "hour") + (f" {unit(rest, 'minute')}" if rest else "")
    days, hours = divmod(hours, 24)
    return unit(days, "day") + (f" {unit(hours, 'hour')}" if hours else "")


def clock(moment: datetime.datetime, since: datetime.datetime | None = None) -> str:
    """Local time: '02:17', with the day when it is not the day of `since`: '09:00 on Mon 14 Sep 2026'."""
    local = moment.astimezone(local_zone())
    if since is not None and since.astimezone(local_zone()).date() == local.date():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local:%a %d %b %Y}"


def parse(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


def _grace(rule: str) -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.ESCALATION_MINUTES[rule])


# --- The night --------------------------------------------------------------------------------------


def _request_gap(
    asked: EventLike, names: AgencyNames, answer: EventLike | None, limit: Limit
) -> Found | None:
    respond_by = parse(asked.data.get("respond_by"))
    if respond_by is None:
        return None
    due = respond_by + _grace("attendance_not_answered")
    answered = answer is not None and answer.data.get("status") != AttendanceStatus.STOOD_DOWN
    stop = answer.at if answer is not None else limit.at
    if stop <= due:
        return None
    minutes = whole_minutes(asked.at, stop)
    who = f"{names.agency_of(asked.actor_id) or 'The control room'} request to {names.agency(asked.data['agency'])}"
    if answered:
        words = f"{who} unanswered for {duration(minutes)} (an answer was asked for by {clock(respond_by, asked.at)})"
    elif answer is not None:
        words = f"{who} never answered: stood down {duration(minutes)} after the request"
    elif limit.closed:
        words = f"{who} never answered: the incident closed {duration(minutes)} after the request"
    else:
        words = f"{who} still unanswered after {duration(minutes)}"
    end = answer.at if answer is not None else limit.end
    return Found(
        Gap(asked.at, end, minutes, words), due, "gap.unanswered", names.agency(asked.data["agency"])
    )


def unanswered_requests(events: Sequence[EventLike], names: AgencyNames, limit: Limit) -> list[Found]:
    """Each request to attend answered after its respond_by (and the rule's grace), or never."""
    waiting: dict[str, EventLike] = {}
    found: list[Found | None] = []
    for event in events:
        agency = str(event.data.get("agency", "")) if isinstance(event.data, dict) else ""
        if event.type == "attendance.requested":
            if agency in waiting:  # asked again before any answer: the first wait ends there
                found.append(_request_gap(waiting.pop(agency), names, event, limit))
            waiting[agency] = event
        elif event.type == "attendance.updated" and agency in waiting:
            found.append(_request_gap(waiting.pop(agency), names, event, limit))
    found += [_request_gap(asked, names, None, limit) for asked in waiting.values()]
    return [f for f in found if f is not None]


def _eta_gap(
    agency: str, eta: datetime.datetime, names: AgencyNames, arrived: EventLike | None, limit: Limit
) -> Found | None:
    """From the time given to the arrival; the agency's later word (cannot attend, left, a new time)
    ends the wait without an arrival."""
    due = eta + _grace("eta_overdue")
    stop = arrived.at if arrived is not None else limit.at
    if stop <= due:
        return None
    minutes = whole_minutes(eta, stop)
    name = names.agency(agency)
    if arrived is not None and _arrival(arrived):
        words = f"{name} said it would arrive by {clock(eta, eta)} and arrived {duration(minutes)} late, at {clock(arrived.at, eta)}"
    elif arrived is not None:
        words = f"{name} said it would arrive by {clock(eta, eta)} and had not arrived {duration(minutes)} later, when it changed its answer"
    else:
        words = f"{name} said it would arrive by {clock(eta, eta)} and never arrived ({duration(minutes)} after that time)"
    end = arrived.at if arrived is not None else limit.end
    return Found(Gap(eta, end, minutes, words), due, "gap.eta_missed", name)


def _arrival(event: EventLike) -> bool:
    return str(event.data.get("status")) == AttendanceStatus.ON_SCENE


def missed_etas(events: Sequence[EventLike], names: AgencyNames, limit: Limit) -> list[Found]:
    """Each ETA an agency gave and missed by more than the rule's grace."""
    promised: dict[str, datetime.datetime] = {}
    found: list[Found | None] = []
    for event in events:
        if event.type not in ("attendance.updated", "presence.updated"):
            continue
        agency, status = str(event.data.get("agency", "")), str(event.data.get("status"))
        eta = parse(event.data.get("eta")) if event.type == "attendance.updated" else None
        if agency not in promised and not (status in COMING and eta):
            continue
        if status in COMING and eta:
            if agency in promised and promised[agency] != eta:  # a new time: the old one, if missed
                found.append(_eta_gap(agency, promised.pop(agency), names, event, limit))
            promised[agency] = eta
        elif status == AttendanceStatus.ON_SCENE or status in GAVE_UP:
            found.append(_eta_gap(agency, promised.pop(agency), names, event, limit))
    found += [_eta_gap(agency, eta, names, None, limit) for agency, eta in promised.items()]
    return [f for f in found if f is not None]


def no_decision_maker(opened_at: datetime.datetime, events: Iterable[EventLike], limit: Limit) -> list[Found]:
    """From the opening to the first decision maker appointed, when longer than the rule waits."""
    wait = _grace("no_decision_maker")
    first = next((e.at for e in events if e.type == "decision_maker.appointed"), None)
    stop = first or limit.at
    if stop - opened_at <= wait:
        return []
    minutes = whole_minutes(opened_at, stop)
    allowed = whole_minutes(opened_at, opened_at + wait)
    if first is not None:
        words = f"No decision maker for {duration(minutes)} after the incident opened (the service chases after {duration(allowed)})"
    elif limit.closed:
        words = (
            f"No decision maker was ever appointed: the incident closed {duration(minutes)} after it opened"
        )
    else:
        words = f"Still no decision maker {duration(minutes)} after the incident opened"
    gap = Gap(opened_at, first or limit.end, minutes, words)
    return [Found(gap, opened_at + wait, "gap.no_decision_maker")]


# --- Escalations --------------------------------------------------------------------------------------


def unacknowledged(
    chains: Iterable[Sequence[Any]], rule_words: dict[str, str], now: datetime.datetime
) -> list[Found]:
    """Each escalation chain (its levels, lowest first) nobody acknowledged before its first level
    would climb: from the raising to the acknowledgement (or its end, or now)."""
    found = []
    for chain in chains:
        first = chain[0]
        climbs = next_level_at(first.rule_snapshot, first.level, first.raised_at, first.due_at)
        acknowledged = next((e.acknowledged_at for e in chain if e.acknowledged_at), None)
        resolved = next((e.resolved_at for e in chain if e.resolved_at), None)
        end = acknowledged or resolved
        if climbs is None or (end or now) <= climbs:
            continue
        minutes = whole_minutes(first.raised_at, end or now)
        what = f"Escalation '{rule_words.get(first.rule, first.rule)}' unacknowledged for {duration(minutes)}"
        top = max(e.level for e in chain)
        if top > first.level:
            what += f", climbing to level {top}"
        if acknowledged is None:
            what += ", and never acknowledged" if resolved is None else " until its condition ended"
        found.append(Found(Gap(first.raised_at, end, minutes, what), climbs, "gap.unacknowledged"))
    return found


# --- Casework -----------------------------------------------------------------------------------------


def casework_gap(
    rule: str,
    start: datetime.datetime,
    end: datetime.datetime | None,
    limit: Limit,
    words: str,
    agency: str | None = None,
) -> list[Found]:
    """A wait counted in working days (the casework rule's), from `start` to `end` (None: not yet)."""
    due = casework_deadline(rule, start)
    stop = end or limit.at
    if stop <= due:
        return []
    minutes = whole_minutes(start, stop)
    days = settings.REFERRAL_DEADLINE_WORKING_DAYS[rule]
    allowed = f"{days} working day{'' if days == 1 else 's'}"
    state = (
        "" if end is not None else (" until the concern closed" if limit.closed else ", and still waiting")
    )
    gap = Gap(
        start, end or limit.end, minutes, f"{words} for {duration(minutes)}{state} (allowed: {allowed})"
    )
    return [Found(gap, due, f"gap.{rule}", agency)]
