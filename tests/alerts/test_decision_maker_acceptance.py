"""The no_decision_maker chase runs until the decision maker named has accepted: appointed is not
enough, accepting (or deciding) ends it, declining starts it again. Time is injected; nothing sleeps."""

from unittest import mock

import pytest

from alerts import escalation_rules as rules
from alerts import escalations, scheduling
from alerts.models import Escalation
from ooh.incidents import actions, answers
from ooh.incidents.events import event_dict
from ooh.incidents.models import Event
from tests import factories
from tests.alerts.night import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(alice, family, incident):
    """A dangerous dog at the family's home: the incident needs somebody deciding within 15 minutes."""
    factories.flag(alice, on=family["home"], category="dangerous_animal")
    return incident


def _appoint(alice, incident, hale, minutes=5):
    return actions.appoint(
        actor=alice,
        incident=incident,
        role="decision_maker",
        user=hale,
        reason="Sergeant on scene",
        now=at(minutes=minutes),
    )


def test_appointed_but_not_accepted_still_fires_at_its_boundary(alice, flagged, hale):
    _appoint(alice, flagged, hale)
    assert rules.no_decision_maker(at(minutes=14, seconds=59)) == []
    [due] = rules.no_decision_maker(at(minutes=15))
    assert due.subject_key == f"incident:{flagged.pk}"
    assert due.due_at == at(minutes=15)
    assert "has not accepted" in due.message
    assert hale.display_name in due.message


def test_nobody_appointed_says_so(flagged):
    [due] = rules.no_decision_maker(at(minutes=15))
    assert due.message.startswith("Nobody is named decision maker")


def test_accepting_before_the_boundary_means_it_never_fires(alice, flagged, hale):
    _appoint(alice, flagged, hale)
    answers.accept_appointment(actor=hale, incident=flagged, role="decision_maker", now=at(minutes=6))
    assert rules.no_decision_maker(at(hours=1)) == []


def test_recording_a_decision_accepts_and_ends_it(alice, flagged, hale):
    _appoint(alice, flagged, hale)
    actions.record_decision(
        actor=hale, incident=flagged, decision="To hospital", rationale="The plan", now=at(minutes=7)
    )
    assert rules.no_decision_maker(at(hours=1)) == []


def test_a_raised_chain_resolves_when_the_appointment_is_accepted(alice, flagged, hale):
    _appoint(alice, flagged, hale)
    key = f"incident:{flagged.pk}"
    assert escalations.check_subject("no_decision_maker", key, now=at(minutes=15)) is not None
    # Appointed but not accepted: a re-check leaves the chain open.
    assert escalations.check_subject("no_decision_maker", key, now=at(minutes=16)) is None
    assert Escalation.objects.get(rule="no_decision_maker").status == "open"
    answers.accept_appointment(actor=hale, incident=flagged, role="decision_maker", now=at(minutes=17))
    escalations.check_subject("no_decision_maker", key, now=at(minutes=17, seconds=1))
    assert Escalation.objects.get(rule="no_decision_maker").status == "resolved"


def test_declining_makes_it_due_again(alice, flagged, hale):
    _appoint(alice, flagged, hale)
    answers.decline_appointment(
        actor=hale, incident=flagged, role="decision_maker", reason="Called away", now=at(minutes=8)
    )
    assert rules.no_decision_maker(at(minutes=14, seconds=59)) == []
    [due] = rules.no_decision_maker(at(minutes=15))
    assert due.message.startswith("Nobody is named decision maker")


def test_declining_after_the_boundary_raises_at_once(alice, flagged, hale):
    _appoint(alice, flagged, hale)
    answers.decline_appointment(
        actor=hale, incident=flagged, role="decision_maker", reason="Called away", now=at(minutes=20)
    )
    key = f"incident:{flagged.pk}"
    raised = escalations.check_subject("no_decision_maker", key, now=at(minutes=20, seconds=1))
    assert raised is not None
    assert raised.level == 1


def _scheduled_after(incident, event_type):
    """What on_incident_event schedules for the incident's last event of this type (as the web process
    sees it after commit)."""
    event = Event.objects.filter(incident=incident, type=event_type).latest("seq")
    with mock.patch.object(scheduling, "schedule") as schedule:
        scheduling.on_incident_event(None, message=event_dict(event))
    return [(call.args[0], call.args[1]) for call in schedule.call_args_list]


