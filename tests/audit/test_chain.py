"""The access log is a hash chain, as the application writes it: rows numbered from one, each carrying the
hash of the one before, verified by verify_audit, never forked by concurrent writers, and chained by the
migration for rows written before it. What tampering verify_audit finds is test_tampering.py."""

import datetime
import threading
import uuid

import pytest
from django.core.management import CommandError
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import RequestFactory

from ooh.audit.chain import GENESIS_HASH, row_hash
from ooh.audit.models import AccessLog
from ooh.audit.records import record_access

from .tampering import LOG_TABLE, stored, verify


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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reads_arriving_together_share_one_acquisition_of_the_chain_lock(monkeypatch):
    """A storm's read rows are written in batches (one transaction, one lock) and each caller still
    returns only once its own row is committed, chained and naming its people."""
    from ooh.audit import records

    gate = threading.Event()
    writes = records._append_rows
    first_batch = threading.Event()

    def slow_first_batch(batch):
        if not first_batch.is_set():
            first_batch.set()
            assert gate.wait(10)  # the first row holds the lock while the others arrive
        writes(batch)

    monkeypatch.setattr(records, "_append_rows", slow_first_batch)
    committed = records.group_commit()
    batches, rows = committed.batches, committed.rows
    threads, returned, failures = 24, [], []
    people = {n: [uuid.uuid4(), uuid.uuid4()] for n in range(threads)}

    def read(n):
        try:
            log = record_access(action="read", object_type="incident", person_ids=people[n], username=f"r{n}")
            with connections["default"].cursor() as cursor:  # committed: visible to a fresh statement
                cursor.execute(f"SELECT chain_seq FROM {LOG_TABLE} WHERE id = %s", [log.pk])
                assert cursor.fetchone() == (log.chain_seq,)
            returned.append(log)
        except Exception as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=read, args=(n,)) for n in range(threads)]
    workers[0].start()
    assert first_batch.wait(10)
    for worker in workers[1:]:
        worker.start()
    while len(committed._waiting) < threads - 1 and not failures:  # all queued behind the first
        threading.Event().wait(0.005)
    gate.set()
    for worker in workers:
        worker.join(30)

    assert failures == []
    assert committed.rows - rows == threads
    assert committed.batches - batches == 2, "the first row alone, then every other in one batch"
    assert sorted(log.chain_seq for log in returned) == list(range(1, threads + 1))
    for log in returned:
        assert sorted(map(str, log.people.values_list("person_id", flat=True))) == sorted(
            map(str, people[int(log.username[1:])])
        )
    code, _out, err = verify()
    assert (code, err) == (0, "")
