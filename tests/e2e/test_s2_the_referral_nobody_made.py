"""Scenario S2, the referral nobody made (Baby A), replayed through the API with the clock travelled
across four months, a bank holiday weekend included. Every numbered expectation of ../shared/scenarios.md
S2 is asserted, and every lesson of the review:

- the consultant owns the concern and is escalated to when it is not referred; consulting the GP hands
  nothing over;
- the midwife's unallocated referral climbs to the receiving agency's manager within 3 working days, and
  on to the next level;
- the outcome reaches the owner;
- the pre-birth milestones are raised before the birth, never after;
- the parents' vulnerability makes the plan and the night's snapshot say to seek specialist advice.

The requests go through the whole HTTP stack (middleware, authentication, the policy, the audit); the
escalation sweeper runs as beat runs it (alerts.tasks.sweep), at the times the story names. Working days
are England's: Monday 31 August 2026 is a bank holiday.
"""

import csv
import datetime as dt
import io
import subprocess
from zoneinfo import ZoneInfo

import pytest
import time_machine

from alerts.tasks import sweep
from tests.access.feeds import FeedRecorder
from tests.baby_a import build_baby_a
from tests.personas import client_for, persona

pytestmark = pytest.mark.django_db(transaction=True)

LONDON = ZoneInfo("Europe/London")  # summer time until 25 October, then GMT


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


# The baby is expected on Thursday 18 February 2027: 16 weeks falls on Thursday 3 September 2026,
# 24 weeks on 29 October, 28 weeks on 26 November, 32 weeks on 24 December, 36 weeks on 21 January.
EXPECTED = dt.date(2027, 2, 18)


class Story:
    """The clock, and a signed-in phone per professional (tokens last hours; the story lasts months)."""

    def __init__(self, traveller, world):
        self.traveller, self.world = traveller, world

    def at(self, moment):
        self.traveller.move_to(moment)

    def phone(self, name):
        user = getattr(self.world, name, None) or persona(name)
        return client_for(user)

    def escalations(self, name, rule):
        body = self.phone(name).get("/api/v1/escalations/").json()
        return [e for e in body["results"] if e["rule"] == rule]

    def inbox(self, name):
        return self.phone(name).get("/api/v1/notifications/").json()["results"]

    def told_levels(self, name, rule):
        """The levels of this rule's escalations in the person's own inbox (addressed to them by name)."""
        titles = [n["title"] for n in self.inbox(name) if n["kind"] == f"escalation.{rule}"]
        return sorted(int(t.split("level ")[1].split(")")[0]) for t in titles)


