"""The access log is a hash chain: verify_audit finds every edit, deletion and insertion made behind the
application's back, as an attacker with database access would make them (triggers dropped first)."""

import datetime
import hashlib
import io
import threading
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import RequestFactory

from ooh.audit.chain import CHAINED_FIELDS, GENESIS_HASH, row_hash
from ooh.audit.models import AccessedPerson, AccessLog
from ooh.audit.records import record_access

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


@pytest.fixture
def chain(alice):
    """Four rows written through record_access, each disclosing two people; rows 2 and 3 by alice."""
    logs = [record_access(action="read", object_type="person", person_ids=[uuid.uuid4(), uuid.uuid4()])]
    for n in (2, 3):
        request = RequestFactory().get(
            "/api/v1/people/", headers={"X-Access-Reason": f"call {n}"}, REMOTE_ADDR="10.2.3.4"
        )
        request.user = alice
        logs.append(
            record_access(
                action="read",
                object_type="network",
                object_ids=[uuid.uuid4()],
                person_ids=[uuid.uuid4(), uuid.uuid4()],
                request=request,
                incident_id=uuid.uuid4(),
                detail={"depth": 2},
            )
        )
    logs.append(record_access(action="update", object_type="flag", actor=alice, person_ids=[uuid.uuid4()]))
    return [AccessLog.objects.get(pk=log.pk) for log in logs]


@pytest.fixture
def attacker(chain):
    return Attacker()


@pytest.mark.django_db
class TestTheChainAsWritten:
    def test_an_empty_log_verifies(self):
        assert verify() == (0, f"0 rows verified; last chain_seq 0 hash {GENESIS_HASH}\n", "")

    def test_rows_written_through_record_access_verify(self, chain):
        code, out, err = verify()
        assert (code, err) == (0, "")
        assert out == f"4 rows verified; last chain_seq 4 hash {chain[-1].hash}\n"

    def test_rows_are_numbered_from_one_and_each_carries_the_hash_of_the_one_before(self, chain):
        assert [log.chain_seq for log in chain] == [1, 2, 3, 4]
        assert [log.prev_hash for log in chain] == [GENESIS_HASH] + [log.hash for log in chain[:-1]]
        assert len({log.hash for log in chain}) == 4

    def test_the_hash_covers_the_row_as_stored_and_the_people_it_discloses(self, chain):
        for log in chain:
            row = stored(log.pk)
            assert len(row["people"]) in (1, 2)
            assert row_hash(log.prev_hash, row, row["people"]) == log.hash
            assert row_hash(log.prev_hash, row, row["people"][:-1]) != log.hash

    def test_the_returned_row_carries_its_place_in_the_chain(self, chain):
        log = record_access(action="read", object_type="person")
        assert (log.chain_seq, log.prev_hash) == (5, chain[-1].hash)
        assert AccessLog.objects.get(pk=log.pk).hash == log.hash

    def test_values_the_database_spells_its_own_way_still_verify(self, alice):
        """jsonb prints 2.0 as 2.0 but 1e16 as 10000000000000000, inet lowers IPv6, SQLite drops zero
        microseconds: the hash is over what the database gives back, so none of it reads as tampering."""
        request = RequestFactory().get("/api/v1/people/", REMOTE_ADDR="2001:DB8::0:1")
        request.user = alice
        detail = {
            "n": 2.0,
            "big": 1e16,
            "small": 1.5e-7,
            "name": "Zoë \u2603",
            "nested": {"b": [1, 2.5, None]},
        }
        record_access(action="read", object_type="person", request=request, detail=detail)
        record_access(
            action="read", object_type="person", incident_id=str(uuid.uuid4()).upper(), object_ids=[1, "x"]
        )
        assert verify()[0] == 0

    def test_a_row_written_inside_a_transaction_that_rolls_back_leaves_no_gap(self, chain):
        def failing_action():
            with transaction.atomic():
                record_access(action="create", object_type="person", person_ids=[uuid.uuid4()])
                raise RuntimeError("the action failed")

        with pytest.raises(RuntimeError):
            failing_action()
        log = record_access(action="create", object_type="person")
        assert log.chain_seq == 5
        assert verify()[0] == 0

    def test_chunks_smaller_than_the_log_verify_the_same(self, chain):
        assert verify("--chunk-size", "1")[:2] == (
            0,
            f"4 rows verified; last chain_seq 4 hash {chain[-1].hash}\n",
        )
        assert verify("--chunk-size", "3")[0] == 0

    def test_a_bad_anchor_or_chunk_size_is_refused(self, db):
        with pytest.raises(CommandError, match="CHAIN_SEQ:HASH"):
            verify("--anchor", "4:not-a-hash")
        with pytest.raises(CommandError, match="at least 1"):
            verify("--chunk-size", "0")


