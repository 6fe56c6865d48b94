"""Snapshots kept ready (ooh/picture/ready.py): built once per incident seq and reader's view, served
to every such reader with ETag "<seq>.<digest>" and 304 on If-None-Match; rebuilt when an event is
appended, when the clock alone changes what it says, or when it is too old to trust; and every read,
kept or not, 304 or not, authorised first and audited."""

import datetime
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.utils import timezone

from ooh.audit.models import AccessedPerson, AccessLog
from ooh.incidents import actions
from ooh.people.models import Person
from ooh.picture import ready
from ooh.picture.audience import Audience, audience_of
from ooh.plans import actions as plans
from tests import factories
from tests.personas import client_for

pytestmark = pytest.mark.django_db

TAG = re.compile(r'^"(\d+)\.[0-9a-f]{16}"$')


@pytest.fixture(autouse=True)
def empty_shelf(settings):
    settings.READY_SNAPSHOT_MAX_AGE_SECONDS = 5
    ready.shelf().forget()
    yield ready.shelf()
    ready.shelf().forget()


def url(incident):
    return f"/api/v1/incidents/{incident.pk}/"


def reads():
    return AccessLog.objects.filter(object_type="incident", action="read")


def test_the_etag_carries_the_seq_and_if_none_match_answers_304_still_audited(alice, incident):
    client = client_for(alice)
    first = client.get(url(incident))
    tag = first["ETag"]
    incident.refresh_from_db()
    assert TAG.match(tag).group(1) == str(incident.last_seq) == str(first.json()["last_seq"])
    before = reads().count()

    again = client.get(url(incident), HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == tag
    assert reads().count() == before + 1, "a 304 is a read like any other"
    log = reads().order_by("-chain_seq").first()
    disclosed = set(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True))
    assert {p["id"] for p in first.json()["subjects"]} <= {str(p) for p in disclosed}

    other = client.get(url(incident), HTTP_IF_NONE_MATCH='"0.0000000000000000", "W/x"')
    assert other.status_code == 200


