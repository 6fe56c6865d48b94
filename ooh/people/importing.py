"""Bulk import of people, addresses, relationships and flags from CSV, keyed on the source's ids.

Every row goes through the same domain actions as the API, each in its own savepoint: a bad row is
written to the errors file with its line number and reason, every good row is kept, and a rerun of
the same file updates records instead of duplicating them.
"""

import csv
import datetime
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict, TypeVar, overload

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ooh.accounts.models import Agency, User
from ooh.flags import actions as flag_actions
from ooh.flags.models import Flag, FlagCategory, Severity

from . import actions
from .models import Address, IdentifierScheme, Person, PersonStatus, Relationship, RelationshipKind, Sex

# Columns per file; the first list is required in the header, the second optional.
COLUMNS = {
    "addresses": (["external_id", "line1", "postcode"], ["line2", "town", "uprn"]),
    "people": (
        ["external_id", "family_name"],
        [
            "given_name",
            "aliases",
            "date_of_birth",
            "expected_date",
            "status",
            "sex",
            "nhs_number",
            "pnc_id",
            "social_care_id",
            "local_id",
            "address_external_id",
        ],
    ),
    "relationships": (["external_id", "from_person", "kind", "to_person"], []),
    "flags": (
        ["external_id", "category", "severity", "summary", "valid_from"],
        [
            "person_external_id",
            "address_external_id",
            "handling_instructions",
            "valid_until",
            "review_by",
            "source_agency",
            "owner",
        ],
    ),
}
# Import order when several files are given: what a row refers to is imported first.
ORDER = ["addresses", "people", "relationships", "flags"]
IDENTIFIER_COLUMNS = {
    "nhs_number": IdentifierScheme.NHS_NUMBER,
    "pnc_id": IdentifierScheme.PNC_ID,
    "social_care_id": IdentifierScheme.SOCIAL_CARE_ID,
    "local_id": IdentifierScheme.LOCAL,
}


# A CSV row by column name, and what reading it gives a write action.
Row = Mapping[str, str]
Progress = Callable[[Iterable[Row]], Iterable[Row]]
_Model = TypeVar("_Model", bound=models.Model)


class _AddressValues(TypedDict):
    line1: str
    line2: str
    town: str
    postcode: str
    uprn: int | None


class _PersonValues(TypedDict):
    given_name: str
    family_name: str
    aliases: list[str]
    date_of_birth: datetime.date | None
    expected_date: datetime.date | None
    status: str
    sex: str | None


class _FlagValues(TypedDict):
    category: str
    severity: str
    summary: str
    handling_instructions: str
    valid_from: datetime.datetime | None
    valid_until: datetime.datetime | None
    review_by: datetime.date | None


class RowError(Exception):
    """A row that cannot be imported; the message is written to the errors file."""


@dataclass
class ImportResult:
    kind: str
    path: Path
    errors_path: Path | None = None
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def rejected(self) -> int:
        return self.outcomes["rejected"]


def kind_of(path: Path) -> str:
    stem = path.stem.lower()
    for kind in COLUMNS:
        if (
            stem == kind
            or stem.endswith(f"_{kind}")
            or stem.startswith(f"{kind}_")
            or stem.startswith(f"{kind}-")
        ):
            return kind
    raise RowError(f"{path.name}: name the file after what it holds ({', '.join(f'{k}.csv' for k in ORDER)})")


# --- Cell parsers: each names the column it refuses ---------------------------------------------


def _text(row: Row, column: str, *, required: bool = False, max_length: int | None = None) -> str:
    value = (row.get(column) or "").strip()
    if required and not value:
        raise RowError(f"{column}: required")
    if max_length and len(value) > max_length:
        raise RowError(f"{column}: at most {max_length} characters")
    return value


def _choice(row: Row, column: str, choices: Sequence[str], *, default: str | None = None) -> str:
    value = _text(row, column).lower()
    if not value:
        if default is None:
            raise RowError(f"{column}: required; one of {', '.join(choices)}")
        return default
    if value not in choices:
        raise RowError(f"{column}: {value!r} is not one of {', '.join(choices)}")
    return value


