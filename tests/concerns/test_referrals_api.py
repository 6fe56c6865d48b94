"""`/api/v1/referrals/` over HTTP: allocate, respond, record the outcome; the outcome reaching the owner,
the raiser and everyone consulted (inbox and feed); the receiving agency's unallocated list across the
August 2026 bank holiday weekend; who sees a referral, the audit of every read, the list's query count;
the issue's bad input, each refused with nothing written."""

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Notification
from ooh.accounts.models import Role
from ooh.audit.models import AccessedPerson, AccessLog
from ooh.referrals import concerns as actions
from ooh.referrals.models import Referral, ReferralStatus
from tests.access.feeds import FeedRecorder
from tests.personas import client_for, persona

from .helpers import colleague, ok, post, referred, refused, refused_writing_nothing, the_concern

pytestmark = pytest.mark.django_db

REFERRALS = "/api/v1/referrals/"
LONDON = ZoneInfo("Europe/London")


def _url(referral, tail=""):
    return f"{REFERRALS}{referral.pk}/{tail}"


def _allocated(a, referral=None, to=None):
    referral = referral or referred(a)
    return actions.allocate_referral(actor=a.carol, referral=referral, social_worker=to or a.dana)


# --- Allocation --------------------------------------------------------------------------------------


def test_the_receiving_agencys_manager_allocates_once(baby_a):
    a = baby_a
    referral = referred(a)
    body = ok(post(a.carol, _url(referral, "allocate/"), {"social_worker": str(a.dana.pk)}))
    assert (body["status"], body["allocated_to"]["id"]) == ("allocated", str(a.dana.pk))
    assert body["allocated_at"] is not None
    assert body["working_days_waiting"] == 0
    assert body["days_waiting"] == 0
    other = colleague()
    for manager in (a.carol, a.hugo):
        refused_writing_nothing(
            lambda who=manager: post(who, _url(referral, "allocate/"), {"social_worker": str(other.pk)}),
            409,
            code="already_allocated",
        )
    assert Referral.objects.get(pk=referral.pk).allocated_to == a.dana


def _inactive_social_worker():
    user = colleague(username="left")
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.mark.parametrize(
    "who",
    ["a manager", "another council's social worker", "an inactive social worker", "nobody", "no id", "null"],
)
def test_allocating_to_someone_not_a_social_worker_of_the_receiving_agency_is_a_400(baby_a, who):
    a = baby_a
    referral = referred(a)
    chosen = {
        "a manager": lambda: str(a.hugo.pk),
        "another council's social worker": lambda: str(persona("sam").pk),
        "an inactive social worker": lambda: str(_inactive_social_worker().pk),
        "nobody": lambda: str(uuid.UUID(int=5)),
        "no id": lambda: "dana",
        "null": lambda: None,
    }[who]()
    refused_writing_nothing(
        lambda: post(a.carol, _url(referral, "allocate/"), {"social_worker": chosen}), 400, "social_worker"
    )
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.UNALLOCATED


def test_allocation_by_anyone_else_is_a_403_or_outside_need_to_know_a_404(baby_a):
    a = baby_a
    referral = referred(a)
    body = {"social_worker": str(a.dana.pk)}
    for sees_it in (a.connor, a.harriet):  # the referrer and their manager see it; neither allocates
        refused_writing_nothing(lambda who=sees_it: post(who, _url(referral, "allocate/"), body), 403)
    for outside in (a.dana, colleague(), persona("max"), persona("sam"), a.ada):
        refused_writing_nothing(lambda who=outside: post(who, _url(referral, "allocate/"), body), 404)


# --- Responses and outcomes ------------------------------------------------------------------------