def test_an_event_moves_the_seq_and_the_next_read_rebuilds(alice, incident, edt, empty_shelf):
    client = client_for(alice)
    tag = client.get(url(incident))["ETag"]
    builds = empty_shelf.builds
    assert client.get(url(incident))["ETag"] == tag
    assert empty_shelf.builds == builds, "the second read was served as kept"

    actions.request_attendance(actor=alice, incident=incident, agency=edt, respond_within_minutes=10)
    changed = client.get(url(incident), HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert TAG.match(changed["ETag"]).group(1) == str(changed.json()["last_seq"])
    assert changed["ETag"] != tag
    assert [a["agency"]["code"] for a in changed.json()["attendance"]] == [edt.code]
    assert empty_shelf.builds == builds + 1


def test_an_eta_passing_changes_the_snapshot_without_any_event(alice, omar, incident, edt):
    now = timezone.now()
    actions.request_attendance(actor=alice, incident=incident, agency=edt, respond_within_minutes=10)
    actions.update_attendance(
        actor=omar, incident=incident, status="attending", eta=now + datetime.timedelta(minutes=20)
    )
    client = client_for(alice)
    with time_machine.travel(now + datetime.timedelta(minutes=19), tick=False):
        before = client.get(url(incident))
    with time_machine.travel(now + datetime.timedelta(minutes=21), tick=False):
        after = client.get(url(incident), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200, "the ETA passed: the words changed, so the tag did"
    assert after.json()["last_seq"] == before.json()["last_seq"]
    assert after["ETag"] != before["ETag"]
    assert "overdue" in str(after.json()["headline"]).lower()
    assert "overdue" not in str(before.json()["headline"]).lower()


def test_readers_of_one_view_share_a_build_and_other_views_get_their_own(
    alice, hale, bob, police, incident, ambulance, empty_shelf
):
    actions.request_attendance(actor=alice, incident=incident, agency=ambulance, respond_within_minutes=10)
    another_officer = factories.member(agency=police, role=hale.membership.role)
    builds = empty_shelf.builds
    hale_body = client_for(hale).get(url(incident)).json()
    other_body = client_for(another_officer).get(url(incident)).json()  # police on the street too
    assert empty_shelf.builds == builds + 1
    assert other_body == hale_body
    alice_read = client_for(alice).get(url(incident))  # police, but a control room: sends, not goes
    assert empty_shelf.builds == builds + 2
    bob_read = client_for(bob).get(url(incident))  # a paramedic: written for the ambulance service
    assert bob_read.status_code == 200
    assert empty_shelf.builds == builds + 3
    assert bob_read.json()["headline"] != hale_body["headline"] != alice_read.json()["headline"]


def test_the_decision_maker_gets_words_of_their_own(alice, hale, mo, incident, empty_shelf):
    actions.appoint(actor=alice, incident=incident, role="decision_maker", user=hale, reason="On scene")
    incident.refresh_from_db()
    hale_view = ready.view_key(incident, audience_of(hale))
    mo_view = ready.view_key(incident, audience_of(mo))
    assert hale_view[3] == str(hale.pk)
    assert mo_view[3] is None
    hale_body = client_for(hale).get(url(incident)).json()
    mo_body = client_for(mo).get(url(incident)).json()
    assert "You are appointed decision maker" in str(hale_body["headline"])
    assert "You are appointed decision maker" not in str(mo_body["headline"])


def _active_plan(midwife, family, police, edt, midwifery):
    """An agreed birth plan for the Vales' baby, led by the midwife, shared with police and EDT."""
    Person.objects.filter(pk=family["baby"].pk).update(recorded_by_agency=midwifery)
    plan = plans.draft_plan(
        actor=midwife,
        mother=family["kerry"],
        unborn_child=family["baby"],
        expected_date=family["baby"].expected_date,
        lead_professional=midwife,
        plan_at_birth="Stay in hospital",
        home_birth_contingency="Ambulance",
        out_of_hours_instructions="Call EDT",
        parents_aware_of_plan=True,
        key_contacts=[
            {"agency": police, "name": "DS Roe", "phone_out_of_hours": "01632 960101"},
            {"agency": edt, "name": "EDT", "phone_out_of_hours": "01632 960004"},
        ],
    )
    plan = plans.activate_plan(actor=midwife, plan=plan, agreed_on=timezone.localdate())
    plans.share_plan(actor=midwife, plan=plan, agencies=[police, edt])
    return plan


def test_a_change_without_an_event_shows_once_the_kept_snapshot_is_too_old(alice, incident, family):
    """A new partner linked to the mother appends no event: the picture shows them within
    READY_SNAPSHOT_MAX_AGE_SECONDS."""
    client = client_for(alice)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        first = client.get(url(incident)).json()
    partner = factories.person(alice, given_name="Lee", family_name="Marsh")
    factories.link(alice, partner, "partner_of", family["kerry"])
    with time_machine.travel(now + datetime.timedelta(seconds=4), tick=False):
        kept = client.get(url(incident)).json()
    with time_machine.travel(now + datetime.timedelta(seconds=6), tick=False):
        rebuilt = client.get(url(incident)).json()
    assert kept == first
    members = lambda body: {m["person"]["id"] for m in body["network"]["members"]}  # noqa: E731
    assert str(partner.pk) not in members(first)
    assert str(partner.pk) in members(rebuilt)


def test_a_plan_read_by_another_agency_is_an_event_and_shows_at_once(
    alice, omar, mia, family, police, edt, midwifery
):
    """Who has read the plan matters tonight: an acknowledgement is told to the incident's phones as
    birth_plan.updated, so the next read is rebuilt at once."""
    plan = _active_plan(mia, family, police, edt, midwifery)
    incident = actions.open_incident(
        actor=alice, kind="birth", summary="Home birth", subjects=[family["kerry"], family["baby"]]
    )
    client = client_for(alice)
    [before] = client.get(url(incident)).json()["birth_plans"]
    plans.acknowledge_plan(actor=omar, plan=plan)
    incident.refresh_from_db()
    event = incident.events.order_by("-seq").first()
    assert (event.type, event.data["change"]) == ("birth_plan.updated", "acknowledged")
    [after] = client.get(url(incident)).json()["birth_plans"]
    assert [r["agency"]["code"] for r in before["not_read_by"]] == ["edt", "police"]
    assert [r["agency"]["code"] for r in after["not_read_by"]] == ["police"]  # EDT has read it now


def test_a_reader_who_may_not_see_the_incident_gets_404_though_it_is_kept(alice, omar, incident, empty_shelf):
    assert client_for(alice).get(url(incident)).status_code == 200  # now kept
    before = AccessLog.objects.count()
    response = client_for(omar).get(url(incident))  # EDT is not on this incident
    assert response.status_code == 404
    assert incident.reference not in response.content.decode()
    assert AccessLog.objects.count() >= before  # refusals are on the record as the API records them


def test_many_readers_missing_together_build_once(alice, incident, empty_shelf, monkeypatch):
    incident = ready.snapshot.load(incident.pk)
    audience = audience_of(alice)
    started, release = threading.Event(), threading.Event()
    built = []

    def slow_build(incident, audience, now):
        built.append(now)
        started.set()
        release.wait(5)
        return ready.Ready(b"{}", '"1.0"', 1, (), (), now, now + datetime.timedelta(minutes=1))

    monkeypatch.setattr(ready, "build", slow_build)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(empty_shelf.get, incident, audience) for _ in range(8)]
        assert started.wait(5)
        release.set()
        results = [f.result(5) for f in futures]
    assert len(built) == 1
    assert {r.etag for r in results} == {'"1.0"'}


def test_the_shelf_keeps_at_most_its_count_and_forgets_earlier_seqs(settings, alice, incident, edt):
    settings.READY_SNAPSHOTS_KEPT = 2
    shelf = ready.Shelf()
    loaded = ready.snapshot.load(incident.pk)
    views = [Audience(s, False, None, None) for s in ("police", "ambulance", "health")]
    for audience in views:
        shelf.get(loaded, audience)
    assert len(shelf._kept) == 2
    actions.request_attendance(actor=alice, incident=incident, agency=edt, respond_within_minutes=10)
    shelf.get(ready.snapshot.load(incident.pk), views[0])
    assert {key[1] for key in shelf._kept} == {incident.last_seq + 1}


def test_max_age_zero_builds_every_read(settings, alice, incident, empty_shelf):
    settings.READY_SNAPSHOT_MAX_AGE_SECONDS = 0
    client = client_for(alice)
    builds = empty_shelf.builds
    client.get(url(incident))
    client.get(url(incident))
    assert empty_shelf.builds == builds + 2


NOW = datetime.datetime(2026, 12, 5, 1, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("body", "changes"),
    [
        ({}, datetime.datetime(2026, 12, 6, 0, 0, tzinfo=datetime.UTC)),  # London midnight in winter
        (
            {"attendance": [{"eta": "2026-12-05T02:00:00+00:00", "respond_by": "2026-12-05T01:00:00+00:00"}]},
            datetime.datetime(2026, 12, 5, 2, 0, tzinfo=datetime.UTC),  # the answer-by time has passed
        ),
        (
            {"network": {"flags": [{"valid_until": "2026-12-05T01:45:00+00:00"}, {"valid_until": None}]}},
            datetime.datetime(2026, 12, 5, 1, 45, tzinfo=datetime.UTC),
        ),
    ],
)
def test_when_the_clock_alone_changes_a_snapshot(body, changes):
    assert ready.clock_changes(body, NOW) == changes