@pytest.fixture
def story(monkeypatch):
    with time_machine.travel(local(2026, 8, 20, 9, 0), tick=False) as traveller:
        world = build_baby_a(expected_date=EXPECTED)
        yield Story(traveller, world)


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def test_s2_the_referral_nobody_made(story, monkeypatch):
    world = story.world
    feeds = FeedRecorder(monkeypatch)

    # 1. Thursday 27 August: the midwife raises her own concern about the unborn baby and refers it to
    #    children's social care that morning (S2.3 starts here).
    story.at(local(2026, 8, 27, 9, 0))
    midwife_concern = ok(
        story.phone("mia").post(
            "/api/v1/concerns/",
            {
                "subjects": [str(world.baby.pk), str(world.mother.pk)],
                "summary": "Mother's mental health and missed appointments",
                "referral_required": True,
            },
            format="json",
        ),
        201,
    )
    referral = ok(
        story.phone("mia").post(
            f"/api/v1/concerns/{midwife_concern['id']}/referral/",
            {"to_agency": str(world.agencies["csc"].pk)},
            format="json",
        ),
        201,
    )

    # S2.1 Friday 28 August, 15:00, before the bank holiday weekend: a consultant physician raises a
    #      concern about the unborn baby, marks a referral as required and consults the GP.
    story.at(local(2026, 8, 28, 15, 0))
    concern = ok(
        story.phone("connor").post(
            "/api/v1/concerns/",
            {
                "subjects": [str(world.baby.pk)],
                "summary": "Mother's medication in pregnancy",
                "referral_required": True,
            },
            format="json",
        ),
        201,
    )
    ok(
        story.phone("connor").post(
            f"/api/v1/concerns/{concern['id']}/consultations/",
            {"with_user": str(world.gail.pk), "note": "Letting you know as her GP."},
            format="json",
        ),
        201,
    )
    # The concern stays the consultant's; the GP may read it, and owns nothing.
    assert ok(story.phone("gail").get(f"/api/v1/concerns/{concern['id']}/"))["owner"]["id"] == str(
        world.connor.pk
    )
    # Only the owner refers (the GP cannot, though she was consulted).
    assert (
        story.phone("gail")
        .post(
            f"/api/v1/concerns/{concern['id']}/referral/",
            {"to_agency": str(world.agencies["csc"].pk)},
            format="json",
        )
        .status_code
        == 403
    )

    # S2.2 One working day to refer, the bank holiday skipped: nothing before the end of Tuesday 1 September.
    story.at(local(2026, 9, 1, 23, 59))
    sweep()
    assert story.escalations("connor", "concern_not_referred") == []
    story.at(local(2026, 9, 2, 0, 0, 30))
    sweep()
    [raised] = story.escalations("connor", "concern_not_referred")
    assert raised["level"] == 1
    assert story.escalations("gail", "concern_not_referred") == []  # consulted, never the owner
    # Nobody acknowledges: at the end of the next working day the consultant's manager is told.
    story.at(local(2026, 9, 3, 0, 0, 30))
    sweep()
    assert story.told_levels("harriet", "concern_not_referred") == [2]
    assert story.escalations("gail", "concern_not_referred") == []

    # S2.3 The midwife's referral is still unallocated at the end of Wednesday 2 September (3 working
    #      days: Friday, Tuesday, Wednesday): children's social care's manager is escalated to.
    assert story.told_levels("carol", "referral_unallocated") == [1]
    waiting = ok(story.phone("carol").get("/api/v1/referrals/?status=unallocated"))["results"]
    assert [r["id"] for r in waiting] == [referral["id"]]
    assert waiting[0]["working_days_waiting"] == 4  # Fri 28, Tue 1, Wed 2, Thu 3 begun
    #      ... and a working day later the next level, Carol's head of service.
    story.at(local(2026, 9, 4, 0, 0, 30))
    sweep()
    assert story.told_levels("hugo", "referral_unallocated") == [2]

    # The consultant refers at last; his chain resolves.
    story.at(local(2026, 9, 4, 9, 0))
    ok(
        story.phone("connor").post(
            f"/api/v1/concerns/{concern['id']}/referral/",
            {"to_agency": str(world.agencies["csc"].pk)},
            format="json",
        ),
        201,
    )
    sweep()
    assert all(e["status"] == "resolved" for e in story.escalations("connor", "concern_not_referred"))

    # S2.4 Allocated, assessed: the outcome explanation reaches the concern's owner (inbox and feed).
    story.at(local(2026, 9, 4, 10, 0))
    ok(
        story.phone("carol").post(
            f"/api/v1/referrals/{referral['id']}/allocate/",
            {"social_worker": str(world.dana.pk)},
            format="json",
        )
    )
    sweep()
    assert all(e["status"] == "resolved" for e in story.escalations("carol", "referral_unallocated"))
    story.at(local(2026, 9, 7, 11, 0))
    explanation = "Pre-birth assessment to start this week; the family agrees to work with us."
    ok(
        story.phone("dana").post(
            f"/api/v1/referrals/{referral['id']}/outcome/",
            {"outcome": "pre_birth_assessment", "explanation": explanation},
            format="json",
        )
    )
    assert any(explanation in n["body"] for n in story.inbox("mia"))
    assert any(m["event"] == "referral.outcome" for m in feeds.heard_by_user(world.mia))

    # S2.5 The pre-birth milestones, computed from the expected date.
    milestones = ok(story.phone("dana").get(f"/api/v1/people/{world.baby.pk}/milestones/"))
    by_name = {m["code"]: m for m in milestones}
    assert [by_name[m]["due"] for m in ("referral", "pre_birth_assessment", "initial_conference")] == [
        "2026-09-03",
        "2026-10-29",
        "2026-11-26",
    ]
    assert by_name["referral"]["met"]
    assert by_name["referral"]["met_at"] == "2026-08-27"  # the midwife's
    #      The assessment is not recorded by the end of 29 October: raised before the birth.
    story.at(local(2026, 10, 29, 23, 59))
    sweep()
    assert story.escalations("dana", "prebirth_milestone_missed") == []
    story.at(local(2026, 10, 30, 0, 0, 30))
    sweep()
    [missed] = story.escalations("dana", "prebirth_milestone_missed")
    assert "pre-birth assessment" in missed["message"]
    #      Recorded done: the chain resolves.
    story.at(local(2026, 11, 2, 10, 0))
    ok(
        story.phone("dana").post(
            f"/api/v1/people/{world.baby.pk}/milestones/",
            {"milestone": "pre_birth_assessment", "met_on": "2026-11-02", "note": "Assessment complete"},
            format="json",
        ),
        201,
    )
    sweep()
    assert story.escalations("dana", "prebirth_milestone_missed")[0]["status"] == "resolved"

    # S2.6 A birth plan for the baby, and the night: the father's learning disability and the mother's
    #      mental health make both say to seek specialist advice on parenting capacity.
    story.at(local(2026, 11, 20, 10, 0))
    plan = ok(
        story.phone("dana").post(
            "/api/v1/birth-plans/",
            {
                "mother": str(world.mother.pk),
                "unborn_child": str(world.baby.pk),
                "expected_date": str(EXPECTED),
                "lead_professional": str(world.dana.pk),
            },
            format="json",
        ),
        201,
    )
    advice = " ".join(ok(story.phone("dana").get(f"/api/v1/birth-plans/{plan['id']}/"))["advice"])
    assert "specialist advice on parenting capacity" in advice
    assert "Kyle Ash" in advice
    assert "Leah Ash" in advice

    #      The plan is not agreed by 32 weeks (24 December): raised on Christmas Day, before the birth.
    story.at(local(2026, 12, 25, 0, 0, 30))
    sweep()
    assert any("agreed" in e["message"] for e in story.escalations("dana", "prebirth_milestone_missed"))

    #      Born early, at home, on 10 January 2027: the night's incident shows the advice, and no
    #      milestone is raised after the birth (36 weeks fell on 21 January).
    story.at(local(2027, 1, 10, 2, 0))
    alice = story.phone("alice")
    incident = ok(
        alice.post(
            "/api/v1/incidents/",
            {
                "kind": "birth",
                "summary": "Baby born at home",
                "subjects": [str(world.mother.pk), str(world.baby.pk)],
            },
            format="json",
            HTTP_X_ACCESS_REASON="999 call: baby born at home",
        ),
        201,
    )
    snapshot = ok(alice.get(f"/api/v1/incidents/{incident['id']}/"))
    assert any(g["code"] == "parenting_capacity" for g in snapshot["guidance"])
    ok(
        story.phone("dana").post(
            f"/api/v1/people/{world.baby.pk}/birth/",
            {"date_of_birth": "2027-01-10", "place": "At home"},
            format="json",
        )
    )
    before = {e["id"] for e in story.escalations("dana", "prebirth_milestone_missed")}
    story.at(local(2027, 1, 22, 0, 0, 30))
    sweep()
    after = story.escalations("dana", "prebirth_milestone_missed")
    assert {e["id"] for e in after} == before  # nothing new after the birth
    assert all(e["status"] == "resolved" for e in after)  # the birth ended every pre-birth chain

    # After the story: the concern's chronology for the review, as JSON, CSV and PDF, read by the
    # consultant's manager (the hospital raised it). The wait for a referral is a gap in it.
    chronology = ok(story.phone("harriet").get(f"/api/v1/concerns/{concern['id']}/chronology/"))
    kinds = [item["kind"] for item in chronology["items"]]
    moments = [kinds.index(kind) for kind in ("concern.raised", "concern.consulted", "referral.made")]
    assert moments == sorted(moments)
    [not_referred] = [g for g in chronology["gaps"] if g["summary"].startswith("A referral was needed")]
    assert "allowed: 1 working day" in not_referred["summary"]
    as_csv = story.phone("harriet").get(f"/api/v1/concerns/{concern['id']}/chronology/?format=csv")
    assert as_csv.status_code == 200
    assert as_csv["Content-Type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(as_csv.content.decode())))) >= len(kinds)
    as_pdf = story.phone("harriet").get(f"/api/v1/concerns/{concern['id']}/chronology/?format=pdf")
    assert as_pdf.status_code == 200
    assert as_pdf["Content-Type"] == "application/pdf"
    text = " ".join(
        subprocess.run(["pdftotext", "-", "-"], input=as_pdf.content, capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    assert "A referral was needed and not made" in text
    # The GP was consulted, and reads the concern, but not its chronology: it is for oversight.
    assert story.phone("gail").get(f"/api/v1/concerns/{concern['id']}/chronology/").status_code == 404
