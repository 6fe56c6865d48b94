"""Where the rows go: the tables in write order, and a sink that holds one batch of rows and writes it
in one transaction (COPY on PostgreSQL, bulk_create elsewhere)."""

import json

from django.db import connection, models, transaction

from ooh.flags.models import Flag
from ooh.people.models import Address, Person, PersonIdentifier, Relationship, Residence

# One row's values, in its table's attribute order.
Row = tuple[object, ...]
# (model, attribute names in row order). Written in this order, so every foreign key already exists.
TABLES: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (
        Address,
        (
            "id",
            "line1",
            "line2",
            "town",
            "postcode",
            "uprn",
            "search_text",
            "created_by_id",
            "recorded_by_agency_id",
            "created_at",
        ),
    ),
    (
        Person,
        (
            "id",
            "given_name",
            "family_name",
            "aliases",
            "date_of_birth",
            "expected_date",
            "status",
            "sex",
            "search_text",
            "created_by_id",
            "recorded_by_agency_id",
            "created_at",
            "updated_at",
        ),
    ),
    (PersonIdentifier, ("person_id", "scheme", "value")),
    (Residence, ("person_id", "address_id", "current", "since", "until", "created_at")),
    (
        Relationship,
        ("id", "from_person_id", "to_person_id", "kind", "created_by_id", "created_at", "end_reason"),
    ),
    (
        Flag,
        (
            "id",
            "subject_person_id",
            "subject_address_id",
            "category",
            "group",
            "severity",
            "summary",
            "handling_instructions",
            "source_agency_id",
            "owner_id",
            "valid_from",
            "valid_until",
            "review_by",
            "status",
            "version",
            "revoked_at",
            "revoked_by_id",
            "revoked_reason",
            "created_by_id",
            "created_at",
            "updated_at",
        ),
    ),
)
JSON_ATTRS = {(Person, "aliases")}


class Sink:
    """Rows per table for the current batch; flush() writes them in one transaction and forgets them."""

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[Row]] = {model: [] for model, _ in TABLES}
        self.written = {model: 0 for model, _ in TABLES}

    def flush(self) -> None:
        if not any(self.rows.values()):
            return
        with transaction.atomic():
            self._write()
        for model, rows in self.rows.items():
            self.written[model] += len(rows)
            rows.clear()

    def _write(self) -> None:
        raise NotImplementedError


class CopySink(Sink):
    """PostgreSQL: COPY ... FROM STDIN per table, the fastest way in that still checks every constraint."""

    def __init__(self) -> None:
        super().__init__()
        quote = connection.ops.quote_name
        self.statements = {}
        for model, attrs in TABLES:
            columns = {f.attname: f.column for f in model._meta.concrete_fields}
            cols = ", ".join(quote(columns[a]) for a in attrs)
            self.statements[model] = f"COPY {quote(model._meta.db_table)} ({cols}) FROM STDIN"
        self.json_index = {
            model: [i for i, a in enumerate(attrs) if (model, a) in JSON_ATTRS] for model, attrs in TABLES
        }

    def _write(self) -> None:
        with connection.cursor() as cursor:
            # Safe for a bulk load: a crash loses at most the last batches, never consistency.
            cursor.execute("SET LOCAL synchronous_commit = off")
            for model, _attrs in TABLES:
                rows = self.rows[model]
                if not rows:
                    continue
                json_index = self.json_index[model]
                with cursor.copy(self.statements[model]) as copy:
                    if json_index:
                        for row in rows:
                            values = list(row)
                            for i in json_index:
                                values[i] = json.dumps(values[i])
                            copy.write_row(values)
                    else:
                        for row in rows:
                            copy.write_row(row)


class BulkCreateSink(Sink):
    """Any other database (SQLite for tests and the laptop demo): bulk_create, same rows."""

    def _write(self) -> None:
        for model, attrs in TABLES:
            rows = self.rows[model]
            if rows:
                # objects, the default manager, by the name the checker knows on any model class
                model._default_manager.bulk_create(
                    [model(**dict(zip(attrs, row, strict=True))) for row in rows]
                )


def sink_for_connection() -> Sink:
    return CopySink() if connection.vendor == "postgresql" else BulkCreateSink()


def analyze_tables() -> None:
    """PostgreSQL: fresh planner statistics, so the first queries after a big load plan well."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model, _ in TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
