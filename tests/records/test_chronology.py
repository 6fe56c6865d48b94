"""The chronology of an incident (scenario S1's night) and of a concern (S2's referral): every moment in
time order, in plain words, with the gaps a review looks for, read in a fixed number of queries."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.incidents.answers import report_presence
from ooh.incidents.models import Incident
from ooh.records.chronology import concern_chronology, incident_chronology, person_ids_of
from ooh.referrals.models import Concern

from .conftest import AGREED_ROLE, SAM_PURPOSE, local


def first(items, kind, text=""):
    """The index of the first item of this kind whose summary holds `text`."""
    return next(i for i, item in enumerate(items) if item.kind == kind and text in item.summary)


def of_kind(items, kind):
    return [item for item in items if item.kind == kind]


# --- S1: the night --------------------------------------------------------------------------------------


def test_the_key_moments_of_s1_come_out_in_order(night):
    items = incident_chronology(night.incident, now=night.now).items

    shared = first(items, "plan.shared", "shared the birth plan for Baby Vale")
    call = first(items, "incident.opened", "Police control opened the incident")
    cannot = first(items, "attendance.updated", "Emergency Duty Team cannot attend")
    appointed = first(
        items, "decision_maker.appointed", "Hale (responder, Police control) appointed decision maker"
    )

    assert shared < call < cannot < appointed
    assert items[cannot].summary.endswith(f"; instead: {AGREED_ROLE}.")
    assert items[call].actor == "Alice"
    assert items[call].agency == "Police control"


def assert_in_order_in_sentences(chronology):
    moments = [item.at for item in chronology.items]
    assert moments == sorted(moments)
    assert all(item.at <= chronology.generated_at for item in chronology.items)
    for item in chronology.items:
        assert item.summary[0].isupper(), item
        assert item.summary.endswith("."), item
        assert len(item.summary.split()) >= 3, item
    json.dumps(chronology.as_dict())  # the view returns it as it is


def test_the_nights_items_are_in_time_order_and_each_summary_is_a_sentence(night):
    assert_in_order_in_sentences(incident_chronology(night.incident, now=night.now))
    assert_in_order_in_sentences(incident_chronology(night.incident, now=night.now, pseudonymise=True))


def test_the_concerns_items_are_in_time_order_and_each_summary_is_a_sentence(story):
    assert_in_order_in_sentences(concern_chronology(story.concern, now=story.now))
    assert_in_order_in_sentences(concern_chronology(story.concern, now=story.now, pseudonymise=True))


def test_the_request_nobody_answered_is_a_gap_of_47_minutes(night):
    chronology = incident_chronology(night.incident, now=night.now)

    gap = next(g for g in chronology.gaps if "unanswered" in g.summary)
    assert gap.minutes == 47
    assert gap.summary.startswith("Police control request to Emergency Duty Team unanswered for 47 minutes")
    assert (gap.start, gap.end) == (local(2026, 11, 10, 2, 2), local(2026, 11, 10, 2, 49))
    marked = of_kind(chronology.items, "gap.unanswered")  # marked in the timeline when it became late
    assert [item.at for item in marked] == [local(2026, 11, 10, 2, 17)]


def test_the_other_gaps_of_the_night(night):
    found = incident_chronology(night.incident, now=night.now).gaps
    gaps = {g.summary.split(" ")[0]: g for g in found}

    # The ambulance said 02:20 and arrived at 02:33: past the eta_overdue rule's 10 minutes.
    assert gaps["Ambulance"].minutes == 13
    assert "arrived 13 minutes late, at 02:33" in gaps["Ambulance"].summary
    # Opened at 02:00, a decision maker named at 02:55: the rule chases after 15 minutes.
    assert gaps["No"].minutes == 55
    assert "No decision maker for 55 minutes" in gaps["No"].summary
    # The EDT's escalation raised at 02:18, climbing at 02:28, acknowledged at 02:35.
    unacknowledged = [g for g in found if g.summary.startswith("Escalation")]
    assert any(g.minutes == 17 and "climbing to level 2" in g.summary for g in unacknowledged)


def test_escalations_and_their_notices_are_told_with_whom(night):
    items = incident_chronology(night.incident, now=night.now).items

    raised = [i.summary for i in of_kind(items, "escalation.raised")]
    assert any("Emergency Duty Team has not answered the request to attend" in s for s in raised)
    assert any("(no decision maker)" in s for s in raised)
    assert len(of_kind(items, "escalation.climbed")) == 2
    acknowledged = of_kind(items, "escalation.acknowledged")
    assert acknowledged[0].actor == "Morgan"
    assert acknowledged[0].agency == "Emergency Duty Team"
    assert acknowledged[0].summary.endswith(": Looking for a worker for Kerry.")
    assert len(of_kind(items, "escalation.resolved")) == 2

    sent = [i.summary for i in of_kind(items, "notification.sent")]
    assert "Notice sent to Morgan: Escalation (level 1): attendance not answered." in sent
    assert any(s.startswith("Notice sent to Dana and Pat:") for s in sent)
    [delivered] = of_kind(items, "notification.delivered")
    assert delivered.summary.startswith("Notice delivered to the phone of Morgan")
    assert delivered.at == local(2026, 11, 10, 2, 19)
    [read] = of_kind(items, "notification.read")
    assert (read.actor, read.at) == ("Morgan", local(2026, 11, 10, 2, 20))


def test_every_view_of_the_familys_records_with_who_agency_role_and_purpose(night):
    items = incident_chronology(night.incident, now=night.now).items
    views = [i for i in of_kind(items, "record.viewed") if i.at >= local(2026, 11, 10)]

    assert [(v.actor, v.agency) for v in views] == [
        ("Alice", "Police control"),
        ("Omar", "Emergency Duty Team"),
        ("Sam", "South council children's services"),
    ]
    assert views[0].summary == (
        "Alice (call handler, Police control) viewed the incident about Kerry Vale and Baby Vale for this incident."
    )
    assert (
        "viewed the linked picture of Kerry Vale, Baby Vale and Dean Vale for this incident"
        in views[1].summary
    )
    assert views[2].summary.endswith(f"viewed the records of Kerry Vale for: {SAM_PURPOSE}.")
    # Sign-ins are not views; a change already told from the incident's own log is not told twice.
    assert not [i for i in items if i.source == "audit" and "session" in i.summary]
    assert not [i for i in items if i.kind == "record.changed" and i.at >= local(2026, 11, 10)]


def test_a_view_for_another_incident_names_that_incident(night, clock):
    other = Incident.objects.create(
        reference="OOH-2026-000777",
        kind="other",
        summary="Another night",
        opened_by=night.world.alice,
        opening_agency=night.world.agencies["police"],
        opened_at=night.now,
    )
    clock.at(2026, 11, 10, 4, 30)
    record_access(
        action=AccessAction.READ,
        object_type="person",
        object_ids=[night.world.kerry.pk],
        person_ids=[night.world.kerry.pk],
        actor=night.world.alice,
        incident_id=other.pk,
    )
    items = incident_chronology(night.incident, now=night.now).items

    assert items[-1].summary.endswith("viewed the records of Kerry Vale for incident OOH-2026-000777.")


def test_the_people_the_staff_and_the_record(night):
    chronology = incident_chronology(night.incident, now=night.now)

    assert [(p.name, p.role) for p in chronology.people] == [
        ("Kerry Vale", "mother of Baby Vale"),
        ("Baby Vale", "unborn child of Kerry Vale"),
    ]
    staff = {s.name: (s.role, s.agency) for s in chronology.staff}
    assert staff["Alice"] == ("Call handler, Police control", "Police control")
    assert staff["Hale"] == ("Responder, Police control", "Police control")
    assert staff["Morgan"] == ("Manager, Emergency Duty Team", "Emergency Duty Team")
    assert chronology.reference == night.incident.reference
    assert chronology.title.startswith(f"Incident {night.incident.reference}: Kerry Vale in labour")
    assert (chronology.record, chronology.id) == ("incident", str(night.incident.pk))
    assert chronology.closed_at is None
    assert not chronology.pseudonymised
    assert person_ids_of(night.incident) == [night.world.kerry.pk, night.world.baby.pk]


def test_nothing_after_now_is_told(night):
    items = incident_chronology(night.incident, now=local(2026, 11, 10, 2, 30)).items

    assert items[-1].at <= local(2026, 11, 10, 2, 30)
    assert not of_kind(items, "decision_maker.appointed")


def test_the_query_count_does_not_grow_with_the_history(night, clock, django_assert_max_num_queries):
    def count():
        incident = Incident.objects.get(pk=night.incident.pk)
        with CaptureQueriesContext(connection) as queries:
            incident_chronology(incident, now=local(2026, 11, 10, 6, 0))
            incident_chronology(incident, now=local(2026, 11, 10, 6, 0), pseudonymise=True)
        return len(queries) // 2

    before = count()
    world, incident = night.world, night.incident
    for minute in range(20):  # a busy morning: the sergeant in and out, every phone reading the family
        clock.at(2026, 11, 10, 5, minute)
        report_presence(
            actor=world.hale,
            incident=incident,
            status="left" if minute % 2 else "on_scene",
            now=local(2026, 11, 10, 5, minute),
        )
        record_access(
            action=AccessAction.READ,
            object_type="incident",
            object_ids=[incident.pk],
            person_ids=[world.kerry.pk, world.baby.pk],
            actor=world.bob,
            incident_id=incident.pk,
        )
    assert count() == before
    with django_assert_max_num_queries(22):  # subjects 1, family 3, events 1, escalations 1, notices 2,
        # plans 4, audit 2, DASH 1, staff 1, agencies 1: 17 (an audit row for another incident adds 1)
        incident_chronology(Incident.objects.get(pk=incident.pk), now=local(2026, 11, 10, 6, 0))


# --- S2: the concern ------------------------------------------------------------------------------------


def test_the_concern_from_raising_to_outcome(story):
    items = concern_chronology(story.concern, now=story.now).items

    order = [
        first(
            items,
            "concern.raised",
            "Connor (practitioner, Northshire Hospital) raised the concern about Leah Ash and Baby Ash",
        ),
        first(items, "concern.consulted", "Connor consulted Gail (practitioner, Riverside Surgery)"),
        first(items, "escalation.raised", "Concern CON-"),
        first(items, "escalation.raised", "The referral to children's social care for an unborn baby"),
        first(items, "concern.transfer_offered", "Connor offered the concern to Mia"),
        first(items, "concern.transferred", "Mia accepted the concern"),
        first(items, "referral.made", "referred the concern to North council children's services"),
        first(items, "escalation.raised", "is not allocated to a social worker"),
        first(items, "escalation.acknowledged", "Carol (manager, North council children's services)"),
        first(items, "referral.allocated", "allocated referral"),
        first(items, "referral.responded", "Received; a pre-birth assessment starts"),
        first(items, "referral.outcome", "pre-birth assessment"),
        first(items, "record.viewed", "for: Pre-birth assessment"),
    ]
    assert order == sorted(order)
    assert items[order[9]].summary.endswith("to Dana (social worker, North council children's services).")
    sent = [i.summary for i in of_kind(items, "notification.sent")]
    assert any(s.startswith("Notice sent to Carol and Mia: Referral REF-") for s in sent)


def test_the_concern_gaps_use_the_working_day_deadlines(story):
    gaps = concern_chronology(story.concern, now=story.now).gaps
    by_what = {g.summary.split(" ")[0]: g for g in gaps if not g.summary.startswith("Escalation")}

    # Raised Thursday 3 September 09:00, due by the end of Friday, referred Monday 7th 14:00.
    not_referred = by_what["A"]
    assert (not_referred.start, not_referred.end) == (local(2026, 9, 3, 9, 0), local(2026, 9, 7, 14, 0))
    assert not_referred.summary.endswith("(allowed: 1 working day)")
    # Referred Monday 14:00, due by the end of Thursday, allocated the next Monday at 10:00.
    unallocated = by_what["Referral"]
    assert unallocated.minutes == (6 * 24 + 20) * 60
    assert unallocated.summary == (
        f"Referral {story.referral.reference} to North council children's services was not allocated to a "
        "social worker for 6 days 20 hours (allowed: 3 working days)"
    )
    assert "did" not in by_what  # answered on the fifth working day: in time
    assert {i.kind for i in concern_chronology(story.concern, now=story.now).items} >= {
        "gap.concern_not_referred",
        "gap.referral_unallocated",
    }


def test_the_concern_people_and_reference(story):
    concern = Concern.objects.get(pk=story.concern.pk)
    chronology = concern_chronology(concern, now=story.now)

    assert [(p.name, p.role) for p in chronology.people] == [
        ("Leah Ash", "mother of Baby Ash"),
        ("Baby Ash", "unborn child of Leah Ash"),
    ]
    assert [s.name for s in chronology.staff][:3] == ["Mia", "Connor", "Gail"]  # Mia recorded the family
    assert (chronology.record, chronology.reference) == ("concern", concern.reference)
    assert person_ids_of(concern) == [story.world.mother.pk, story.world.baby.pk]


def test_the_concern_query_count(story, django_assert_max_num_queries):
    concern = Concern.objects.get(pk=story.concern.pk)
    with django_assert_max_num_queries(23):  # subjects 1, family 3, concern rows 6, escalations 1,
        # notices 2, plans 4, audit 2, staff 1, agencies 1: 21
        concern_chronology(concern, now=story.now, pseudonymise=True)