@pytest.mark.django_db
class TestTamperingIsFound:
    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("at", datetime.datetime(2026, 1, 1, 3, 0, tzinfo=datetime.UTC)),
            ("user", None),
            ("username", "someone else"),
            ("agency", None),
            ("role", "manager"),
            ("action", "search"),
            ("object_type", "flag"),
            ("object_ids", ["another"]),
            ("incident_id", None),
            ("reason", "nothing to see"),
            ("request_id", "req-forged"),
            ("ip", "10.9.9.9"),
            ("detail", {"depth": 3}),
        ],
    )
    def test_an_edited_column(self, chain, attacker, column, value):
        attacker.set(chain[1], **{column: value})
        assert_broken_at(chain[1], "content changed")

    def test_an_accessed_person_changed(self, chain, attacker):
        attacker.sql(
            f"UPDATE {PEOPLE_TABLE} SET person_id = %s WHERE id = %s",
            [attacker.uuid(uuid.uuid4()), chain[2].people.first().pk],
        )
        assert_broken_at(chain[2], "content changed")

    def test_an_accessed_person_deleted(self, chain, attacker):
        attacker.sql(f"DELETE FROM {PEOPLE_TABLE} WHERE id = %s", [chain[2].people.first().pk])
        assert_broken_at(chain[2], "content changed")

    def test_an_accessed_person_added(self, chain, attacker):
        attacker.add_person(chain[1], uuid.uuid4())
        assert_broken_at(chain[1], "content changed")

    @pytest.mark.postgres
    def test_an_accessed_person_repeated(self, chain, attacker):
        attacker.sql(f"ALTER TABLE {PEOPLE_TABLE} DROP CONSTRAINT accessed_person_once")
        attacker.add_person(chain[1], chain[1].people.first().person_id)
        assert_broken_at(chain[1], "content changed")

    @pytest.mark.postgres
    def test_a_column_emptied(self, chain, attacker):
        attacker.sql(f"ALTER TABLE {LOG_TABLE} ALTER COLUMN at DROP NOT NULL")
        attacker.set(chain[1], at=None)
        assert_broken_at(chain[1], "content changed")

    def test_a_row_and_its_people_deleted(self, chain, attacker):
        attacker.sql(f"DELETE FROM {PEOPLE_TABLE} WHERE log_id = %s", [attacker.pk(chain[1].pk)])
        attacker.sql(f"DELETE FROM {LOG_TABLE} WHERE id = %s", [attacker.pk(chain[1].pk)])
        assert_broken_at(chain[2], "row missing before it")

    def test_the_first_row_deleted(self, chain, attacker):
        attacker.sql(f"DELETE FROM {PEOPLE_TABLE} WHERE log_id = %s", [attacker.pk(chain[0].pk)])
        attacker.sql(f"DELETE FROM {LOG_TABLE} WHERE id = %s", [attacker.pk(chain[0].pk)])
        assert_broken_at(chain[1], "row missing before it: the chain starts there")

    def test_a_forged_row_slipped_into_the_middle_with_a_valid_hash_of_its_own(self, chain, attacker):
        attacker.sql(f"UPDATE {LOG_TABLE} SET chain_seq = -chain_seq WHERE chain_seq > 2")
        attacker.sql(f"UPDATE {LOG_TABLE} SET chain_seq = 1 - chain_seq WHERE chain_seq < 0")
        people = [uuid.uuid4()]
        forged = forged_row(chain_seq=3, prev_hash=chain[1].hash, people=people)
        attacker.insert(forged, people=people)
        assert verify("--chunk-size", "2")[0] == 1
        moved = AccessLog.objects.get(pk=chain[2].pk)
        assert moved.chain_seq == 4
        assert_broken_at(moved, "link broken")

    def test_a_forged_row_appended_with_a_plausible_hash(self, chain, attacker):
        forged = forged_row(chain_seq=5, prev_hash=chain[3].hash)
        forged.hash = hashlib.sha256(b"looks like any other").hexdigest()
        attacker.insert(forged)
        assert_broken_at(forged, "content changed")

    @pytest.mark.postgres
    def test_a_forged_row_repeating_a_chain_seq(self, chain, attacker):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, LOG_TABLE)
        (unique,) = [name for name, c in constraints.items() if c["unique"] and c["columns"] == ["chain_seq"]]
        attacker.sql(f"ALTER TABLE {LOG_TABLE} DROP CONSTRAINT {unique}")
        forged = forged_row(chain_seq=2, prev_hash=chain[0].hash, pk=uuid.UUID(int=2**128 - 1))
        attacker.insert(forged)
        assert_broken_at(forged, "duplicate chain_seq")

    def test_an_edited_row_rehashed_but_not_its_successor(self, chain, attacker):
        attacker.set(chain[1], reason="nothing to see")
        attacker.rehash(chain[1])
        assert_broken_at(chain[2], "link broken")

    def test_only_the_first_broken_row_is_named(self, chain, attacker):
        attacker.set(chain[3], reason="later")
        attacker.set(chain[1], reason="earlier")
        assert_broken_at(chain[1], "content changed")


