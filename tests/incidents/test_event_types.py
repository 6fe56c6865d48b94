"""Every declared event type is emitted by some action, and every emitted one is declared: the night is
played through the domain actions (no HTTP), and the types that reached the event log or a feed are
compared with events.EVENT_TYPES. A type nobody sends is a contract the phones wait on for nothing."""

import datetime

import pytest
from django.utils import timezone

from alerts import escalations
from ooh.flags import actions as flag_actions
from ooh.incidents import actions, answers, details, events
from ooh.incidents.models import AppointmentRole, Event
from ooh.plans import actions as plan_actions
from ooh.referrals import concerns
from ooh.referrals.birth import record_birth
from tests import factories
from tests.vale_world import build_world, open_vale_incident

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(monkeypatch):
    """Every message published after commit (feed-only ones have no incident row)."""
    sent = []
    real = events.publish

    def capture(message, **kwargs):
        sent.append(message["event"])
        real(message, **kwargs)

    monkeypatch.setattr(events, "publish", capture)
    return sent


def _play_the_night(world):
    alice, hale, dana, bob = world.alice, world.hale, world.dana, world.bob
    now = timezone.now()
    incident = open_vale_incident(world, request=("ambulance",))  # incident.opened, attendance.requested
    details.update_incident(actor=alice, incident=incident, summary="Baby born at home")  # incident.updated
    stranger = factories.person(dana, given_name="Ash", family_name="Lowe")
    factories.link(dana, stranger, "associate_of", world.kerry)
    details.add_subject(actor=alice, incident=incident, person=stranger)  # subject.added
    actions.update_attendance(
        actor=bob, incident=incident, status="attending", eta=now + datetime.timedelta(minutes=9)
    )  # attendance.updated
    answers.report_presence(actor=bob, incident=incident, status="on_scene")  # presence.updated
    for role in (AppointmentRole.DECISION_MAKER, AppointmentRole.LEAD_PROFESSIONAL):
        actions.appoint(actor=alice, incident=incident, role=role, user=bob, reason="First on scene")
        answers.decline_appointment(
            actor=bob, incident=incident, role=role, reason="Treating the baby"
        )  # decision_maker.declined, lead_professional.declined
    actions.appoint(
        actor=alice, incident=incident, role=AppointmentRole.DECISION_MAKER, user=hale, reason="On scene"
    )  # decision_maker.appointed
    actions.appoint(
        actor=hale, incident=incident, role=AppointmentRole.LEAD_PROFESSIONAL, user=dana, reason="Her case"
    )  # lead_professional.appointed
    answers.accept_appointment(
        actor=dana, incident=incident, role=AppointmentRole.LEAD_PROFESSIONAL
    )  # lead_professional.accepted
    # decision_maker.accepted (implicitly, by deciding), then decision.recorded
    actions.record_decision(actor=hale, incident=incident, decision="To hospital", rationale="The plan")
    actions.acknowledge_flag(actor=bob, incident=incident, flag=world.flags["violence"])  # flag.acknowledged
    flag = factories.flag(dana, on=world.dean, category="weapons", severity="high")  # flag.added
    flag_actions.revoke_flag(actor=dana, flag=flag, reason="Raised on the wrong person")  # flag.revoked
    plan_actions.revise_plan(
        actor=dana, plan=world.plan, based_on_version=world.plan.version, hospital="Northshire Royal"
    )  # birth_plan.updated
    request = actions.request_attendance(
        actor=alice, incident=incident, agency=world.agencies["edt"], respond_within_minutes=1, now=now
    )
    raised = escalations.sweep(now=request.respond_by + datetime.timedelta(minutes=60))  # escalation.raised
    assert raised["raised"] >= 1
    escalation = incident.escalations.get(rule="attendance_not_answered", level=1)
    escalations.acknowledge(actor=world.omar, escalation=escalation, note="On it")  # escalation.acknowledged
    actions.update_attendance(
        actor=world.omar, incident=incident, status="cannot_attend", agreed_role="By phone"
    )
    escalations.check_subject(escalation.rule, escalation.subject_key)  # escalation.resolved
    _play_the_casework(world)
    record_birth(actor=dana, person=world.baby, date_of_birth=now.date(), place="At home")  # person.born
    # incident.closed, and incident.outcome to the appointed and the agencies' feeds
    details.close_incident(actor=hale, incident=incident, outcome="Safe in hospital")
    return incident


def _play_the_casework(world):
    """The midwife's worry about the baby, consulted on, referred, allocated, answered; a second one
    handed over and closed."""
    mia, dana, carol = world.mia, world.dana, world.carol
    worry = concerns.raise_concern(
        actor=mia, subjects=[world.baby], summary="Missed scans", referral_required=True
    )  # concern.raised
    concerns.consult(actor=mia, concern=worry, with_user=dana, note="Known to you?")  # concern.consulted
    referral = concerns.make_referral(
        actor=mia, concern=worry, to_agency=world.agencies["csc"]
    )  # referral.made
    concerns.allocate_referral(actor=carol, referral=referral, social_worker=dana)  # referral.allocated
    concerns.respond_to_referral(actor=dana, referral=referral, note="Visiting")  # referral.responded
    concerns.record_outcome(
        actor=dana, referral=referral, outcome="pre_birth_assessment", explanation="Assessment begun"
    )  # referral.outcome
    second = concerns.raise_concern(
        actor=mia, subjects=[world.kerry], summary="Low mood", referral_required=False
    )
    concerns.offer_transfer(actor=mia, concern=second, to_user=dana)  # concern.transfer_offered
    concerns.accept_transfer(actor=dana, concern=second)  # concern.transferred
    concerns.close_concern(actor=dana, concern=second, reason="Seen by the GP")  # concern.closed


def test_every_declared_event_type_is_emitted_and_every_emitted_one_declared(published):
    world = build_world()
    incident = _play_the_night(world)
    logged = set(Event.objects.filter(incident=incident).values_list("type", flat=True))
    emitted = logged | set(published)
    assert emitted <= events.EVENT_TYPES, f"emitted but not declared: {sorted(emitted - events.EVENT_TYPES)}"
    assert emitted >= events.EVENT_TYPES, (
        f"declared but never emitted: {sorted(events.EVENT_TYPES - emitted)}"
    )


def test_a_flag_outside_every_open_incidents_picture_tells_no_incident():
    world = build_world()
    incident = open_vale_incident(world, request=())
    before = incident.last_seq
    factories.flag(world.sam, on=world.lena, category="violence", severity="high")  # the Mosses: no incident
    incident.refresh_from_db()
    assert incident.last_seq == before
    factories.flag(
        world.dana, on=world.dean, category="weapons", severity="high"
    )  # the father: one link away
    event = Event.objects.get(incident=incident, type="flag.added")
    assert event.data["subject_person"] == str(world.dean.pk)
    assert event.data["severity"] == "high"