def _date(row: Row, column: str) -> datetime.date | None:
    value = _text(row, column)
    if not value:
        return None
    try:
        parsed = parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowError(f"{column}: {value!r} is not a date (YYYY-MM-DD)")
    return parsed


def _datetime(row: Row, column: str, *, required: bool = False) -> datetime.datetime | None:
    value = _text(row, column, required=required)
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
        day = parse_date(value) if parsed is None else None
        if day is not None:
            parsed = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowError(f"{column}: {value!r} is not a date and time (ISO 8601)")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, datetime.UTC)


@overload
def _ref(model: type[_Model], row: Row, column: str, *, required: Literal[True]) -> _Model: ...
@overload
def _ref(model: type[_Model], row: Row, column: str, *, required: bool = False) -> _Model | None: ...
def _ref(model: type[_Model], row: Row, column: str, *, required: bool = False) -> _Model | None:
    key = _text(row, column, required=required)
    if not key:
        return None
    # objects, the default manager, by the name the checker knows on any model class
    found = model._default_manager.filter(external_id=key).first()
    if found is None:
        raise RowError(f"{column}: no {model._meta.verbose_name} with external id {key!r} (import it first)")
    return found


def _changed(instance: models.Model, values: Mapping[str, object]) -> bool:
    return any(getattr(instance, name) != value for name, value in values.items())


# --- One handler per kind: returns "created", "updated" or "unchanged" --------------------------


def _address(row: Row, actor: User) -> str:
    uprn_text = _text(row, "uprn")
    if uprn_text and not uprn_text.isdigit():
        raise RowError(f"uprn: {uprn_text!r} is not a number")
    values: _AddressValues = {
        "line1": _text(row, "line1", required=True, max_length=200),
        "line2": _text(row, "line2", max_length=200),
        "town": _text(row, "town", max_length=100),
        "postcode": _text(row, "postcode", required=True, max_length=16),
        "uprn": int(uprn_text) if uprn_text else None,
    }
    existing = Address.objects.filter(external_id=row["external_id"].strip()).first()
    if existing is None:
        actions.create_address(actor=actor, external_id=row["external_id"].strip(), **values)
        return "created"
    return "updated" if actions.update_address(actor=actor, address=existing, **values) else "unchanged"


def _person(row: Row, actor: User) -> str:
    values: _PersonValues = {
        "given_name": _text(row, "given_name", max_length=100),
        "family_name": _text(row, "family_name", required=True, max_length=100),
        "aliases": [a.strip() for a in _text(row, "aliases").split(";") if a.strip()],
        "date_of_birth": _date(row, "date_of_birth"),
        "expected_date": _date(row, "expected_date"),
        "status": _choice(row, "status", PersonStatus.values, default=PersonStatus.LIVING),
        "sex": _choice(row, "sex", Sex.values, default="") or None,
    }
    identifiers = [
        {"scheme": scheme, "value": _text(row, column, max_length=64)}
        for column, scheme in IDENTIFIER_COLUMNS.items()
        if _text(row, column)
    ]
    address = _ref(Address, row, "address_external_id")
    existing = Person.objects.filter(external_id=row["external_id"].strip()).first()
    if existing is None:
        actions.create_person(
            actor=actor,
            external_id=row["external_id"].strip(),
            identifiers=identifiers,
            current_address=address,
            **values,
        )
        return "created"
    current = existing.residences.filter(current=True).values_list("address_id", flat=True).first()
    old_identifiers = sorted(existing.identifiers.values_list("scheme", "value"))
    new_identifiers = sorted((i["scheme"], i["value"]) for i in identifiers)
    address_id = address.pk if address else None
    if not _changed(existing, values) and old_identifiers == new_identifiers and current == address_id:
        return "unchanged"
    actions.update_person(
        actor=actor, person=existing, identifiers=identifiers, current_address=address, **values
    )
    return "updated"


def _relationship(row: Row, actor: User) -> str:
    key = row["external_id"].strip()
    from_person = _ref(Person, row, "from_person", required=True)
    to_person = _ref(Person, row, "to_person", required=True)
    kind = _choice(row, "kind", RelationshipKind.values)
    existing = Relationship.objects.filter(external_id=key).first()
    if existing is not None:
        if (existing.from_person_id, existing.to_person_id, existing.kind) == (
            from_person.pk,
            to_person.pk,
            kind,
        ):
            return "unchanged"
        raise RowError(
            "external_id: already used for a different link; a link cannot be changed, only removed"
        )
    actions.link_people(actor=actor, from_person=from_person, to_person=to_person, kind=kind, external_id=key)
    return "created"