def test_the_allocated_worker_responds_and_the_first_response_stops_the_clock(baby_a):
    a = baby_a
    referral = _allocated(a)
    body = ok(post(a.dana, _url(referral, "respond/"), {"note": "Reading the file today"}))
    assert body["first_response_at"] is not None
    first = body["first_response_at"]
    assert (
        ok(post(a.carol, _url(referral, "respond/"), {"note": "Visit booked"}))["first_response_at"] == first
    )
    refused_writing_nothing(lambda: post(a.dana, _url(referral, "respond/"), {"note": " "}), 400, "note")
    refused_writing_nothing(lambda: post(a.connor, _url(referral, "respond/"), {"note": "Me"}), 403)


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"outcome": "assessment"}, "outcome"),
        ({"outcome": ""}, "outcome"),
        ({"outcome": None}, "outcome"),
        ({"outcome": ["early_help"]}, "outcome"),
        ({"explanation": ""}, "explanation"),
        ({"explanation": "   "}, "explanation"),
        ({"explanation": None}, "explanation"),
    ],
)
def test_an_outcome_with_bad_input_is_a_400_naming_the_field(baby_a, body, attr):
    a = baby_a
    referral = _allocated(a)
    request = {"outcome": "early_help", "explanation": "Family hub offered", **body}
    refused_writing_nothing(lambda: post(a.dana, _url(referral, "outcome/"), request), 400, attr)


def test_an_outcome_twice_is_a_409_and_by_the_referrer_a_403(baby_a):
    a = baby_a
    referral = _allocated(a)
    request = {"outcome": "no_further_action", "explanation": "Support in place at the surgery"}
    refused_writing_nothing(lambda: post(a.connor, _url(referral, "outcome/"), request), 403)
    body = ok(post(a.dana, _url(referral, "outcome/"), request))
    assert (body["status"], body["outcome"], body["outcome_explanation"]) == (
        "completed",
        "no_further_action",
        request["explanation"],
    )
    assert body["days_waiting"] is None
    assert body["working_days_waiting"] is None
    refused_writing_nothing(
        lambda: post(a.carol, _url(referral, "outcome/"), {**request, "outcome": "early_help"}),
        409,
        code="outcome_recorded",
    )


def test_the_outcome_reaches_the_owner_the_raiser_and_everyone_consulted(
    baby_a, monkeypatch, django_capture_on_commit_callbacks
):
    a = baby_a
    feeds = FeedRecorder(monkeypatch)
    concern = the_concern(a)
    actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    actions.accept_transfer(actor=a.mia, concern=concern)  # the owner and the raiser differ now
    referral = _allocated(a, referred(a, concern))
    explanation = "Pre-birth assessment starts this week; the family agrees to work with us."
    with django_capture_on_commit_callbacks(execute=True):
        ok(
            post(
                a.dana,
                _url(referral, "outcome/"),
                {"outcome": "pre_birth_assessment", "explanation": explanation},
            )
        )
    told = Notification.objects.filter(kind="referral.outcome")
    assert {n.user_id for n in told} == {a.mia.pk, a.connor.pk, a.gail.pk}
    for notice in told:
        assert explanation in notice.body
        assert referral.reference in notice.title
        assert concern.reference in notice.body
    for user in (a.mia, a.connor, a.gail):
        [heard] = [m for m in feeds.heard_by_user(user) if m["event"] == "referral.outcome"]
        assert explanation in heard["data"]["body"]
        assert heard["data"]["reference"] == referral.reference
        assert heard["data"]["outcome"] == "pre_birth_assessment"
    for user in (a.harriet, a.mandy, a.carol, a.hugo):
        assert not [m for m in feeds.heard_by_user(user) if m["event"] == "referral.outcome"]
    # Not the referring agency's feed: every member hears that one, and the explanation is free text
    # about the family; only the named professionals are told.
    assert feeds.heard_by_agency(a.agencies["midwifery"]) == []
    # The inbox over the API.
    inbox = ok(client_for(a.connor).get("/api/v1/notifications/"))["results"]
    assert any(n["kind"] == "referral.outcome" and explanation in n["body"] for n in inbox)
    # Words name references and agencies, never the family, in every message of the concern's life.
    messages = [(n.title, n.body) for n in Notification.objects.all()]
    messages += [(m["data"]["title"], m["data"]["body"]) for _, m in _feed_messages(feeds)]
    assert messages
    for title, body in messages:
        assert "Ash" not in f"{title} {body}", body
        assert "Leah" not in body
        assert "Kyle" not in body


