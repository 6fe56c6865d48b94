"""One definition of each shape the clients read: a person, an address, a flag, a plan summary, an
attendance row, an appointment, an agency, a user.

Each shape is a list of fields, rendered two ways from that one list: `row(obj)` for the ORM path (the
snapshot, the events, the ORM linked picture) and `sql(alias)` for the linked picture's single
PostgreSQL statement. tests/picture/test_linked_sql.py proves the two give identical JSON.

This module imports nothing from the domain (it reads attributes by name), so the core's events and the
read model above it can both use it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


def iso_datetime(value: datetime | None) -> str | None:
    """'2026-11-24T01:02:03.000450Z' (no fraction when it is zero); iso_utc() renders the same in SQL."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def iso_utc(expr: str) -> str:
    """SQL rendering a timestamptz exactly as iso_datetime does."""
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL "
        f"WHEN extract(microseconds FROM {expr})::bigint %% 1000000 = 0 "
        f"""THEN to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') """
        f"""ELSE to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END"""
    )


def _text_id(value: Any) -> str | None:
    return str(value) if value is not None else None


# How each kind of field reads from a model instance, and how the same column renders in SQL (json
# renders uuids, dates, text, numbers and booleans as the Python side does).
_PYTHON: dict[str, Callable[[Any], Any]] = {
    "value": lambda value: value,
    "list": list,
    "id": _text_id,
    "date": iso_date,
    "datetime": iso_datetime,
}


@dataclass(frozen=True)
class Field:
    key: str
    kind: str = "value"  # value | list | id | date | datetime | nested (given by the caller)
    column: str | None = None  # the attribute and column, when it is not the key

    def python(self, obj: Any) -> Any:
        return _PYTHON[self.kind](getattr(obj, self.column or self.key))

    def sql(self, alias: str) -> str:
        column = f'{alias}."{self.column or self.key}"'
        return iso_utc(column) if self.kind == "datetime" else column


@dataclass(frozen=True)
class Shape:
    name: str
    fields: tuple[Field, ...]

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]

    def row(self, obj: Any, **given: Any) -> dict[str, Any]:
        """The shape of one instance; `given` supplies the nested fields (and may override others)."""
        return {f.key: given[f.key] if f.key in given else f.python(obj) for f in self.fields}

    def sql(self, alias: str, **given: str) -> str:
        """json_build_object(...) of the row `alias`; `given` supplies SQL for the nested fields."""
        parts = (f"'{f.key}', {given[f.key] if f.key in given else f.sql(alias)}" for f in self.fields)
        return f"json_build_object({', '.join(parts)})"


def _fields(*specs: str) -> tuple[Field, ...]:
    """'key', 'key:kind' or 'key:kind:column'."""
    return tuple(Field(*spec.split(":")) for spec in specs)


AGENCY = Shape("agency", _fields("id:id", "code", "name", "kind"))
USER = Shape("user", _fields("id:id", "username", "display_name"))
PERSON = Shape(
    "person",
    _fields(
        "id:id",
        "given_name",
        "family_name",
        "aliases:list",
        "date_of_birth:date",
        "expected_date:date",
        "status",
        "sex",
        "identifiers:nested",
    ),
)
IDENTIFIER = Shape("identifier", _fields("scheme", "value"))
ADDRESS = Shape(
    "address", _fields("id:id", "line1", "line2", "town", "postcode", "uprn", "created_at:datetime")
)
FLAG = Shape(
    "flag",
    _fields(
        "id:id",
        "subject_person:id:subject_person_id",
        "subject_address:id:subject_address_id",
        "category",
        "group",
        "severity",
        "summary",
        "handling_instructions",
        "source_agency:nested",
        "owner:nested",
        "valid_from:datetime",
        "valid_until:datetime",
        "review_by:date",
        "status:nested",  # derived: expired once valid_until has passed
        "version",
        "created_at:datetime",
    ),
)
# An agency as a phone calls it: with its out-of-hours number.
AGENCY_CONTACT = Shape("agency_contact", _fields("id:id", "code", "name", "kind", "out_of_hours_phone"))
# A plan's key contact on the night: `call_out_of_hours` is the number to ring now - the contact's own
# out-of-hours number, else their agency's ("" when neither is known).
KEY_CONTACT = Shape(
    "key_contact",
    _fields(
        "agency:nested", "name", "role", "phone_in_hours", "phone_out_of_hours", "call_out_of_hours:nested"
    ),
)
# An agency the plan was shared with, and the latest version it has read (null: never read).
PLAN_SHARE = Shape("plan_share", _fields("agency:nested", "read_version:nested", "read_at:nested"))
PLAN_SUMMARY = Shape(
    "plan_summary",
    _fields(
        "id:id",
        "status",
        "version",
        "expected_date:date",
        "mother:id:mother_id",
        "unborn_child:id:unborn_child_id",
        "plan_at_birth",
        "home_birth_contingency",
        "out_of_hours_instructions",
        "parents_aware_of_plan",
        "parents_not_aware_reason",
        "people_excluded",
        "child_protection_status",
        "child_protection_since:date",
        "legal_status",
        "legal_status_since:date",
        "planned_place_of_birth",
        "hospital",
        "agreed_on:date",
        "activated_at:datetime",
        "authoring_agency:id:authoring_agency_id",
        "lead_professional:nested",
        "key_contacts_out_of_hours:nested",
        "shared_with:nested",
    ),
)
ATTENDANCE = Shape(
    "attendance",
    _fields(
        "id:id",
        "agency:nested",
        "status",
        "requested_at:datetime",
        "respond_by:datetime",
        "eta:datetime",
        "agreed_role",
        "note",
        "updated_at:datetime",
    ),
)
APPOINTMENT = Shape(
    "appointment",
    _fields(
        "id:id",
        "role",
        "user:nested",
        "agency:id:agency_id",
        "appointed_by:nested",
        "reason",
        "at:datetime",
        "accepted:nested",  # derived: the appointee has accepted (accepted_at is set)
        "accepted_at:datetime",
    ),
)
DECISION = Shape("decision", _fields("id:id", "decision", "rationale", "decided_by:nested", "at:datetime"))


