"""The shapes the records are made of: one chronology (items in time order, the people and staff in it,
the gaps found), whichever record it is of and however it is written out (JSON, CSV, PDF)."""

import datetime
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Item:
    """One thing that happened, in plain words.

    kind: what it was, dotted ("attendance.updated", "escalation.climbed", "notification.read",
    "plan.version", "plan.acknowledged", "record.viewed", ...). source: the table it came from ("event",
    "escalation", "notification", "plan", "concern", "referral", "audit", ...). ids: the rows it names,
    by what they are ({"event": "12", "incident": "<uuid>"}), so a reviewer can find the record.
    """

    at: datetime.datetime
    kind: str
    actor: str | None  # who did it: a name, or (pseudonymised) a role and agency; None for ooh itself
    agency: str | None  # the actor's agency (its name), or the agency the item is about
    summary: str
    source: str
    ids: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["at"] = self.at.isoformat()
        return row


@dataclass(frozen=True)
class Gap:
    """A wait nobody closed in time: "police request unanswered for 47 minutes"."""

    start: datetime.datetime
    end: datetime.datetime | None  # None: still open when the chronology was made
    minutes: int
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "minutes": self.minutes,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Involved:
    """A person the record is about, or a member of staff in it, as the document names them."""

    name: str  # "Kerry Vale", or "Mother" when pseudonymised; staff: "Dana Reed" or "Social worker"
    role: str  # "mother of Baby Vale"; staff: "Social worker, North council"
    agency: str | None = None


@dataclass(frozen=True)
class Chronology:
    record: str  # "incident" or "concern"
    id: str
    reference: str  # "INC-2026-000123", or the family's name when pseudonymised ("Family C19")
    title: str
    opened_at: datetime.datetime
    closed_at: datetime.datetime | None
    generated_at: datetime.datetime
    pseudonymised: bool
    people: list[Involved]
    staff: list[Involved]
    items: list[Item]
    gaps: list[Gap]
    # Everyone the chronology may name (its subjects and their family), for the audit row of its read:
    # not written out.
    person_ids: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "id": self.id,
            "reference": self.reference,
            "title": self.title,
            "opened_at": self.opened_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "generated_at": self.generated_at.isoformat(),
            "pseudonymised": self.pseudonymised,
            "people": [asdict(p) for p in self.people],
            "staff": [asdict(s) for s in self.staff],
            "items": [i.as_dict() for i in self.items],
            "gaps": [g.as_dict() for g in self.gaps],
        }
