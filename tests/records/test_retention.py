"""Retention: a records of records of every class at injected dates; apply_retention disposes of exactly
those past their period, skips held ones, honours an agency's own period, writes nothing on a dry run,
leaves tombstones and a verifying audit chain, and the nightly task runs the same code."""

import datetime
import io
import uuid

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from alerts.models import Escalation, Notification
from ooh.accounts.models import User
from ooh.audit.models import AccessAction, AccessLog, AppendOnlyError
from ooh.incidents.actions import appoint, open_incident, record_decision, request_attendance
from ooh.incidents.details import close_incident
from ooh.incidents.models import (
    Appointment,
    Attendance,
    Decision,
    Event,
    Incident,
    IncidentAgency,
    IncidentSubject,
)
from ooh.people.models import Person, PersonIdentifier, Relationship, Residence
from ooh.records import schedule
from ooh.records.holds import place_hold
from ooh.records.models import RetentionRun, RunTrigger, Tombstone
from ooh.records.retention import ANONYMISED_NAME, apply_retention, due_records, local_date
from ooh.referrals import concerns as casework
from ooh.referrals.models import Concern, ConcernSubject, Consultation
from tests.factories import address, flag, link, person
from tests.personas import agency, persona

TODAY = datetime.date(2026, 6, 1)
AT = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)


def years_ago(years, days=0):
    """A moment `years` (and `days`) before TODAY, mid-day UTC."""
    return AT.replace(year=AT.year - years) - datetime.timedelta(days=days)


def closed_incident(alice, subjects, closed_at, *, busy=False):
    """An incident opened and closed through the actions, its closure then moved to `closed_at`. With
    `busy`, the night's records too: an attendance request, a decision maker, a decision, an escalation
    with its notification."""
    incident = open_incident(actor=alice, kind="welfare_concern", summary="Welfare check", subjects=subjects)
    if busy:
        request_attendance(
            actor=alice, incident=incident, agency=agency("ambulance"), respond_within_minutes=10
        )
        appoint(
            actor=alice,
            incident=incident,
            role="decision_maker",
            user=User.objects.get(username="hale"),
            reason="Sergeant on scene",
        )
        record_decision(
            actor=User.objects.get(username="hale"),
            incident=incident,
            decision="Stay with the family",
            rationale="Safe",
        )
        escalation = Escalation.objects.create(
            rule="eta_overdue",
            subject_key=f"eta:{uuid.uuid4()}",
            level=1,
            incident=incident,
            message="ETA passed",
            due_at=timezone.now(),
            raised_at=timezone.now(),
        )
        Notification.objects.create(
            user=alice,
            escalation=escalation,
            kind="escalation",
            title="t",
            body="b",
            created_at=timezone.now(),
        )
    close_incident(actor=alice, incident=incident, outcome="Family safe, no further action")
    Incident.objects.filter(pk=incident.pk).update(opened_at=closed_at, closed_at=closed_at)
    return incident


def closed_concern(dana, subjects, closed_at, *, consulted=None):
    concern = casework.raise_concern(
        actor=dana, subjects=subjects, summary="Worried", referral_required=False
    )
    if consulted is not None:
        casework.consult(actor=dana, concern=concern, with_user=consulted, note="Told the GP")
    casework.close_concern(actor=dana, concern=concern, reason="Resolved at home")
    Concern.objects.filter(pk=concern.pk).update(created_at=closed_at, closed_at=closed_at)
    return concern


def make_staff():
    return {name: persona(name) for name in ("alice", "hale", "dana", "dora", "mia")}


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def aged(staff):
    return make_aged(staff)


