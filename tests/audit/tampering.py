"""The tools of someone who edits the access log behind the application's back, and the check they are
caught by (verify_audit)."""

import datetime
import io
import uuid

from django.core.management import call_command
from django.db import connection

from ooh.audit.chain import CHAINED_FIELDS, GENESIS_HASH, row_hash
from ooh.audit.models import AccessedPerson, AccessLog

LOG_TABLE = AccessLog._meta.db_table
PEOPLE_TABLE = AccessedPerson._meta.db_table


def verify(*args) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `manage.py verify_audit`."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def assert_broken_at(log_or_seq, problem: str, *args):
    """verify_audit exits 1 with one line naming that row (chain_seq and id) and the problem."""
    code, out, err = verify(*args)
    assert code == 1, out
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    if isinstance(log_or_seq, int):
        assert f"chain broken at chain_seq {log_or_seq}: " in lines[0], lines[0]
    else:
        assert f"chain broken at chain_seq {log_or_seq.chain_seq} (id {log_or_seq.pk}): " in lines[0], lines[
            0
        ]
    assert problem in lines[0], lines[0]


def stored(pk) -> dict:
    """A log row as the database holds it, with the people it discloses."""
    row = AccessLog.objects.values(*CHAINED_FIELDS, "prev_hash", "hash").get(pk=pk)
    row["people"] = list(AccessedPerson.objects.filter(log_id=pk).values_list("person_id", flat=True))
    return row


class Attacker:
    """Someone with write access to the database: raw SQL, and on PostgreSQL the append-only triggers
    disabled first (inside the test's transaction, so the next test has them back)."""

    def __init__(self):
        if connection.vendor == "postgresql":
            # The rows were inserted in this same transaction: ALTER TABLE needs their deferred
            # foreign-key checks run first.
            self.sql("SET CONSTRAINTS ALL IMMEDIATE")
            for table in (LOG_TABLE, PEOPLE_TABLE):
                self.sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")

    def sql(self, statement, params=()):
        with connection.cursor() as cursor:
            cursor.execute(statement, list(params))

    def set(self, log, **columns):
        """UPDATE a log row's columns, values given as the application holds them."""
        names = [AccessLog._meta.get_field(name) for name in columns]
        assignments = ", ".join(f"{field.column} = %s" for field in names)
        values = [
            field.get_db_prep_save(value, connection)
            for field, value in zip(names, columns.values(), strict=True)
        ]
        self.sql(f"UPDATE {LOG_TABLE} SET {assignments} WHERE id = %s", [*values, self.pk(log.pk)])

    def insert(self, log: AccessLog, people=()):
        fields = AccessLog._meta.concrete_fields
        columns = ", ".join(f.column for f in fields)
        values = [f.get_db_prep_save(getattr(log, f.attname), connection) for f in fields]
        self.sql(f"INSERT INTO {LOG_TABLE} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", values)
        for person_id in people:
            self.add_person(log, person_id)

    def add_person(self, log, person_id):
        self.sql(
            f"INSERT INTO {PEOPLE_TABLE} (log_id, person_id) VALUES (%s, %s)",
            [self.pk(log.pk), self.uuid(person_id)],
        )

    def rehash(self, log):
        """Give a row the hash its current content would have, as someone who read chain.py would."""
        row = stored(log.pk)
        self.set(log, hash=row_hash(row["prev_hash"], row, row["people"]))

    def rehash_from(self, chain_seq):
        """Re-link and re-hash every row from chain_seq to the end: a rewrite the chain alone cannot see."""
        prev_hash = AccessLog.objects.get(chain_seq=chain_seq - 1).hash if chain_seq > 1 else GENESIS_HASH
        for log in AccessLog.objects.filter(chain_seq__gte=chain_seq).order_by("chain_seq"):
            self.set(log, prev_hash=prev_hash)
            self.rehash(log)
            prev_hash = AccessLog.objects.get(pk=log.pk).hash

    def pk(self, value):
        return AccessLog._meta.pk.get_db_prep_value(value, connection)

    def uuid(self, value):
        return AccessedPerson._meta.get_field("person_id").get_db_prep_value(value, connection)


def forged_row(*, chain_seq, prev_hash, pk=None, people=()) -> AccessLog:
    """A row the application never wrote, hashed as verify_audit would hash it."""
    log = AccessLog(
        id=pk or uuid.uuid4(),
        at=datetime.datetime(2026, 11, 24, 23, 40, tzinfo=datetime.UTC),
        username="alice",
        action="read",
        object_type="person",
        chain_seq=chain_seq,
        prev_hash=prev_hash,
    )
    log.hash = row_hash(prev_hash, {name: getattr(log, name) for name in CHAINED_FIELDS}, people)
    return log