def _feed_messages(feeds):
    """Every feed message sent to anyone (user or agency) that carries words."""
    for group, message in feeds.sent:
        if message.get("type") == "feed.message":
            decoded = json.loads(message["text"])
            if "title" in decoded.get("data", {}):
                yield group, decoded


# --- The unallocated list --------------------------------------------------------------------------


def _at(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def test_the_unallocated_list_oldest_first_with_days_and_working_days_across_the_bank_holiday(baby_a):
    """Referrals made on Thursday 27 August, Friday 28 August and Tuesday 1 September 2026 (Monday 31
    August is England's summer bank holiday), one allocated and one completed beside them."""
    a = baby_a

    def waiting():
        body = ok(client_for(a.carol).get(REFERRALS, {"status": "unallocated"}))
        return [(r["id"], r["days_waiting"], r["working_days_waiting"]) for r in body["results"]]

    with time_machine.travel(_at(2026, 8, 31, 23, 59), tick=False) as clock:
        older = referred(a, the_concern(a), now=_at(2026, 8, 27, 10, 0))
        _allocated(a, referred(a, the_concern(a), now=_at(2026, 8, 26, 10, 0)))
        done = _allocated(a, referred(a, the_concern(a), now=_at(2026, 8, 25, 10, 0)))
        actions.record_outcome(actor=a.dana, referral=done, outcome="early_help", explanation="Family hub")
        # Another council's referral of a concern Carol cannot see is never hers to list.
        referred(a, the_concern(a, by=a.mia), to="csc2", now=_at(2026, 8, 20, 10, 0))
        # The bank holiday begins no working day: Thursday's has waited Friday only.
        assert waiting() == [(str(older.pk), 4, 1)]

        clock.move_to(_at(2026, 9, 1, 10, 0))
        later = referred(a, the_concern(a))
        # Written after it, made before it: the list's order is the made time's, not the rows'.
        middle = referred(a, the_concern(a), now=_at(2026, 8, 28, 16, 0))
        assert waiting() == [(str(older.pk), 5, 2), (str(middle.pk), 4, 1), (str(later.pk), 0, 0)]

        clock.move_to(_at(2026, 9, 3, 9, 0))  # the e2e scenario's Thursday: Thursday's has waited 4
        assert waiting() == [(str(older.pk), 7, 4), (str(middle.pk), 6, 3), (str(later.pk), 2, 2)]

        # Friday 4 September: Thursday's has waited Fri 28, Tue 1, Wed 2, Thu 3 and Fri 4; Tuesday's
        # Wed 2, Thu 3 and Fri 4. The weekend and the bank holiday are not working days.
        clock.move_to(_at(2026, 9, 4, 9, 0))
        assert waiting() == [(str(older.pk), 8, 5), (str(middle.pk), 7, 4), (str(later.pk), 3, 3)]

        everything = ok(client_for(a.carol).get(REFERRALS))["results"]
        assert [r["status"] for r in everything] == ["completed", "allocated"] + ["unallocated"] * 3
        assert everything[0]["working_days_waiting"] is None  # completed: no longer waiting
        assert everything[1]["working_days_waiting"] == 6  # allocated, still awaiting its outcome
        refused(client_for(a.carol).get(REFERRALS, {"status": "waiting"}), 400, "status")


# --- Need to know ----------------------------------------------------------------------------------


def test_who_sees_a_referral_and_who_does_not(baby_a):
    a = baby_a
    concern = the_concern(a)
    actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    referral = _allocated(a, referred(a, concern))
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    sees = [a.connor, a.gail, a.mia, a.dana, a.harriet, a.carol, a.hugo]
    does_not = [persona("sam"), persona("max"), colleague(username="other"), a.mandy, a.ada]
    does_not += [colleague("hospital", role=Role.PRACTITIONER, username="connors_colleague")]
    for user in sees:
        client = client_for(user)
        assert [r["id"] for r in ok(client.get(REFERRALS))["results"]] == [str(referral.pk)], user
        assert ok(client.get(_url(referral)))["reference"] == referral.reference, user
    for user in does_not:
        client = client_for(user)
        assert ok(client.get(REFERRALS))["results"] == [], user
        assert client.get(_url(referral)).status_code == 404, user


def test_every_read_is_audited_naming_the_subjects(baby_a):
    a = baby_a
    referral = referred(a, the_concern(a, about=[a.baby, a.mother]))
    client = client_for(a.carol)
    assert ok(client.get(_url(referral)))["days_waiting"] == 0
    read = AccessLog.objects.get(object_type="referral", action="read")
    assert (read.object_ids, read.username) == ([str(referral.pk)], "carol")
    assert set(AccessedPerson.objects.filter(log=read).values_list("person_id", flat=True)) == {
        a.baby.pk,
        a.mother.pk,
    }
    client.get(REFERRALS, {"status": "unallocated"})
    search = AccessLog.objects.get(object_type="referral", action="search")
    assert search.object_ids == [str(referral.pk)]
    assert search.detail["query"] == {"status": ["unallocated"]}
    assert set(AccessedPerson.objects.filter(log=search).values_list("person_id", flat=True)) == {
        a.baby.pk,
        a.mother.pk,
    }


# --- Query count -----------------------------------------------------------------------------------

# The referrals list, whatever its length: (1) the token with its user and membership, (2) the page of
# referrals with concern, referrer, both agencies and the allocated worker joined, (3) the concerns'
# subjects; the audit: (4) the chain's tail, (5) the row and (6) the people disclosed, which PostgreSQL
# writes in one statement. Working days are counted in memory (the calendar reads no table).
REFERRALS_LIST_QUERIES = {"sqlite": 6, "postgresql": 5}


def test_the_referrals_list_costs_the_same_for_one_row_and_for_ten(baby_a):
    a = baby_a
    client = client_for(a.carol)

    def count():
        with CaptureQueriesContext(connection) as queries:
            body = ok(client.get(REFERRALS))
        return len(queries), len(body["results"])

    _allocated(a, referred(a, the_concern(a, about=[a.baby, a.mother])))
    one, listed = count()
    assert listed == 1
    for n in range(9):
        referral = referred(a, the_concern(a, about=[a.baby, a.mother]))
        if n % 2:
            _allocated(a, referral)
    assert count() == (one, 10)
    assert one == REFERRALS_LIST_QUERIES[connection.vendor]


def test_a_manager_narrows_the_list_to_the_referrals_made_to_their_agency(baby_a):
    """Carol sees the referrals of every concern she can see; her queue is those made to her agency."""
    from ooh.referrals import concerns as actions

    a = baby_a
    mine = actions.raise_concern(actor=a.mia, subjects=[a.baby], summary="Worry", referral_required=True)
    to_carol = actions.make_referral(actor=a.mia, concern=mine, to_agency=a.agencies["csc"])
    to_gp = actions.make_referral(actor=a.mia, concern=mine, to_agency=a.agencies["gp"])
    csc = a.agencies["csc"].pk
    everything = client_for(a.carol).get("/api/v1/referrals/").json()["results"]
    assert {r["id"] for r in everything} == {str(to_carol.pk), str(to_gp.pk)}
    # A manager's unallocated list is their agency's queue, unless they name an agency.
    queue = client_for(a.carol).get("/api/v1/referrals/?status=unallocated").json()["results"]
    assert [r["id"] for r in queue] == [str(to_carol.pk)]
    named = client_for(a.carol).get(f"/api/v1/referrals/?status=unallocated&to_agency={csc}")
    assert [r["id"] for r in named.json()["results"]] == [str(to_carol.pk)]
    gp = a.agencies["gp"].pk
    elsewhere = client_for(a.carol).get(f"/api/v1/referrals/?status=unallocated&to_agency={gp}")
    assert [r["id"] for r in elsewhere.json()["results"]] == [str(to_gp.pk)]
    # The midwife, no manager, sees her own referrals waiting, wherever they went.
    waiting = client_for(a.mia).get("/api/v1/referrals/?status=unallocated").json()["results"]
    assert {r["id"] for r in waiting} == {str(to_carol.pk), str(to_gp.pk)}
    assert client_for(a.carol).get("/api/v1/referrals/?to_agency=not-a-uuid").status_code == 400