def _flag(row: Row, actor: User) -> str:
    key = row["external_id"].strip()
    person = _ref(Person, row, "person_external_id")
    address = _ref(Address, row, "address_external_id")
    if (person is None) == (address is None):
        raise RowError("person_external_id: give exactly one of person_external_id and address_external_id")
    agency_code = _text(row, "source_agency")
    agency = Agency.objects.filter(code=agency_code).first() if agency_code else actor.membership.agency
    if agency is None:
        raise RowError(f"source_agency: no agency with code {agency_code!r}")
    owner_name = _text(row, "owner")
    owner = get_user_model().objects.filter(username=owner_name).first() if owner_name else actor
    if owner is None:
        raise RowError(f"owner: no user {owner_name!r}")
    values: _FlagValues = {
        "category": _choice(row, "category", FlagCategory.values),
        "severity": _choice(row, "severity", Severity.values),
        "summary": _text(row, "summary", required=True, max_length=200),
        "handling_instructions": _text(row, "handling_instructions"),
        "valid_from": _datetime(row, "valid_from", required=True),
        "valid_until": _datetime(row, "valid_until"),
        "review_by": _date(row, "review_by"),
    }
    existing = Flag.objects.filter(external_id=key).first()
    if existing is None:
        flag_actions.raise_flag(
            actor=actor,
            subject_person=person,
            subject_address=address,
            owner=owner,
            source_agency=agency,
            external_id=key,
            **values,
        )
        return "created"
    if (existing.subject_person_id, existing.subject_address_id) != (
        person.pk if person else None,
        address.pk if address else None,
    ):
        raise RowError("external_id: already used for a flag on someone else; a flag cannot move")
    if not _changed(existing, {**values, "owner_id": owner.pk}):
        return "unchanged"
    flag_actions.edit_flag(actor=actor, flag=existing, owner=owner, **values)
    return "updated"


HANDLERS: dict[str, Callable[[Row, User], str]] = {
    "addresses": _address,
    "people": _person,
    "relationships": _relationship,
    "flags": _flag,
}


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(m for e in errors for m in e.messages)}"
            for name, errors in exc.error_dict.items()
        )
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    if isinstance(exc, IntegrityError):
        return f"conflicts with an existing record ({str(exc).splitlines()[0]})"
    return str(exc)


def import_file(
    path: Path,
    *,
    actor: User,
    kind: str | None = None,
    errors_path: Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one CSV file; returns the outcome counts and where the rejected rows were written."""
    kind = kind or kind_of(path)
    required, optional = COLUMNS[kind]
    result = ImportResult(kind=kind, path=path)
    errors_path = errors_path or path.with_name(f"{path.stem}.errors.csv")
    handler = HANDLERS[kind]
    with path.open(newline="", encoding="utf-8-sig") as source:
        reader = csv.DictReader(source)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise RowError(
                f"{path.name}: missing column(s) {', '.join(missing)}; expected {', '.join(required + optional)}"
            )
        reader.fieldnames = header
        errors_file = None
        try:
            rows = progress(reader) if progress else reader
            for row in rows:
                line = reader.line_num
                try:
                    if not _text(row, "external_id"):
                        raise RowError("external_id: required (it keys reruns)")
                    with transaction.atomic():
                        outcome = handler(row, actor)
                except (RowError, ValidationError, IntegrityError, PermissionDenied, ValueError) as exc:
                    outcome = "rejected"
                    if errors_file is None:
                        errors_file = errors_path.open("w", newline="", encoding="utf-8")
                        writer = csv.writer(errors_file)
                        writer.writerow(["line", "reason", *header])
                    writer.writerow([line, _reason(exc), *(row.get(h, "") for h in header)])
                result.outcomes[outcome] += 1
        finally:
            if errors_file is not None:
                errors_file.close()
                result.errors_path = errors_path
    if result.errors_path is None and errors_path.exists():
        errors_path.unlink()  # a clean rerun leaves no stale errors file behind
    return result
