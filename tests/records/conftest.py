"""The worlds the chronology tests read: an S1-like night for the Vale family (the birth plan shared a
week before, the call, the out-of-hours team that cannot attend, the decision maker appointed late) and
an S2-like story for the Ash family (a concern nobody referred, a referral nobody allocated).

Everything is written through the domain actions at the moment the story names: the clock is travelled
(the audit stamps its rows with the clock) and the same moment is given as `now`.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import time_machine

from alerts import escalations as escalation_actions
from alerts.inbox import mark_read
from alerts.models import Escalation, Notification, PushDelivery
from alerts.tasks import deliver_push
from ooh.accounts.actions import register_device
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.incidents import actions as incident_actions
from ooh.people.actions import update_person
from ooh.plans import actions as plan_actions
from ooh.referrals import concerns as concern_actions
from tests.baby_a import build_baby_a
from tests.personas import persona
from tests.vale_world import build_world

LONDON = ZoneInfo("Europe/London")


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


class Clock:
    def __init__(self, traveller):
        self.traveller = traveller

    def at(self, *args):
        """Move the clock to this local moment and return it, to give as `now`."""
        moment = local(*args)
        self.traveller.move_to(moment)
        return moment


@pytest.fixture
def clock():
    with time_machine.travel(local(2026, 11, 3, 10, 0), tick=False) as traveller:
        yield Clock(traveller)


# --- S1: the night -----------------------------------------------------------------------------------

# The Vale night, 10 November 2026 (GMT: local time is UTC).
DECISION = "Baby to go to Northshire General with Kerry; Dean Vale not to travel with them"
RATIONALE = "Kerry Vale (born 04/05/1998) agreed; 14 Larch Close is not safe (NE3 2QX); alice confirmed"
CANNOT_ATTEND_NOTE = "No worker free in the north; Dana's team told"
AGREED_ROLE = "Phone advice to Hale, the decision maker"
SAM_PURPOSE = "Checking Kerry Vale for a South council referral"


@dataclass
class Night:
    world: object
    incident: object
    now: dt.datetime
    users: dict = field(default_factory=dict)


def _escalation(rule, incident):
    return Escalation.objects.filter(rule=rule, incident=incident, level=1).get()


def vale_night(clock) -> Night:
    """The story, from the plan's sharing a week before to the morning after."""
    world = build_world()  # 3 November, 10:00: Dana drafts and agrees the plan
    users = {name: world.users[name] for name in world.users} | {"morgan": persona("morgan")}
    update_person(actor=world.dana, person=world.kerry, date_of_birth=dt.date(1998, 5, 4))
    agencies = world.agencies
    plan_actions.share_plan(
        actor=world.dana,
        plan=world.plan,
        agencies=[agencies[c] for c in ("police", "edt", "ambulance", "midwifery")],
        now=clock.at(2026, 11, 3, 11, 0),
    )
    plan_actions.acknowledge_plan(actor=world.alice, plan=world.plan, now=clock.at(2026, 11, 4, 9, 0))
    plan_actions.acknowledge_plan(actor=world.omar, plan=world.plan, now=clock.at(2026, 11, 4, 9, 30))
    register_device(user=users["morgan"], platform="fcm", push_token="morgan-phone", name="Morgan's phone")

    incident = incident_actions.open_incident(
        actor=world.alice,
        kind="birth",
        summary="Kerry Vale in labour at home; baby on a child protection plan",
        subjects=[world.kerry, world.baby],
        address=world.home,
        now=clock.at(2026, 11, 10, 2, 0),
    )
    clock.at(2026, 11, 10, 2, 1)
    record_access(
        action=AccessAction.READ,
        object_type="incident",
        object_ids=[incident.pk],
        person_ids=[world.kerry.pk, world.baby.pk],
        actor=world.alice,
        incident_id=incident.pk,
    )
    record_access(
        action=AccessAction.LOGIN, object_type="session", actor=world.alice, incident_id=incident.pk
    )
    now = clock.at(2026, 11, 10, 2, 2)
    for code, minutes in (("edt", 15), ("ambulance", 10)):
        incident_actions.request_attendance(
            actor=world.alice,
            incident=incident,
            agency=agencies[code],
            respond_within_minutes=minutes,
            now=now,
        )
    incident_actions.update_attendance(
        actor=world.bob,
        incident=incident,
        status="attending",
        eta=local(2026, 11, 10, 2, 20),
        now=clock.at(2026, 11, 10, 2, 5),
    )
    escalation_actions.sweep(now=clock.at(2026, 11, 10, 2, 18))  # no decision maker; EDT has not answered
    notice = Notification.objects.get(user=users["morgan"], escalation__rule="attendance_not_answered")
    clock.at(2026, 11, 10, 2, 19)
    deliver_push.apply(args=(PushDelivery.objects.get(notification=notice).pk,))
    mark_read(user=users["morgan"], notification=notice, now=clock.at(2026, 11, 10, 2, 20))
    escalation_actions.sweep(now=clock.at(2026, 11, 10, 2, 29))  # both climb to level 2
    incident_actions.update_attendance(
        actor=world.bob, incident=incident, status="on_scene", now=clock.at(2026, 11, 10, 2, 33)
    )
    escalation_actions.acknowledge(
        actor=users["morgan"],
        escalation=_escalation("attendance_not_answered", incident),
        note="Looking for a worker for Kerry",
        now=clock.at(2026, 11, 10, 2, 35),
    )
    clock.at(2026, 11, 10, 2, 40)
    record_access(
        action=AccessAction.READ,
        object_type="network",
        object_ids=[world.kerry.pk],
        person_ids=[world.kerry.pk, world.dean.pk, world.baby.pk],
        actor=world.omar,
        incident_id=incident.pk,
    )
    incident_actions.update_attendance(
        actor=world.omar,
        incident=incident,
        status="cannot_attend",
        note=CANNOT_ATTEND_NOTE,
        agreed_role=AGREED_ROLE,
        now=clock.at(2026, 11, 10, 2, 49),
    )
    escalation_actions.acknowledge(
        actor=world.pat,
        escalation=_escalation("no_decision_maker", incident),
        now=clock.at(2026, 11, 10, 2, 50),
    )
    incident_actions.appoint(
        actor=world.alice,
        incident=incident,
        role="decision_maker",
        user=world.hale,
        reason="Sergeant on scene with Kerry and the baby",
        now=clock.at(2026, 11, 10, 2, 55),
    )
    incident_actions.record_decision(
        actor=world.hale,
        incident=incident,
        decision=DECISION,
        rationale=RATIONALE,
        now=clock.at(2026, 11, 10, 3, 10),
    )
    escalation_actions.sweep(now=clock.at(2026, 11, 10, 3, 15))  # both chains end
    clock.at(2026, 11, 10, 4, 0)
    record_access(
        action=AccessAction.READ,
        object_type="person",
        object_ids=[world.kerry.pk],
        person_ids=[world.kerry.pk],
        actor=world.sam,
        reason=SAM_PURPOSE,
    )
    incident.refresh_from_db()
    return Night(world=world, incident=incident, now=clock.at(2026, 11, 10, 5, 0), users=users)


