"""Legal holds: the data protection officer places and releases them (anyone else is refused, 403),
each audited; what a hold covers is never disposed of (409 and nothing removed)."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ooh.audit.models import AccessAction, AccessLog
from ooh.errors import Conflict
from ooh.incidents.models import Event, Incident
from ooh.people.models import Person
from ooh.records.holds import held_targets, place_hold, release_hold
from ooh.records.models import LegalHold, RetentionRun, Tombstone
from ooh.records.retention import apply_retention, dispose, due_records
from tests.personas import agency
from tests.records.test_retention import TODAY, make_aged, make_staff, snapshot_of_every_table

REASON = "Public inquiry into the Held family ordered these kept"


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def aged(staff):
    """The retention tests' world (tests/records/test_retention.py), with its hold on Hal."""
    return make_aged(staff)


@pytest.fixture
def due(aged):
    """The held incident as the schedule lists it: due, and held."""
    return next(d for d in due_records(TODAY) if d.record_id == aged["held"].pk)


def test_the_data_protection_officer_places_a_hold_audited(staff, aged):
    hold = place_hold(
        actor=staff["dora"], scope="incident", target_id=aged["incident_past"].pk, reason=REASON
    )
    assert (hold.scope, hold.target_id, hold.placed_by, hold.in_force) == (
        "incident",
        aged["incident_past"].pk,
        staff["dora"],
        True,
    )
    row = AccessLog.objects.get(object_type="legal_hold", object_ids=[str(hold.pk)])
    assert row.action == AccessAction.CREATE
    assert row.user == staff["dora"]
    assert row.reason == REASON
    assert row.incident_id == aged["incident_past"].pk
    assert row.detail == {"scope": "incident", "target": str(aged["incident_past"].pk)}
    assert aged["incident_past"].pk in held_targets().incidents


@pytest.mark.parametrize("who", ["alice", "dana", "mia"])
def test_anyone_but_the_data_protection_officer_is_refused_writing_nothing(staff, aged, who):
    before = (LegalHold.objects.count(), AccessLog.objects.count())
    with pytest.raises(PermissionDenied):
        place_hold(actor=staff[who], scope="person", target_id=aged["plain"].pk, reason=REASON)
    hold = LegalHold.objects.get()  # the fixture's hold on Hal
    with pytest.raises(PermissionDenied):
        release_hold(actor=staff[who], hold=hold, reason="The inquiry has reported")
    assert (LegalHold.objects.count(), AccessLog.objects.count()) == before
    assert LegalHold.objects.get().in_force


@pytest.mark.parametrize(
    ("scope", "target", "reason", "field"),
    [
        ("person", uuid.uuid4(), REASON, "id"),  # nobody has this id
        ("incident", "not-an-id", REASON, "id"),
        ("planet", uuid.uuid4(), REASON, "scope"),
        ("person", None, "Inquiry", "reason"),  # too short
    ],
)
def test_bad_holds_name_the_field(staff, aged, scope, target, reason, field):
    target = target or aged["plain"].pk
    with pytest.raises(ValidationError) as raised:
        place_hold(actor=staff["dora"], scope=scope, target_id=target, reason=reason)
    assert field in raised.value.message_dict


def test_a_released_hold_lets_the_schedule_apply_again(staff, aged):
    hold = LegalHold.objects.get()
    released = release_hold(actor=staff["dora"], hold=hold, reason="The inquiry has reported")
    assert (released.released_by, released.in_force) == (staff["dora"], False)
    row = AccessLog.objects.get(object_type="legal_hold", action=AccessAction.REVOKE)
    assert row.reason == "The inquiry has reported"
    with pytest.raises(Conflict):
        release_hold(actor=staff["dora"], hold=hold, reason="The inquiry has reported")
    report = apply_retention(today=TODAY)
    assert aged["held"].pk in {t.record_id for t in report.tombstones}


def test_disposing_of_a_held_record_is_a_conflict_and_removes_nothing(aged, due):
    assert due.held
    run = RetentionRun.objects.create(today=TODAY, trigger="command", started_at=timezone.now())
    before = snapshot_of_every_table()
    with pytest.raises(Conflict) as raised:
        dispose(due, run=run)
    assert raised.value.code == "legal_hold"
    assert snapshot_of_every_table() == before
    assert Incident.objects.filter(pk=aged["held"].pk).exists()
    assert Event.objects.filter(incident=aged["held"]).exists()


def test_a_hold_placed_after_the_list_was_made_still_keeps_the_record(staff, aged):
    listed = next(d for d in due_records(TODAY) if d.record_id == aged["incident_past"].pk)
    assert not listed.held
    place_hold(actor=staff["dora"], scope="incident", target_id=aged["incident_past"].pk, reason=REASON)
    run = RetentionRun.objects.create(today=TODAY, trigger="command", started_at=timezone.now())
    with pytest.raises(Conflict):
        dispose(listed, run=run)
    assert Incident.objects.filter(pk=aged["incident_past"].pk).exists()
    assert not Tombstone.objects.exists()


def test_an_agency_hold_covers_every_record_the_agency_owns(staff, aged):
    place_hold(actor=staff["dora"], scope="agency", target_id=agency("police").pk, reason=REASON)
    report = apply_retention(today=TODAY)
    assert {t.record_type for t in report.tombstones} == {"concern"}  # the police opened every incident
    assert report.run.held == 3


def test_a_person_hold_covers_them_and_every_record_they_are_a_subject_of(staff, aged):
    place_hold(actor=staff["dora"], scope="person", target_id=aged["other"].pk, reason=REASON)
    report = apply_retention(today=TODAY)
    disposed = {t.record_id for t in report.tombstones}
    assert aged["concern_past"].pk not in disposed  # Olive is its subject
    assert aged["incident_past"].pk in disposed
    assert Person.objects.get(pk=aged["other"].pk).family_name == "Other"
