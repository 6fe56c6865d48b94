"""Recording a birth: the baby becomes a living child and keeps every link, flag and plan; the lead
professional and every agency the plan was shared with are told; what the plan says at birth leads the
child's picture. Bad input (not unborn, dated in the future, not allowed) is refused and writes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Notification
from ooh.audit.models import AccessLog
from ooh.errors import Conflict
from ooh.flags.models import Flag
from ooh.incidents import actions as incident_actions
from ooh.incidents import events
from ooh.people.models import Person, Relationship
from ooh.picture.snapshot import build
from ooh.referrals.birth import record_birth
from tests import factories
from tests.personas import persona

from .helpers import UTC, plan, readers, share

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 10, 14, 0, tzinfo=UTC)


@pytest.fixture
def published(monkeypatch):
    """Every message published after commit, with the feeds it went to."""
    sent = []
    monkeypatch.setattr(events, "publish", lambda message, **feeds: sent.append((message, feeds)))
    return sent


def _state(baby):
    baby.refresh_from_db()
    return (baby.status, baby.date_of_birth, baby.place_of_birth, Notification.objects.count())


def test_the_baby_is_born_keeping_its_expected_date_links_and_flags(baby_a):
    a = baby_a
    links = set(Relationship.objects.filter(to_person=a.baby).values_list("pk", flat=True))
    flags = set(Flag.objects.filter(subject_person=a.baby).values_list("pk", flat=True))
    expected = a.baby.expected_date
    born = record_birth(
        actor=a.mia, person=a.baby, date_of_birth=dt.date(2026, 12, 10), place="Northshire General", now=NOW
    )
    born = Person.objects.get(pk=born.pk)
    assert born.status == "living"
    assert born.date_of_birth == dt.date(2026, 12, 10)
    assert born.place_of_birth == "Northshire General"
    assert born.expected_date == expected
    assert set(Relationship.objects.current().filter(to_person=born).values_list("pk", flat=True)) == links
    assert set(Flag.objects.in_force(NOW).filter(subject_person=born).values_list("pk", flat=True)) == flags
    log = AccessLog.objects.filter(object_type="person", action="update").latest("at")
    assert log.detail["born"] == "2026-12-10"


def test_the_lead_professional_and_each_shared_agency_are_told(
    baby_a, published, django_capture_on_commit_callbacks
):
    """Dana leads the plan; it was shared with EDT, police and the midwives: Dana's inbox, and the feeds
    of the three agencies and the inboxes of their first-line managers (EDT's duty manager, the police
    supervisor and duty manager, the midwifery manager). The members who are not managers read the feed."""
    a = baby_a
    morgan, pat, mo = persona("morgan"), persona("pat"), persona("mo")
    active = plan(a, lead=a.dana, agreed_on=dt.date(2026, 11, 1))
    reached = readers(a)
    for reader in reached.values():
        share(active, reader[0], by=a.dana, at=NOW - dt.timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        record_birth(
            actor=a.mia, person=a.baby, date_of_birth=dt.date(2026, 12, 10), place="At home", now=NOW
        )
    notified = set(Notification.objects.filter(kind="person.born").values_list("user__username", flat=True))
    assert notified == {"dana", "morgan", "pat", "mo", "mandy"}
    notice = Notification.objects.get(kind="person.born", user=a.dana)
    assert notice.data["person"] == str(a.baby.pk)
    assert notice.data["birth_plans"] == [str(active.pk)]
    assert "10 Dec 2026 at At home" in notice.body
    assert "Ash" not in notice.title + notice.body  # no family name where a lock screen may show it
    [(message, feeds)] = [(m, f) for m, f in published if m["event"] == "person.born"]
    assert {str(x) for x in feeds["feed_agencies"]} == {str(r[0].pk) for r in reached.values()}
    assert {str(x) for x in feeds["feed_users"]} == {str(u.pk) for u in (a.dana, morgan, pat, mo, a.mandy)}
    assert message["data"]["title"] == notice.title


def test_a_birth_without_a_plan_tells_nobody_and_is_still_recorded(baby_a):
    record_birth(actor=baby_a.mia, person=baby_a.baby, date_of_birth=dt.date(2026, 12, 9), place="", now=NOW)
    assert baby_a.baby.__class__.objects.get(pk=baby_a.baby.pk).status == "living"
    assert not Notification.objects.filter(kind="person.born").exists()


def test_a_birth_recorded_for_someone_not_unborn_is_a_409_and_writes_nothing(baby_a):
    a = baby_a
    before = _state(a.mother), AccessLog.objects.count()
    with pytest.raises(Conflict) as refused:
        record_birth(actor=a.mia, person=a.mother, date_of_birth=dt.date(2026, 12, 9), place="Home", now=NOW)
    assert refused.value.code == "not_unborn"
    record_birth(actor=a.mia, person=a.baby, date_of_birth=dt.date(2026, 12, 9), place="Home", now=NOW)
    with pytest.raises(Conflict):  # born already
        record_birth(actor=a.mia, person=a.baby, date_of_birth=dt.date(2026, 12, 8), place="Ward", now=NOW)
    assert _state(a.mother) == (*before[0][:3], Notification.objects.count())
    assert Person.objects.get(pk=a.baby.pk).date_of_birth == dt.date(2026, 12, 9)


def test_a_birth_dated_in_the_future_is_a_400_naming_the_field_and_writes_nothing(baby_a):
    a = baby_a
    before = _state(a.baby)
    # 23:30 UTC on 10 December is still the 10th in London: the 11th is tomorrow.
    late = dt.datetime(2026, 12, 10, 23, 30, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        record_birth(actor=a.mia, person=a.baby, date_of_birth=dt.date(2026, 12, 11), place="Home", now=late)
    assert set(refused.value.message_dict) == {"date_of_birth"}
    assert _state(a.baby) == before
    record_birth(actor=a.mia, person=a.baby, date_of_birth=dt.date(2026, 12, 10), place="Home", now=late)


def test_only_the_babys_agencies_or_someone_at_its_incident_record_the_birth(baby_a):
    a = baby_a
    before = _state(a.baby)
    with pytest.raises(PermissionDenied):
        record_birth(actor=a.gail, person=a.baby, date_of_birth=dt.date(2026, 12, 9), place="Home", now=NOW)
    assert _state(a.baby) == before
    # A paramedic at an open incident about the baby (a home birth) may.
    bob, alice = persona("bob"), persona("alice")
    incident = incident_actions.open_incident(
        actor=alice, kind="birth", summary="Home birth", subjects=[a.mother, a.baby]
    )
    incident_actions.request_attendance(
        actor=alice, incident=incident, agency=bob.membership.agency, respond_within_minutes=15
    )
    record_birth(actor=bob, person=a.baby, date_of_birth=timezone.localdate(), place="At home")
    assert Person.objects.get(pk=a.baby.pk).status == "living"


def test_the_plan_at_birth_leads_the_babys_picture(baby_a):
    a = baby_a
    active = plan(a, lead=a.dana, agreed_on=dt.date(2026, 11, 1), plan_at_birth="Baby stays on the ward.")
    factories.flag(a.dana, on=a.father, category="violence", severity="high")  # officer safety: danger too
    alice = persona("alice")
    incident = incident_actions.open_incident(
        actor=alice, kind="birth", summary="Baby born at home", subjects=[a.baby]
    )
    before, _ = build(incident)
    assert before["guidance"][0]["code"] != "plan_at_birth"
    record_birth(actor=a.mia, person=a.baby, date_of_birth=timezone.localdate(), place="Northshire General")
    snapshot, _ = build(incident)
    first = snapshot["guidance"][0]
    assert first == {
        "code": "plan_at_birth",
        "level": "danger",
        "message": f"Born {timezone.localdate():%d %b %Y} at Northshire General: the birth plan says: "
        "Baby stays on the ward.",
        "source": {"birth_plan": str(active.pk)},
    }
    codes = [g["code"] for g in snapshot["guidance"]]
    assert codes.count("plan_at_birth") == 1
    assert "parenting_capacity" in codes  # the parents' flags still speak


def test_the_birth_adds_no_query_to_the_snapshot(baby_a):
    a = baby_a
    plan(a, lead=a.dana, agreed_on=dt.date(2026, 11, 1))
    incident = incident_actions.open_incident(
        actor=persona("alice"), kind="birth", summary="Baby born", subjects=[a.baby]
    )
    build(incident)  # caches warmed
    with CaptureQueriesContext(connection) as unborn:
        build(incident)
    record_birth(actor=a.mia, person=a.baby, date_of_birth=timezone.localdate(), place="Home")
    with CaptureQueriesContext(connection) as born:
        build(incident)
    assert len(born) == len(unborn)
