"""A subject access export as a document and as files: the PDF a person can read (third-party data
boxed and labelled for review), and `manage.py subject_access`'s JSON and PDF, written only after the
export's audit row (a disclosure to the data subject). The export itself is ooh/records/subject_access.py."""

import datetime
import getpass
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.people.models import Person

from .documents import PROTECTIVE_MARKING, local_time
from .pdf import render_pdf
from .subject_access import JSON, THIRD_PARTY_LABEL, subject_access_export, words

# --- The PDF ----------------------------------------------------------------------------------------

SECTION_TITLES = (
    ("addresses", "Addresses", "Where the person lives or lived, and any flag held on those addresses."),
    ("links", "Links to other people", "How the person is recorded as related to others, ended links too."),
    ("flags", "Flags", "Warning markers on the person, each with every version it has had."),
    ("birth_plans", "Birth plans", "Plans where the person is the mother or the child, with every version."),
    ("incidents", "Incidents", "Incidents the person is a subject of, with everything recorded in them."),
    ("concerns", "Concerns and referrals", "Concerns the person is a subject of, and their referrals."),
    ("dash_assessments", "DASH risk assessments", "Domestic abuse risk checklists about the person."),
    ("prebirth_milestones", "Pre-birth milestones", "Milestones of the pre-birth protocol recorded."),
    ("legal_holds", "Legal holds", "Orders to keep the person's records from disposal."),
)
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HIDDEN = frozenset({"title", "third_party", "third_party_people", "third_party_why"})


def _label(key: str) -> str:
    return "ID" if key == "id" else key.replace("_", " ").capitalize().replace(" id", " ID")


def _text(value: Any) -> str:
    """A JSON value as a reader reads it: local times, names for people, agencies and users."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return _text_of_string(value)
    if isinstance(value, Mapping):
        return _text_of_mapping(value)
    if isinstance(value, list):
        if all(not isinstance(v, Mapping | list) for v in value):
            return ", ".join(_text(v) for v in value)
        return "\n".join(_text(v).replace("\n", "; ") for v in value)
    return str(value)


def _text_of_string(value: str) -> str:
    """Times in local time ("Tue 3 Mar 2026, 23:50"), dates in words ("3 March 2026"), else as written."""
    try:
        if _ISO_DATETIME.match(value):
            return local_time(datetime.datetime.fromisoformat(value))
        if _ISO_DATE.match(value):
            day = datetime.date.fromisoformat(value)
            return f"{day.day} {day:%B %Y}"
    except ValueError:
        pass
    return value


def _text_of_mapping(value: Mapping[str, Any]) -> str:
    """A user, agency or person by name; anything else (a snapshot, an event's data) line by line."""
    if "name" in value and set(value) <= {"id", "name", "username"}:
        username = value.get("username")
        name = str(value["name"])
        return f"{name} ({username})" if username and username != name else name
    return "\n".join(f"{_label(str(k))}: {_text(v)}" for k, v in value.items() if v not in (None, "", [], {}))


def _pdf_block(block: Mapping[str, Any]) -> JSON:
    """A block as the template draws it: its fields as (label, text), its nested rows as child groups."""
    fields: list[tuple[str, str]] = []
    groups: list[JSON] = []
    for key, value in block.items():
        if key in _HIDDEN:
            continue
        if isinstance(value, list) and value and all(isinstance(v, Mapping) and "title" in v for v in value):
            groups.append({"title": _label(key), "blocks": [_pdf_block(v) for v in value]})
            continue
        text = _text(value)
        if text:
            fields.append((_label(key), text))
    return {
        "title": block.get("title", ""),
        "third_party": bool(block.get("third_party")),
        "why": list(block.get("third_party_why", [])),
        "fields": fields,
        "groups": groups,
    }


def _access_rows(accesses: Iterable[Mapping[str, Any]]) -> list[JSON]:
    rows = []
    for a in accesses:
        ids = a["record"]["ids"]
        rows.append(
            {
                "at": local_time(datetime.datetime.fromisoformat(a["at"])),
                "who": _text(a["who"]),
                "agency": a["agency"]["name"] if a["agency"] else "",
                "role": a["role"],
                "action": a["action"],
                "record": words(a["record"]["type"]) + (f" ({len(ids)})" if len(ids) > 1 else ""),
                "purpose": (a["purpose"] or "not stated")
                + (f" [{THIRD_PARTY_LABEL}]" if a.get("third_party") else ""),
            }
        )
    return rows


def subject_access_pdf(export: Mapping[str, Any]) -> bytes:
    """The export as a readable document: the same content, third-party data boxed and labelled
    "THIRD-PARTY DATA — review before release"."""
    sections = [
        {
            "title": title,
            "intro": intro,
            "blocks": [_pdf_block(b) for b in export["sections"].get(key, [])],
        }
        for key, title, intro in SECTION_TITLES
    ]
    person = export["person"]
    return render_pdf(
        "records/subject_access.html",
        {
            "marking": PROTECTIVE_MARKING,
            "third_party_label": THIRD_PARTY_LABEL,
            "export": export,
            "person_name": person.get("name", ""),
            "person_block": _pdf_block({k: v for k, v in person.items()}),
            "generated": local_time(datetime.datetime.fromisoformat(export["generated_at"])),
            "requested_by": _text(
                {k: v for k, v in export["requested_by"].items() if k in ("name", "username")}
            ),
            "requester_agency": export["requested_by"].get("agency") or "",
            "third_party_people": export.get("third_party_people", []),
            "sections": sections,
            "counts": [(title, len(export["sections"].get(key, []))) for key, title, _ in SECTION_TITLES]
            + [("Accesses to the person's records", len(export["sections"].get("accesses", [])))],
            "accesses": _access_rows(export["sections"].get("accesses", [])),
        },
    )


# --- Writing it out, audited ------------------------------------------------------------------------

DISCLOSED_TO = "the data subject (subject access request)"


def operator_name() -> str:
    """Who ran the command on the server, as the audit names someone without an account."""
    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for this process's uid (a container)
        account = "unknown account"
    return f"operator ({account})"


def subject_access_paths(person: Person, out_dir: Path) -> tuple[Path, Path]:
    stem = out_dir / f"subject-access-{person.pk}"
    return stem.with_suffix(".json"), stem.with_suffix(".pdf")


def write_subject_access(
    person: Person, *, out_dir: Path, actor: User | None, reason: str, now: datetime.datetime
) -> tuple[Path, Path]:
    """Write <out_dir>/subject-access-<id>.json and .pdf. The export is audited (a disclosure to the data
    subject, naming the person and every third party in it) before either file is written, so no file
    leaves without its audit row; both are made in memory first, so a failure there writes neither."""
    export = subject_access_export(person, now=now, requested_by=actor)
    as_json = json.dumps(export, indent=2, ensure_ascii=False).encode("utf-8")
    as_pdf = subject_access_pdf(export)
    out_dir.mkdir(parents=True, exist_ok=True)
    record_access(
        action=AccessAction.EXPORT,
        object_type="subject_access",
        object_ids=[person.pk],
        person_ids=[person.pk, *(p["id"] for p in export["third_party_people"])],
        actor=actor,
        username="" if actor is not None else operator_name(),
        reason=reason[:500],
        detail={"disclosed_to": DISCLOSED_TO, "format": "json+pdf"},
    )
    json_path, pdf_path = subject_access_paths(person, out_dir)
    json_path.write_bytes(as_json)
    pdf_path.write_bytes(as_pdf)
    return json_path, pdf_path
