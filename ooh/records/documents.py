"""A chronology written out for people who do not use the API: CSV for a reviewer's spreadsheet, and a PDF
document for the review panel (a cover page, the people involved, the timeline day by day with the gaps
marked where they began, and the gaps listed).

Times in the PDF are local (settings.LOCAL_TIME_ZONE, Europe/London by default) because the panel reads
them against the night as the family and staff lived it; the CSV keeps ISO 8601 with its offset, which a
spreadsheet or a script can sort without guessing a zone.
"""

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from .pdf import render_pdf
from .shapes import Chronology, Gap, Item

CSV_HEADER = ("at", "kind", "actor", "agency", "summary", "source", "ids")

# What a spreadsheet would read as a formula (OWASP "CSV injection"): such a cell is written with a
# leading apostrophe, so Excel shows the text and runs nothing.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The protective marking every page carries (Government Security Classifications: records naming
# children in child protection are OFFICIAL-SENSITIVE).
PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"


def spreadsheet_safe(value: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def ids_cell(ids: dict[str, str]) -> str:
    """{"event": "12", "incident": "<uuid>"} -> "event=12;incident=<uuid>"."""
    return ";".join(f"{key}={value}" for key, value in ids.items())


def chronology_csv(chronology: Chronology) -> bytes:
    """One row per item, in the chronology's order, under the header row; UTF-8 without a byte order mark."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for item in chronology.items:
        cells = (
            item.at.isoformat(),
            item.kind,
            item.actor or "",
            item.agency or "",
            item.summary,
            item.source,
            ids_cell(item.ids),
        )
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue().encode("utf-8")


# --- PDF ------------------------------------------------------------------------------------------


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.LOCAL_TIME_ZONE)


def local_time(at: datetime.datetime | None) -> str:
    """ "Tue 3 Mar 2026, 02:14" in the local zone ("" for none), as a document writes it."""
    if at is None:
        return ""
    local = at.astimezone(local_zone())
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


@dataclass(frozen=True)
class Line:
    """One line of the timeline: an item, or a gap marked at the moment it began."""

    time: str  # "02:14"
    item: Item | None = None
    gap: Gap | None = None


@dataclass(frozen=True)
class Day:
    heading: str  # "Tuesday 3 March 2026"
    lines: list[Line]


def timeline_days(items: Iterable[Item], gaps: Iterable[Gap]) -> list[Day]:
    """Items and gaps in time order, grouped under one heading per local day. A gap comes after the
    items of its own moment: it is the wait that began with them."""
    zone = local_zone()
    entries: list[tuple[datetime.datetime, int, int, Item | Gap]] = []
    for n, item in enumerate(items):
        entries.append((item.at, 0, n, item))
    for n, gap in enumerate(gaps):
        entries.append((gap.start, 1, n, gap))
    entries.sort(key=lambda entry: entry[:3])
    days: list[Day] = []
    current: datetime.date | None = None
    for at, _, _, entry in entries:
        local = at.astimezone(zone)
        if local.date() != current:
            current = local.date()
            days.append(Day(heading=f"{local:%A} {local.day} {local:%B %Y}", lines=[]))
        time = f"{local:%H:%M}"
        line = Line(time=time, item=entry) if isinstance(entry, Item) else Line(time=time, gap=entry)
        days[-1].lines.append(line)
    return days


def gap_rows(gaps: Iterable[Gap]) -> list[dict[str, str]]:
    rows = []
    for gap in sorted(gaps, key=lambda g: g.start):
        rows.append(
            {
                "summary": gap.summary,
                "start": local_time(gap.start),
                "end": local_time(gap.end),  # "": still open when the chronology was made
                "minutes": str(gap.minutes),
            }
        )
    return rows


def chronology_pdf(chronology: Chronology) -> bytes:
    """The chronology as a document: cover, people involved, timeline by day with gaps marked, gaps."""
    return render_pdf(
        "records/chronology.html",
        {
            "c": chronology,
            "marking": PROTECTIVE_MARKING,
            "record_label": "Incident" if chronology.record == "incident" else "Concern",
            "opened": local_time(chronology.opened_at),
            "closed": local_time(chronology.closed_at) if chronology.closed_at else "still open",
            "generated": local_time(chronology.generated_at),
            "zone": settings.LOCAL_TIME_ZONE,
            "days": timeline_days(chronology.items, chronology.gaps),
            "gaps": gap_rows(chronology.gaps),
        },
    )
