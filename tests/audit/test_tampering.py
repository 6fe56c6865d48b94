"""verify_audit finds every edit, deletion and insertion made behind the application's back, as an attacker
with database access would make them (triggers dropped first); an anchor kept elsewhere finds a cut tail."""

import datetime
import hashlib
import uuid

import pytest
from django.db import connection

from ooh.audit.models import AccessLog
from ooh.audit.records import record_access

from .tampering import LOG_TABLE, PEOPLE_TABLE, assert_broken_at, forged_row, verify


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