@pytest.fixture
def night(db, clock):
    return vale_night(clock)


# --- S2: the referral nobody made, then nobody allocated ---------------------------------------------

EXPECTED = dt.date(2027, 2, 18)  # 16 weeks: Thursday 3 September 2026


@dataclass
class Story:
    world: object
    concern: object
    referral: object
    now: dt.datetime


def ash_story(clock) -> Story:
    clock.at(2026, 8, 20, 9, 0)
    world = build_baby_a(expected_date=EXPECTED)
    concern = concern_actions.raise_concern(
        actor=world.connor,
        subjects=[world.mother, world.baby],
        summary="Leah Ash has stopped her medication; Kyle Ash cannot manage alone",
        referral_required=True,
        now=clock.at(2026, 9, 3, 9, 0),
    )
    concern_actions.consult(
        actor=world.connor,
        concern=concern,
        with_user=world.gail,
        note="Told the GP about Leah",
        now=clock.at(2026, 9, 3, 10, 0),
    )
    escalation_actions.sweep(now=clock.at(2026, 9, 7, 9, 0))  # not referred by the end of Friday
    concern_actions.offer_transfer(
        actor=world.connor, concern=concern, to_user=world.mia, now=clock.at(2026, 9, 7, 11, 0)
    )
    concern_actions.accept_transfer(actor=world.mia, concern=concern, now=clock.at(2026, 9, 7, 12, 0))
    referral = concern_actions.make_referral(
        actor=world.mia, concern=concern, to_agency=world.agencies["csc"], now=clock.at(2026, 9, 7, 14, 0)
    )
    escalation_actions.sweep(now=clock.at(2026, 9, 11, 9, 0))  # not allocated by the end of Thursday
    escalation_actions.acknowledge(
        actor=world.carol,
        escalation=Escalation.objects.get(rule="referral_unallocated", level=1),
        note="Allocating on Monday",
        now=clock.at(2026, 9, 11, 10, 0),
    )
    concern_actions.allocate_referral(
        actor=world.carol, referral=referral, social_worker=world.dana, now=clock.at(2026, 9, 14, 10, 0)
    )
    concern_actions.respond_to_referral(
        actor=world.dana,
        referral=referral,
        note="Received; a pre-birth assessment starts",
        now=clock.at(2026, 9, 14, 15, 0),
    )
    concern_actions.record_outcome(
        actor=world.dana,
        referral=referral,
        outcome="pre_birth_assessment",
        explanation="Leah and Kyle agreed to the assessment",
        now=clock.at(2026, 9, 16, 11, 0),
    )
    clock.at(2026, 9, 16, 12, 0)
    record_access(
        action=AccessAction.READ,
        object_type="network",
        object_ids=[world.mother.pk],
        person_ids=[world.mother.pk, world.father.pk, world.baby.pk],
        actor=world.dana,
        reason="Pre-birth assessment",
    )
    return Story(world=world, concern=concern, referral=referral, now=clock.at(2026, 9, 18, 9, 0))


@pytest.fixture
def story(db, clock):
    return ash_story(clock)