@pytest.mark.django_db
class TestAnAnchorKeptOutsideTheDatabase:
    """What the chain alone cannot see: the tail cut off, or every row from one on re-linked and
    re-hashed. A chain_seq:hash printed by an earlier run and kept elsewhere finds both."""

    def anchor(self, log):
        return ["--anchor", f"{log.chain_seq}:{log.hash}"]

    def test_an_anchor_of_an_intact_chain_verifies_as_the_log_grows(self, chain):
        record_access(action="read", object_type="person")
        assert verify(*self.anchor(chain[3]))[0] == 0

    def test_a_cut_tail_is_found_only_with_the_anchor(self, chain, attacker):
        attacker.sql(f"DELETE FROM {PEOPLE_TABLE} WHERE log_id = %s", [attacker.pk(chain[3].pk)])
        attacker.sql(f"DELETE FROM {LOG_TABLE} WHERE id = %s", [attacker.pk(chain[3].pk)])
        assert verify()[0] == 0
        assert_broken_at(4, "row missing: the chain ends at chain_seq 3", *self.anchor(chain[3]))

    def test_a_rewrite_rehashed_to_the_end_is_found_only_with_the_anchor(self, chain, attacker):
        attacker.set(chain[1], reason="nothing to see")
        attacker.rehash_from(2)
        assert verify()[0] == 0
        assert_broken_at(
            AccessLog.objects.get(pk=chain[3].pk), "not the anchored row", *self.anchor(chain[3])
        )


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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    """8 threads, each on its own connection, 20 rows each, half of them two rows per transaction:
    the advisory lock makes every row follow the one committed before it."""
    threads, per_thread, failures = 8, 20, []
    start = threading.Barrier(threads)

    def write(n):
        try:
            start.wait()
            for i in range(0, per_thread, 2):
                if n % 2:
                    with transaction.atomic():  # the lock is held to this commit
                        for j in (i, i + 1):
                            record_access(action="read", object_type="person", username=f"w{n}-{j}")
                else:
                    for j in (i, i + 1):
                        record_access(
                            action="read",
                            object_type="person",
                            person_ids=[uuid.uuid4()],
                            username=f"w{n}-{j}",
                        )
        except Exception as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    total = threads * per_thread
    assert sorted(AccessLog.objects.values_list("chain_seq", flat=True)) == list(range(1, total + 1))
    code, out, err = verify()
    assert (code, err) == (0, "")
    assert out.startswith(f"{total} rows verified; last chain_seq {total} ")


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_rows_written_before_the_chain_in_time_order():
    """Rows of the unchained log (migration 0002) get chain_seq in (at, id) order and verify; on
    PostgreSQL the append-only trigger is in force again afterwards."""
    before = [("audit", "0002_append_only_trigger")]
    executor = MigrationExecutor(connection)
    chained = executor.loader.graph.leaf_nodes("audit")
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        OldLog, OldPerson = apps.get_model("audit", "AccessLog"), apps.get_model("audit", "AccessedPerson")
        at = datetime.datetime(2026, 11, 24, 23, 40, tzinfo=datetime.UTC)
        written = [  # written out of time order, two rows at the same instant
            (at + datetime.timedelta(minutes=5), uuid.UUID(int=1)),
            (at, uuid.UUID(int=3)),
            (at, uuid.UUID(int=2)),
        ]
        for when, pk in written:
            log = OldLog.objects.create(id=pk, at=when, username="old", action="read", object_type="person")
            OldPerson.objects.create(log=log, person_id=uuid.uuid4())
        executor = MigrationExecutor(connection)
        executor.migrate(chained)
    finally:
        MigrationExecutor(connection).migrate(chained)  # the schema the other tests expect, whatever failed

    in_chain = list(AccessLog.objects.order_by("chain_seq").values_list("id", "chain_seq"))
    assert in_chain == [(uuid.UUID(int=2), 1), (uuid.UUID(int=3), 2), (uuid.UUID(int=1), 3)]
    assert verify()[:2] == (
        0,
        f"3 rows verified; last chain_seq 3 hash {AccessLog.objects.get(chain_seq=3).hash}\n",
    )
    assert record_access(action="read", object_type="person").chain_seq == 4
    assert verify()[0] == 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = %s", [f"{LOG_TABLE}_append_only"])
            assert cursor.fetchone() == ("O",)  # enabled for ordinary writes