def make_aged(staff):
    """Records of each class, each a little past or a little short of its period on TODAY; Hal held."""
    alice, dana = staff["alice"], staff["dana"]
    home = address(dana, line1="3 Elm Row", postcode="NE2 1AA")
    plain = person(
        dana,
        given_name="Paul",
        family_name="Plain",
        date_of_birth=datetime.date(1990, 1, 1),
        current_address=home,
        identifiers=[{"scheme": "nhs_number", "value": "9434765919"}],
    )
    other = person(dana, given_name="Olive", family_name="Other", date_of_birth=datetime.date(1991, 2, 2))
    link(dana, plain, "partner_of", other)
    protected = person(dana, given_name="Kerry", family_name="Vale", date_of_birth=datetime.date(1998, 3, 3))
    flag(dana, on=protected, category="child_protection_plan", severity="high")
    looked_after = person(dana, given_name="Lee", family_name="Care", date_of_birth=datetime.date(2016, 4, 4))
    flag(dana, on=looked_after, category="looked_after_child", severity="medium")
    held_person = person(dana, given_name="Hal", family_name="Held", date_of_birth=datetime.date(1985, 5, 5))
    made = {
        # incident_no_safeguarding: 2 years from closure
        "incident_past": closed_incident(alice, [plain], years_ago(2, days=1), busy=True),
        "incident_short": closed_incident(alice, [other], years_ago(1, days=300)),
        # child_protection: 35 years from closure
        "cp_past": closed_incident(alice, [protected], years_ago(35, days=1)),
        "cp_short": closed_incident(alice, [protected], years_ago(34)),
        # looked_after: 75 years from the child's birth (Lee is 10), however long ago it closed
        "looked_after": closed_incident(alice, [looked_after], years_ago(40)),
        # held: past its period, kept by a hold on Hal
        "held": closed_incident(alice, [held_person], years_ago(5)),
        # concern_no_safeguarding: 6 years from closure
        "concern_past": closed_concern(dana, [other], years_ago(6, days=1), consulted=staff["mia"]),
        "concern_short": closed_concern(dana, [other], years_ago(5)),
    }
    still_open = person(dana, given_name="Opal", family_name="Open")
    open_incident(actor=alice, kind="other", summary="Still open", subjects=[still_open])  # never due
    Incident.objects.filter(closed_at__isnull=True).update(opened_at=years_ago(50))
    place_hold(
        actor=staff["dora"],
        scope="person",
        target_id=held_person.pk,
        reason="Inquiry into the Held family ordered",
    )
    return {
        **made,
        "still_open": still_open,
        "plain": plain,
        "other": other,
        "protected": protected,
        "held_person": held_person,
    }


