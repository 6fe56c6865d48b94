"""The retention schedule: which class a record is in, how long that class is kept, from which date,
and what happens to it then. Pure rules over plain values (no queries), so each is testable alone.

Defaults (settings.RETENTION_SCHEDULE, each overridable by environment and per agency):

- looked_after, 75 years from the child's birth, deleted. The Care Planning, Placement and Case Review
  (England) Regulations 2010, reg 50 and Schedule 4: a looked-after child's case record is kept until
  the 75th anniversary of their date of birth (15 years from death if they die before 18). In ooh a
  child is looked after when a flag says so (looked_after_child) or their birth plan records an interim
  care order (a child in care under an interim order is looked after: Children Act 1989 s.22(1)).
- child_protection, 35 years from closure, deleted. No statute sets it: councils set their own, and 35
  years after closure is the period councils most commonly publish in their retention schedules;
  a council that keeps longer sets its own (OOH_RETENTION_AGENCY_OVERRIDES). A subject with a child
  protection plan (flag or birth plan), pre-proceedings or care proceedings, a plan to remove at
  birth, or a concern whose referral led to a section 47 enquiry.
- children_in_need, 3 years from the later of the youngest child's 18th birthday and closure,
  deleted: the issue's "until 18 plus 3 years of inactivity", read so that a record closed after the
  child turned 18 still has its 3 quiet years. A subject whose birth plan records child in need, or a
  concern whose referral led to a child in need or a pre-birth assessment.
- concern_no_safeguarding, 6 years from closure, deleted: a concern closed with no safeguarding
  outcome (no referral, or one answered with no further action or early help). Six years is the
  Limitation Act 1980's period for most claims (ss.2 and 5), in which the concern may be asked for.
- incident_no_safeguarding, 2 years from closure, deleted: a night with no safeguarding outcome for
  anyone in it. Short because it holds details of families with no continuing need to hold them;
  two years outlasts the 12 months in which a complaint about the night is usually made and the time
  a rapid review or a case review takes to ask for it (Working Together to Safeguard Children 2023).
- person, 6 years from last contact, anonymised: a person about whom nothing else is held any more
  (no incident, concern, birth plan, flag, pre-birth milestone or DASH assessment). Anonymised, not
  deleted, so the audit's rows that name them still point at a row. Last contact is the latest of the
  person's own record changing and any agency recording something that names them (the audit's
  create and update rows). Six years for the same reason as above.

A record in several classes is kept under the longest-lived: looked_after, then child_protection,
then children_in_need, then its own no-safeguarding class. Open incidents and concerns are never due.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

LOOKED_AFTER = "looked_after"
CHILD_PROTECTION = "child_protection"
CHILDREN_IN_NEED = "children_in_need"
CONCERN_NO_SAFEGUARDING = "concern_no_safeguarding"
INCIDENT_NO_SAFEGUARDING = "incident_no_safeguarding"
PERSON = "person"

# The safeguarding classes, strongest first: a record takes the first its subjects have.
SAFEGUARDING_CLASSES = (LOOKED_AFTER, CHILD_PROTECTION, CHILDREN_IN_NEED)
RUNS_FROM_WORDS = {
    "birth": "the child's birth",
    "closure": "closure",
    "adulthood_or_closure": "the later of the youngest child's 18th birthday and closure",
    "last_contact": "the last contact",
}


@dataclass(frozen=True)
class Rule:
    record_class: str
    years: int
    runs_from: str  # a key of RUNS_FROM_WORDS
    disposal: str  # "delete" or "anonymise"
    agency_code: str = ""  # set when the agency's override gave the years

    def __str__(self) -> str:
        whose = f" ({self.agency_code}'s period)" if self.agency_code else ""
        return f"{self.record_class}: {self.disposal} {self.years} years after {RUNS_FROM_WORDS[self.runs_from]}{whose}"


def rule_for(
    record_class: str,
    agency_code: str | None,
    schedule: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Mapping[str, Mapping[str, int]] | None = None,
) -> Rule:
    """The rule in force for a class of record owned by this agency: its override's years, else the default."""
    schedule = settings.RETENTION_SCHEDULE if schedule is None else schedule
    overrides = settings.RETENTION_AGENCY_OVERRIDES if overrides is None else overrides
    default = schedule[record_class]
    override = overrides.get(agency_code or "", {}).get(record_class)
    return Rule(
        record_class=record_class,
        years=int(override if override is not None else default["years"]),
        runs_from=str(default["runs_from"]),
        disposal=str(default["disposal"]),
        agency_code=agency_code or "" if override is not None else "",
    )


def strongest(classes: Iterable[str], otherwise: str) -> str:
    """The longest-lived safeguarding class among a record's subjects', else the record's own class."""
    held = set(classes)
    return next((c for c in SAFEGUARDING_CLASSES if c in held), otherwise)


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The anniversary `years` on; from 29 February, 1 March in a year without one (as the law counts
    a birthday: Age of Legal Capacity (Scotland) Act 1991 s.6(2); never a day early, so nothing is
    disposed of before its period ends)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


def adulthood_or_closure(closed_on: datetime.date, child_births: Iterable[datetime.date]) -> datetime.date:
    """The later of the youngest child's 18th birthday and the closure (the closure if no birth is known)."""
    births = list(child_births)
    return max(closed_on, add_years(max(births), 18)) if births else closed_on


def ran_from(
    rule: Rule,
    *,
    closed_on: datetime.date | None = None,
    births: Iterable[datetime.date] = (),
    last_contact: datetime.date | None = None,
) -> datetime.date | None:
    """The date the rule's period runs from, None when the record has none yet (open, or no birth known)."""
    if rule.runs_from == "last_contact":
        return last_contact
    if closed_on is None:
        return None  # an open record is never due, whatever its class
    if rule.runs_from == "birth":
        known = list(births)
        return max(known) if known else None
    if rule.runs_from == "adulthood_or_closure":
        return adulthood_or_closure(closed_on, births)
    return closed_on


def due_on(rule: Rule, start: datetime.date) -> datetime.date:
    return add_years(start, rule.years)