def test_acceptance_schedules_the_resolve_and_a_decline_the_check(alice, flagged, hale):
    _appoint(alice, flagged, hale)
    key = f"incident:{flagged.pk}"
    assert _scheduled_after(flagged, "decision_maker.appointed") == [
        ("check_subject", ("no_decision_maker", key))
    ]
    answers.accept_appointment(actor=hale, incident=flagged, role="decision_maker", now=at(minutes=6))
    assert _scheduled_after(flagged, "decision_maker.accepted") == [("resolve_ended", (str(flagged.pk),))]
    _appoint(alice, flagged, alice, minutes=7)  # the control room takes it back, then...
    answers.decline_appointment(
        actor=alice, incident=flagged, role="decision_maker", reason="Not mine", now=at(minutes=8)
    )
    assert _scheduled_after(flagged, "decision_maker.declined") == [
        ("check_subject", ("no_decision_maker", key))
    ]


def test_the_opening_timer_is_unchanged(flagged):
    """The check scheduled when the incident opened still falls a second after its deadline."""
    event = Event.objects.get(incident=flagged, type="incident.opened")
    with mock.patch.object(scheduling, "schedule") as schedule:
        scheduling.on_incident_event(None, message=event_dict(event))
    (task, args, when), _ = schedule.call_args
    assert (task, args) == ("check_subject", ("no_decision_maker", f"incident:{flagged.pk}"))
    assert when == at(minutes=15, seconds=1)


# --- A lapse later in the night: an accepted decision maker handed over to someone who has not accepted


def _hand_over(alice, incident, hale, pat):
    """Hale accepts at 6; at 20 the control room names Pat instead, who does not accept."""
    _appoint(alice, incident, hale)
    answers.accept_appointment(actor=hale, incident=incident, role="decision_maker", now=at(minutes=6))
    return _appoint(alice, incident, pat, minutes=20)


def test_a_handover_nobody_accepts_is_chased_again_n_minutes_after_it(alice, flagged, hale, pat):
    handover = _hand_over(alice, flagged, hale, pat)
    assert rules.no_decision_maker(at(minutes=34, seconds=59)) == []
    [due] = rules.no_decision_maker(at(minutes=35))
    assert due.subject_key == f"incident:{flagged.pk}:{rules.stamp(handover.at)}"
    assert due.due_at == at(minutes=35)
    assert "has not accepted" in due.message


def test_the_first_chase_ended_by_the_acceptance_and_the_sweeper_raises_the_lapse(alice, flagged, hale, pat):
    first = f"incident:{flagged.pk}"
    _appoint(alice, flagged, hale)
    escalations.check_subject("no_decision_maker", first, now=at(minutes=15))
    answers.accept_appointment(actor=hale, incident=flagged, role="decision_maker", now=at(minutes=16))
    escalations.resolve_ended(now=at(minutes=16, seconds=1))
    assert Escalation.objects.get(subject_key=first).status == "resolved"
    handover = _appoint(alice, flagged, pat, minutes=20)
    escalations.sweep(now=at(minutes=35))
    lapse = Escalation.objects.get(subject_key=f"incident:{flagged.pk}:{rules.stamp(handover.at)}")
    assert (lapse.status, lapse.level) == ("open", 1)
    # Pat declines: still nobody deciding, the same chase goes on (not a third one).
    answers.decline_appointment(
        actor=pat, incident=flagged, role="decision_maker", reason="Off duty", now=at(minutes=36)
    )
    escalations.sweep(now=at(minutes=37))
    assert Escalation.objects.filter(rule="no_decision_maker", level=1).count() == 2
    # Hale takes it back and accepts: the lapse is over.
    _appoint(alice, flagged, hale, minutes=38)
    answers.accept_appointment(actor=hale, incident=flagged, role="decision_maker", now=at(minutes=39))
    escalations.resolve_ended(now=at(minutes=39, seconds=1))
    assert Escalation.objects.get(pk=lapse.pk).status == "resolved"


def test_a_handover_accepted_in_time_is_never_chased(alice, flagged, hale, pat):
    _hand_over(alice, flagged, hale, pat)
    answers.accept_appointment(actor=pat, incident=flagged, role="decision_maker", now=at(minutes=21))
    assert rules.no_decision_maker(at(hours=2)) == []
