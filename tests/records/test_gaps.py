"""The gap rules alone, on plain rows: each wait measured to its answer, a gap only past the deadline the
service itself escalates on (the rules' minutes, the casework rules' working days)."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from ooh.records.gaps import (
    Limit,
    casework_gap,
    duration,
    missed_etas,
    no_decision_maker,
    unacknowledged,
    unanswered_requests,
)

LONDON = ZoneInfo("Europe/London")
POLICE, EDT = "police-id", "edt-id"


def at(hour, minute, day=10):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


class Names:
    def agency(self, agency_id):
        return {POLICE: "Police control", EDT: "Emergency Duty Team"}.get(agency_id, "an agency")

    def agency_of(self, user_id):
        return {"alice": "Police control", "omar": "Emergency Duty Team"}.get(user_id)


def event(type, moment, actor, **data):
    for key, value in data.items():
        if isinstance(value, dt.datetime):
            data[key] = value.isoformat()
    return SimpleNamespace(type=type, at=moment, actor_id=actor, data=data)


def asked(moment, respond_by, agency=EDT):
    return event("attendance.requested", moment, "alice", agency=agency, respond_by=respond_by)


def answered(moment, status, agency=EDT, actor="omar", **data):
    return event("attendance.updated", moment, actor, agency=agency, status=status, **data)


OPEN = Limit(at(5, 0), closed=False)


# --- Requests to attend ------------------------------------------------------------------------------


def test_an_answer_by_respond_by_is_no_gap():
    events = [asked(at(2, 2), at(2, 17)), answered(at(2, 17), "cannot_attend")]

    assert unanswered_requests(events, Names(), OPEN) == []


def test_a_late_answer_is_a_gap_from_the_request_to_the_answer():
    events = [asked(at(2, 2), at(2, 17)), answered(at(2, 49), "acknowledged")]

    [found] = unanswered_requests(events, Names(), OPEN)
    assert (found.gap.start, found.gap.end, found.gap.minutes) == (at(2, 2), at(2, 49), 47)
    assert found.gap.summary == (
        "Police control request to Emergency Duty Team unanswered for 47 minutes (an answer was asked for by 02:17)"
    )
    assert (found.due, found.kind, found.agency) == (at(2, 17), "gap.unanswered", "Emergency Duty Team")


def test_the_rules_grace_after_respond_by_is_no_gap(settings):
    settings.ESCALATION_MINUTES = {**settings.ESCALATION_MINUTES, "attendance_not_answered": 5}
    events = [asked(at(2, 2), at(2, 17)), answered(at(2, 21), "attending", eta=at(2, 40))]

    assert unanswered_requests(events, Names(), OPEN) == []


def test_never_answered_still_open_closed_or_stood_down():
    [still] = unanswered_requests([asked(at(2, 2), at(2, 17))], Names(), OPEN)
    assert still.gap.end is None
    assert (
        still.gap.summary
        == "Police control request to Emergency Duty Team still unanswered after 2 hours 58 minutes"
    )

    [closed] = unanswered_requests([asked(at(2, 2), at(2, 17))], Names(), Limit(at(3, 2), closed=True))
    assert (closed.gap.end, closed.gap.minutes) == (at(3, 2), 60)
    assert "never answered: the incident closed 1 hour after the request" in closed.gap.summary

    stood_down = answered(at(2, 32), "stood_down", actor="alice", note="Not needed")
    [down] = unanswered_requests([asked(at(2, 2), at(2, 17)), stood_down], Names(), OPEN)
    assert "never answered: stood down 30 minutes after the request" in down.gap.summary


def test_each_agency_is_measured_on_its_own():
    events = [
        asked(at(2, 2), at(2, 12), agency=POLICE),
        asked(at(2, 2), at(2, 17)),
        answered(at(2, 10), "attending", agency=POLICE, actor="alice", eta=at(2, 20)),
        answered(at(2, 30), "cannot_attend"),
    ]

    [found] = unanswered_requests(events, Names(), OPEN)
    assert found.agency == "Emergency Duty Team"
    assert found.gap.minutes == 28


# --- ETAs ---------------------------------------------------------------------------------------------


def test_arriving_within_the_rules_minutes_after_the_eta_is_no_gap():
    events = [answered(at(2, 5), "attending", eta=at(2, 20)), answered(at(2, 29), "on_scene")]

    assert missed_etas(events, Names(), OPEN) == []


def test_arriving_late_is_a_gap_from_the_eta_to_the_arrival():
    events = [answered(at(2, 5), "attending", eta=at(2, 20)), answered(at(2, 33), "on_scene")]

    [found] = missed_etas(events, Names(), OPEN)
    assert (found.gap.start, found.gap.end, found.gap.minutes) == (at(2, 20), at(2, 33), 13)
    assert found.gap.summary == (
        "Emergency Duty Team said it would arrive by 02:20 and arrived 13 minutes late, at 02:33"
    )
    assert found.due == at(2, 30)


def test_a_person_on_scene_is_the_agency_arriving():
    presence = event("presence.updated", at(2, 25), "omar", agency=EDT, status="on_scene")

    assert missed_etas([answered(at(2, 5), "en_route", eta=at(2, 20)), presence], Names(), OPEN) == []


def test_never_arriving_or_changing_the_answer_after_the_eta():
    [never] = missed_etas([answered(at(2, 5), "attending", eta=at(2, 20))], Names(), OPEN)
    assert never.gap.end is None
    assert "never arrived" in never.gap.summary

    events = [
        answered(at(2, 5), "attending", eta=at(2, 20)),
        answered(at(2, 45), "cannot_attend", agreed_role="Phone"),
    ]
    [changed] = missed_etas(events, Names(), OPEN)
    assert changed.gap.minutes == 25
    assert "when it changed its answer" in changed.gap.summary

    revised = [
        answered(at(2, 5), "attending", eta=at(2, 20)),
        answered(at(2, 10), "attending", eta=at(2, 40)),
    ]
    assert len(missed_etas([*revised, answered(at(2, 41), "on_scene")], Names(), OPEN)) == 0


# --- Nobody deciding ------------------------------------------------------------------------------------


def appointed(moment):
    return event("decision_maker.appointed", moment, "alice")


def test_a_decision_maker_within_the_rules_minutes_is_no_gap():
    assert no_decision_maker(at(2, 0), [appointed(at(2, 15))], OPEN) == []


def test_a_late_decision_maker_and_none_at_all():
    [late] = no_decision_maker(at(2, 0), [appointed(at(2, 55)), appointed(at(3, 30))], OPEN)
    assert (late.gap.minutes, late.due) == (55, at(2, 15))
    assert (
        late.gap.summary
        == "No decision maker for 55 minutes after the incident opened (the service chases after 15 minutes)"
    )

    [none] = no_decision_maker(at(2, 0), [], Limit(at(4, 0), closed=True))
    assert none.gap.end == at(4, 0)
    assert (
        none.gap.summary
        == "No decision maker was ever appointed: the incident closed 2 hours after it opened"
    )


# --- Escalations ----------------------------------------------------------------------------------------


def level(number, raised, acknowledged=None, resolved=None):
    return SimpleNamespace(
        rule="attendance_not_answered",
        level=number,
        raised_at=raised,
        due_at=at(2, 17),
        rule_snapshot={"max_level": 3, "level_wait_minutes": 10},
        acknowledged_at=acknowledged,
        resolved_at=resolved,
    )


def test_an_escalation_acknowledged_before_it_would_climb_is_no_gap():
    assert unacknowledged([[level(1, at(2, 18), acknowledged=at(2, 25))]], {}, at(5, 0)) == []


def test_an_escalation_unacknowledged_past_its_climb():
    chain = [level(1, at(2, 18), acknowledged=at(2, 35)), level(2, at(2, 29), acknowledged=at(2, 35))]
    words = {"attendance_not_answered": "request to attend not answered"}

    [found] = unacknowledged([chain], words, at(5, 0))
    assert (found.gap.minutes, found.due) == (17, at(2, 28))
    assert (
        found.gap.summary
        == "Escalation 'request to attend not answered' unacknowledged for 17 minutes, climbing to level 2"
    )

    [ended] = unacknowledged([[level(1, at(2, 18), resolved=at(3, 0))]], words, at(5, 0))
    assert ended.gap.summary.endswith("unacknowledged for 42 minutes until its condition ended")
    [never] = unacknowledged([[level(1, at(2, 18))]], words, at(5, 0))
    assert never.gap.end is None


# --- Casework, in working days ----------------------------------------------------------------------


def local(*args):
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("referred", "gap"),
    [
        (local(2026, 9, 7, 16, 0), False),  # raised Friday: one working day runs to the end of Monday
        (local(2026, 9, 8, 9, 0), True),
    ],
)
def test_a_referral_needed_counts_working_days(referred, gap):
    found = casework_gap(
        "concern_not_referred",
        local(2026, 9, 4, 9, 0),
        referred,
        Limit(local(2026, 9, 20), False),
        "A referral was needed and not made",
    )

    assert bool(found) is gap
    if gap:
        assert (
            found[0].gap.summary == "A referral was needed and not made for 4 days (allowed: 1 working day)"
        )
        assert found[0].kind == "gap.concern_not_referred"


def test_a_referral_still_unallocated_has_no_end():
    [found] = casework_gap(
        "referral_unallocated",
        local(2026, 9, 7, 14, 0),
        None,
        Limit(local(2026, 9, 14, 14, 0), False),
        "Referral R1 was not allocated",
        "North council",
    )

    assert found.gap.end is None
    assert (
        found.gap.summary
        == "Referral R1 was not allocated for 7 days, and still waiting (allowed: 3 working days)"
    )
    assert found.due == local(2026, 9, 11, 0, 0)


def test_durations_in_words():
    assert [duration(m) for m in (1, 47, 60, 125, 47 * 60, 48 * 60, 3 * 24 * 60 + 240)] == [
        "1 minute",
        "47 minutes",
        "1 hour",
        "2 hours 5 minutes",
        "47 hours",
        "2 days",
        "3 days 4 hours",
    ]