def agency_row(agency: Any) -> dict[str, Any]:
    return AGENCY.row(agency)


def user_row(user: Any) -> dict[str, Any]:
    return USER.row(user)


def person_row(person: Any, identifiers: Any = ()) -> dict[str, Any]:
    return PERSON.row(person, identifiers=[IDENTIFIER.row(i) for i in identifiers])


def address_row(address: Any) -> dict[str, Any]:
    return ADDRESS.row(address)


def flag_row(flag: Any, now: datetime) -> dict[str, Any]:
    return FLAG.row(
        flag,
        source_agency=agency_row(flag.source_agency),
        owner=user_row(flag.owner),
        status=flag.effective_status(now),
    )


def key_contact_row(contact: Any) -> dict[str, Any]:
    return KEY_CONTACT.row(
        contact,
        agency=AGENCY_CONTACT.row(contact.agency),
        call_out_of_hours=contact.phone_out_of_hours or contact.agency.out_of_hours_phone,
    )


def plan_summary_row(plan: Any) -> dict[str, Any]:
    """Needs the plan's lead_professional, key_contacts (with agency), shares (with agency) and
    acknowledgements loaded (ooh.plans.queries.with_summary)."""
    lead = plan.lead_professional
    # Contacts with an out-of-hours number first: that is who answers tonight.
    contacts = sorted(plan.key_contacts.all(), key=lambda c: (c.phone_out_of_hours == "", c.pk))
    latest: dict[Any, Any] = {}
    for read in plan.acknowledgements.all():
        best = latest.get(read.agency_id)
        if best is None or (read.version, read.at) > (best.version, best.at):
            latest[read.agency_id] = read
    shares = sorted(plan.shares.all(), key=lambda s: s.agency.code)
    return PLAN_SUMMARY.row(
        plan,
        lead_professional=user_row(lead) if lead else None,
        key_contacts_out_of_hours=[key_contact_row(c) for c in contacts],
        shared_with=[
            PLAN_SHARE.row(
                share,
                agency=agency_row(share.agency),
                read_version=latest[share.agency_id].version if share.agency_id in latest else None,
                read_at=iso_datetime(latest[share.agency_id].at) if share.agency_id in latest else None,
            )
            for share in shares
        ],
    )


def attendance_row(row: Any) -> dict[str, Any]:
    """As the snapshot and the attendance endpoints show it (events carry the agency's id instead)."""
    return ATTENDANCE.row(row, agency=agency_row(row.agency))


def appointment_row(appointment: Any) -> dict[str, Any]:
    return APPOINTMENT.row(
        appointment,
        user=user_row(appointment.user),
        appointed_by=user_row(appointment.appointed_by),
        accepted=appointment.accepted_at is not None,  # a property of the model too, for the serializer
    )


def decision_row(decision: Any) -> dict[str, Any]:
    return DECISION.row(decision, decided_by=user_row(decision.decided_by))


ESCALATION = Shape(
    "escalation",
    _fields(
        "id:id",
        "rule",
        "level",
        "status",
        "message",
        "incident:id:incident_id",
        "raised_at:datetime",
        "next_level_at:datetime",
        "addressed_users:nested",
    ),
)


def escalation_row(escalation: Any, user_ids: Any = ()) -> dict[str, Any]:
    return ESCALATION.row(escalation, addressed_users=[str(u) for u in user_ids])