def snapshot_of_every_table():
    """Every row of every table, as the database holds it: equal before and after means nothing written."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        rows = model._base_manager.order_by("pk").values_list()
        tables[model._meta.db_table] = [tuple(map(repr, row)) for row in rows]
    return tables


def test_the_schedule_lists_exactly_the_records_past_their_period(aged):
    due = {(d.record_type, d.record_id): d for d in due_records(TODAY)}
    expected = {aged[k].pk for k in ("incident_past", "cp_past", "held", "concern_past")}
    assert {record_id for _, record_id in due} == expected
    past = due[("incident", aged["incident_past"].pk)]
    assert past.record_class == schedule.INCIDENT_NO_SAFEGUARDING
    assert past.ran_from == local_date(years_ago(2, days=1))
    assert past.due_on == schedule.add_years(past.ran_from, 2)
    assert past.disposal == "delete"
    assert due[("incident", aged["cp_past"].pk)].record_class == schedule.CHILD_PROTECTION
    assert due[("concern", aged["concern_past"].pk)].record_class == schedule.CONCERN_NO_SAFEGUARDING
    assert due[("incident", aged["held"].pk)].held
    assert not past.held


def test_a_looked_after_childs_record_runs_from_birth_not_closure(aged):
    due = {d.record_id for d in due_records(datetime.date(2091, 4, 3))}
    assert aged["looked_after"].pk not in due  # the day before Lee's 75th birthday
    due = {d.record_id: d for d in due_records(datetime.date(2091, 4, 4))}
    assert due[aged["looked_after"].pk].record_class == schedule.LOOKED_AFTER
    assert due[aged["looked_after"].pk].ran_from == datetime.date(2016, 4, 4)


def test_apply_retention_disposes_of_exactly_the_records_due_and_skips_held_ones(aged):
    incident = aged["incident_past"]
    appointments = list(Appointment.objects.filter(incident=incident).values_list("pk", flat=True))
    assert appointments
    assert Event.objects.filter(incident=incident).exists()
    out = io.StringIO()
    call_command("apply_retention", "--today", TODAY.isoformat(), stdout=out)
    gone = {aged[k].pk for k in ("incident_past", "cp_past")}
    assert not Incident.objects.filter(pk__in=gone).exists()
    kept = {aged[k].pk for k in ("incident_short", "cp_short", "looked_after", "held")}
    assert set(Incident.objects.filter(pk__in=kept).values_list("pk", flat=True)) == kept
    assert not Concern.objects.filter(pk=aged["concern_past"].pk).exists()
    assert Concern.objects.filter(pk=aged["concern_short"].pk).exists()
    # everything of the disposed incident went with it
    for model in (Event, IncidentSubject, IncidentAgency, Attendance, Decision, Escalation):
        assert not model.objects.filter(incident_id=incident.pk).exists(), model
    assert not Appointment.objects.filter(pk__in=appointments).exists()
    assert not Notification.objects.filter(escalation__incident_id=incident.pk).exists()
    assert not Consultation.objects.filter(concern_id=aged["concern_past"].pk).exists()
    assert not ConcernSubject.objects.filter(concern_id=aged["concern_past"].pk).exists()
    # people stay (a person is anonymised on their own period, never with a record)
    assert Person.objects.get(pk=aged["plain"].pk).family_name == "Plain"
    text = out.getvalue()
    assert "HELD" in text
    assert "3 disposed, 1 kept by a legal hold" in text


def test_every_disposal_leaves_a_tombstone_and_an_erase_row_and_the_chain_verifies(aged):
    report = apply_retention(today=TODAY)
    tombstones = {t.record_id: t for t in Tombstone.objects.all()}
    assert set(tombstones) == {aged[k].pk for k in ("incident_past", "cp_past", "concern_past")}
    past = tombstones[aged["incident_past"].pk]
    assert past.run == report.run
    assert past.reference == aged["incident_past"].reference
    assert (past.record_type, past.record_class, past.disposal) == (
        "incident",
        "incident_no_safeguarding",
        "delete",
    )
    assert past.ran_from == local_date(years_ago(2, days=1))
    assert past.due_on == schedule.add_years(past.ran_from, 2)
    assert "incident_no_safeguarding" in past.rule
    erased = AccessLog.objects.get(action=AccessAction.ERASE, object_ids=[str(aged["incident_past"].pk)])
    assert erased.username == "retention"
    assert erased.user is None
    assert erased.incident_id == aged["incident_past"].pk
    assert erased.reason.startswith("Retention schedule: incident_no_safeguarding")
    assert erased.detail["tombstone"] == str(past.pk)
    assert erased.detail["run"] == str(report.run.pk)
    assert {str(p.person_id) for p in erased.people.all()} == {str(aged["plain"].pk)}
    assert report.run.disposed == 3
    assert report.run.held == 1
    assert report.run.trigger == RunTrigger.COMMAND
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "rows verified" in out.getvalue()


def test_a_second_run_finds_nothing_more_to_do(aged):
    apply_retention(today=TODAY)
    second = apply_retention(today=TODAY)
    assert second.tombstones == []
    assert [d.record_id for d in second.due] == [aged["held"].pk]


def test_an_agencys_own_period_is_honoured(aged, settings):
    settings.RETENTION_AGENCY_OVERRIDES = {"police": {"child_protection": 40}}
    due = {d.record_id: d for d in due_records(TODAY)}
    assert aged["cp_past"].pk not in due  # the police keep theirs 40 years
    due = {d.record_id: d for d in due_records(schedule.add_years(TODAY, 5))}
    assert due[aged["cp_past"].pk].rule.years == 40
    assert due[aged["cp_past"].pk].rule.agency_code == "police"
    assert "police's period" in str(due[aged["cp_past"].pk].rule)
    assert due[aged["concern_past"].pk].rule.agency_code == ""  # not overridden: the default


def test_a_person_with_nothing_else_held_is_anonymised_after_their_period(aged):
    later = schedule.add_years(local_date(timezone.now()), 7)
    apply_retention(today=later)  # their records go first...
    plain = Person.objects.get(pk=aged["plain"].pk)
    assert plain.family_name == "Plain"
    report = apply_retention(today=later)  # ...then, with nothing else held, the person
    anonymised = {t.record_id for t in report.tombstones if t.record_type == "person"}
    assert aged["plain"].pk in anonymised
    assert aged["other"].pk in anonymised
    assert aged["protected"].pk not in anonymised  # a flag is still held about Kerry
    assert aged["still_open"].pk not in anonymised  # an open incident is about Opal
    assert aged["held_person"].pk not in anonymised  # held
    plain = Person.objects.get(pk=aged["plain"].pk)
    assert (plain.given_name, plain.family_name, plain.date_of_birth, plain.search_text) == (
        "",
        ANONYMISED_NAME,
        None,
        "",
    )
    assert not PersonIdentifier.objects.filter(person=plain).exists()
    assert not Residence.objects.filter(person=plain).exists()
    assert not Relationship.objects.filter(from_person=plain).exists()
    row = AccessLog.objects.get(action=AccessAction.ERASE, object_type="person", object_ids=[str(plain.pk)])
    assert row.detail["anonymised"] is True
    assert apply_retention(today=later).tombstones == []  # anonymised once
    call_command("verify_audit", stdout=io.StringIO())


def test_a_dry_run_writes_nothing_at_all(aged):
    before = snapshot_of_every_table()
    last_row = AccessLog.objects.order_by("-chain_seq").values_list("chain_seq", flat=True).first()
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", "--today", TODAY.isoformat(), stdout=out)
    assert snapshot_of_every_table() == before
    assert AccessLog.objects.order_by("-chain_seq").values_list("chain_seq", flat=True).first() == last_row
    assert RetentionRun.objects.count() == 0
    text = out.getvalue()
    assert aged["incident_past"].reference in text
    assert "incident_no_safeguarding" in text
    assert "nothing was changed" in text


def test_the_due_list_costs_the_same_queries_however_many_records(staff, django_assert_max_num_queries):
    alice, dana = staff["alice"], staff["dana"]

    def add(n):
        for i in range(n):
            someone = person(dana, family_name=f"Many{i}", date_of_birth=datetime.date(2000, 1, 1))
            closed_incident(alice, [someone], years_ago(3))
            closed_concern(dana, [someone], years_ago(7))

    add(2)
    with django_assert_max_num_queries(10):
        few = due_records(TODAY)
    add(6)
    with django_assert_max_num_queries(10):
        many = due_records(TODAY)
    assert len(many) == len(few) + 12


def test_the_nightly_task_runs_the_same_code(aged, monkeypatch, settings):
    from ooh.records import tasks

    calls = []
    real = tasks.apply_schedule

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(tasks, "apply_schedule", spy)
    result = tasks.apply_retention.delay(today=TODAY.isoformat()).get()
    assert calls == [{"today": TODAY, "trigger": RunTrigger.BEAT}]
    assert result == {"due": 4, "disposed": 3, "held": 1}
    assert RetentionRun.objects.get().trigger == RunTrigger.BEAT
    beat = settings.CELERY_BEAT_SCHEDULE["apply_retention"]
    assert beat["task"] == tasks.apply_retention.name
    assert settings.CELERY_TASK_ROUTES[tasks.apply_retention.name] == {"queue": "default"}


def test_append_only_rows_still_refuse_deletion_outside_retention(aged):
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(incident=aged["incident_short"]).delete()


@pytest.mark.postgres
def test_on_postgresql_the_audit_tables_still_refuse_delete_after_a_run(aged):
    from django.db import transaction
    from django.db.utils import DatabaseError

    apply_retention(today=TODAY)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_accesslog WHERE action = 'erase'")


def test_a_birthday_on_29_february_falls_on_1_march_never_a_day_early():
    assert schedule.add_years(datetime.date(2008, 2, 29), 18) == datetime.date(2026, 3, 1)
    assert schedule.add_years(datetime.date(2008, 2, 29), 20) == datetime.date(2028, 2, 29)
    assert schedule.add_years(datetime.date(2008, 3, 1), 18) == datetime.date(2026, 3, 1)


def test_a_person_linked_to_someone_still_held_is_kept_with_their_links(world):
    """A father with nothing of his own held, linked to a baby whose child protection flag is kept:
    anonymising him would delete his link, part of the baby's record. Alone, he would be anonymised."""
    dana, baby = world.users["dana"], world.people["baby"]
    lee = person(dana, given_name="Lee", family_name="Stone")
    link(dana, lee, "father_of", baby)
    alone = person(dana, given_name="Ash", family_name="Wood")
    later = schedule.add_years(local_date(timezone.now()), 7)
    due = {d.record_id for d in due_records(later) if d.record_type == "person"}
    assert alone.pk in due
    assert lee.pk not in due
    assert Relationship.objects.filter(from_person=lee, to_person=baby).exists()


def test_disposing_of_one_record_reads_its_own_subjects_not_the_whole_database(world, monkeypatch):
    """Each disposal re-reads its record under lock: the marker tables (flags, plans, outcomes) and the
    births are read for that record's subjects only, so a run does not scan the whole database once
    per record it disposes of."""
    from ooh.records import retention

    alice, dana = world.users["alice"], world.users["dana"]
    for n in range(3):
        flag(dana, on=person(dana, family_name=f"Other{n}"), category="child_protection_plan")
    quiet = person(dana, family_name="Quiet")
    incident = closed_incident(alice, [quiet], years_ago(3))
    [due] = [d for d in due_records(TODAY) if d.record_id == incident.pk]
    asked = []
    real = retention._markers

    def spy(people=None):
        asked.append(people)
        return real(people)

    monkeypatch.setattr(retention, "_markers", spy)
    run = RetentionRun.objects.create(today=TODAY, trigger=RunTrigger.COMMAND, started_at=timezone.now())
    assert retention.dispose(due, run=run) is not None
    assert asked == [[quiet.pk]]
