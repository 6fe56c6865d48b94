"""Two nights, read by a panel: scenario S1 (Family C19's home birth) and a second night of our own
making (a draft plan nobody agreed, a mother who may run, a decision maker who has not accepted).

Each builder returns the incident, the cast and the moment the panel reads it; the clock is fixed so
that every line of the headline can be asserted exactly.
"""

import datetime
from dataclasses import dataclass, field

from ooh.incidents import actions as incidents
from ooh.plans import actions as plans

from .. import factories
from ..personas import agency, persona

UTC = datetime.UTC


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment in December 2026 (London is on UTC then)."""
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@dataclass
class Night:
    incident: object
    read_at: datetime.datetime
    users: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    flags: dict = field(default_factory=dict)
    plan: object = None


def _out_of_hours_numbers():
    """Police give 101 out of hours; the ambulance service and the out-of-hours team their own lines."""
    for code, phone in (("police", "101"), ("ambulance", "01632 960200"), ("edt", "01632 960004")):
        found = agency(code)
        found.out_of_hours_phone = phone
        found.save(update_fields=["out_of_hours_phone"])


def _contacts():
    return [
        {
            "agency": agency("police"),
            "name": "DS Roe",
            "role": "Public protection",
            "phone_in_hours": "01632 960100",
        },
        {"agency": agency("edt"), "name": "EDT duty manager", "phone_out_of_hours": "01632 960004"},
        {
            "agency": agency("csc"),
            "name": "Dana Reid",
            "role": "Social worker",
            "phone_in_hours": "01632 960003",
        },
    ]


def s1_night() -> Night:
    """S1: at 23:40 on 1 December an ambulance call handler opens a birth incident for Kerry Vale and her
    unborn baby; police, ambulance and the out-of-hours team are asked to answer within 10 minutes. The
    out-of-hours social worker says attending (ETA 00:30), then at 00:05 that the team cannot attend.
    The panel reads the night at 00:10: nobody is named decision maker yet."""
    _out_of_hours_numbers()
    users = {name: persona(name) for name in ("amy", "bob", "omar", "hale", "alice", "mia", "dana")}
    dana, amy, omar, hale = users["dana"], users["amy"], users["omar"], users["hale"]
    home = factories.address(dana, line1="14 Larch Close", town="Northshire", postcode="NE3 2QX")
    kerry = factories.person(dana, given_name="Kerry", family_name="Vale", current_address=home)
    dean = factories.person(dana, given_name="Dean", family_name="Vale", current_address=home)
    baby = factories.person(
        dana, given_name="Baby", family_name="Vale", status="unborn", expected_date=datetime.date(2026, 12, 8)
    )
    factories.link(dana, kerry, "mother_of", baby)
    factories.link(dana, dean, "father_of", baby)
    factories.link(dana, dean, "partner_of", kerry)
    since = at(1, 9) - datetime.timedelta(days=60)
    flags = {
        "ucpp": factories.flag(
            dana,
            on=baby,
            category="unborn_child_protection_plan",
            severity="critical",
            summary="Unborn child protection plan",
            valid_from=since,
        ),
        "removal": factories.flag(
            dana,
            on=baby,
            category="removal_at_birth_plan",
            severity="high",
            summary="Plan to remove at birth",
            handling_instructions="Do not disclose the plan to the parents",
            valid_from=since,
        ),
        "violence": factories.flag(
            dana,
            on=dean,
            category="violence",
            severity="high",
            summary="Assaulted a social worker in 2025",
            valid_from=since,
        ),
        "threats": factories.flag(
            dana,
            on=dean,
            category="threats_to_staff",
            severity="critical",
            summary="Threatens staff who visit",
            valid_from=since,
        ),
        "dog": factories.flag(
            dana,
            on=home,
            category="dangerous_animal",
            severity="high",
            summary="Large dog, not always shut away",
            valid_from=since,
        ),
    }
    plan = plans.draft_plan(
        actor=dana,
        mother=kerry,
        unborn_child=baby,
        expected_date=datetime.date(2026, 12, 8),
        planned_place_of_birth="hospital",
        hospital="Northshire General",
        lead_professional=dana,
        child_protection_status="unborn_child_protection_plan",
        child_protection_since=datetime.date(2026, 10, 3),
        legal_status="pre_proceedings",
        legal_status_since=datetime.date(2026, 11, 2),
        plan_at_birth="Baby to stay in hospital with mother; no discharge without a strategy discussion.",
        home_birth_contingency="Ambulance to take mother and baby to Northshire General; police to attend.",
        out_of_hours_instructions="Call the EDT duty manager; police protection only if the baby is at risk.",
        parents_aware_of_plan=False,
        parents_not_aware_reason="Risk of flight if disclosed before birth.",
        people_excluded=[{"name": "Dean Vale", "reason": "Threats to staff"}],
        key_contacts=_contacts(),
        now=at(1, 9) - datetime.timedelta(days=20),
    )
    plan = plans.activate_plan(
        actor=dana,
        plan=plan,
        agreed_on=datetime.date(2026, 11, 12),
        now=at(1, 9) - datetime.timedelta(days=19),
    )
    plans.share_plan(
        actor=dana,
        plan=plan,
        agencies=[agency(c) for c in ("police", "ambulance", "edt", "midwifery")],
        now=at(1, 9) - datetime.timedelta(days=19),
    )
    plans.acknowledge_plan(actor=hale, plan=plan, now=at(1, 9) - datetime.timedelta(days=18))
    plans.acknowledge_plan(actor=omar, plan=plan, now=at(1, 9) - datetime.timedelta(days=18))
    incident = incidents.open_incident(
        actor=amy,
        kind="birth",
        summary="Mother in labour at home",
        subjects=[kerry, baby],
        address=home,
        now=at(1, 23, 40),
    )
    for code in ("police", "ambulance", "edt"):
        incidents.request_attendance(
            actor=amy, incident=incident, agency=agency(code), respond_within_minutes=10, now=at(1, 23, 41)
        )
    incidents.update_attendance(
        actor=users["bob"], incident=incident, status="attending", eta=at(2, 0, 15), now=at(1, 23, 44)
    )
    incidents.update_attendance(
        actor=omar, incident=incident, status="attending", eta=at(2, 0, 30), now=at(1, 23, 48)
    )
    incidents.update_attendance(
        actor=omar,
        incident=incident,
        status="cannot_attend",
        agreed_role="Phone advice to the decision maker; police to use police protection powers if needed",
        now=at(2, 0, 5),
    )
    return Night(incident, at(2, 0, 10), users, {"kerry": kerry, "dean": dean, "baby": baby}, flags, plan)


def second_night() -> Night:
    """A night of our own making: at 02:10 on 3 December a police call handler opens a welfare concern
    for Jade Holt, due in two days. Her baby's birth plan is a draft nobody has agreed, shared with police
    and ambulance and read by neither; care proceedings are issued but no order is made; Jade may run;
    the baby's father keeps weapons at his flat. Police are coming, ambulance has not answered, the
    out-of-hours team is coming, and the sergeant named decision maker has not accepted yet. The panel
    reads it at 02:25."""
    _out_of_hours_numbers()
    users = {name: persona(name) for name in ("alice", "bob", "omar", "hale", "sam")}
    sam, alice = users["sam"], users["alice"]
    home = factories.address(
        sam, line1="Flat 4, Quay House", line2="Harbour Road", town="Southby", postcode="SO1 4QH"
    )
    flat = factories.address(sam, line1="3 Mill Lane", town="Southby", postcode="SO2 7MN")
    jade = factories.person(sam, given_name="Jade", family_name="Holt", current_address=home)
    ryan = factories.person(sam, given_name="Ryan", family_name="Cole", current_address=flat)
    baby = factories.person(
        sam, given_name="Baby", family_name="Holt", status="unborn", expected_date=datetime.date(2026, 12, 5)
    )
    factories.link(sam, jade, "mother_of", baby)
    factories.link(sam, ryan, "father_of", baby)
    since = at(3, 1) - datetime.timedelta(days=30)
    flags = {
        "ucpp": factories.flag(
            sam,
            on=baby,
            category="unborn_child_protection_plan",
            severity="critical",
            summary="Unborn child protection plan",
            valid_from=since,
        ),
        "flight": factories.flag(
            sam,
            on=jade,
            category="flight_risk",
            severity="high",
            summary="Left the area twice when told of social care involvement",
            handling_instructions="Do not tell her removal is being considered; keep an officer at the door",
            valid_from=since,
        ),
        "mental_health": factories.flag(
            sam,
            on=jade,
            category="mental_health",
            severity="medium",
            summary="Post-natal depression after her first child",
            valid_from=since,
        ),
        "weapons": factories.flag(
            sam,
            on=flat,
            category="weapons",
            severity="critical",
            summary="Knives and a crossbow found in 2025",
            valid_from=since,
        ),
    }
    plan = plans.draft_plan(
        actor=sam,
        mother=jade,
        unborn_child=baby,
        expected_date=datetime.date(2026, 12, 5),
        planned_place_of_birth="hospital",
        hospital="Southby Royal",
        lead_professional=sam,
        child_protection_status="unborn_child_protection_plan",
        child_protection_since=datetime.date(2026, 11, 14),
        legal_status="care_proceedings_issued",
        legal_status_since=datetime.date(2026, 12, 1),
        plan_at_birth="Baby to stay in hospital until the court hears the interim care order application.",
        home_birth_contingency="Ambulance to take mother and baby to Southby Royal; police to stay until the baby is on the ward.",
        out_of_hours_instructions="Call the EDT; if Jade tries to leave with the baby, police to consider police protection.",
        parents_aware_of_plan=True,
        key_contacts=[
            {
                "agency": agency("csc2"),
                "name": "Sam Okafor",
                "role": "Social worker",
                "phone_in_hours": "01632 961000",
            },
            {"agency": agency("edt"), "name": "EDT duty manager", "phone_out_of_hours": "01632 960004"},
        ],
        now=at(3, 1) - datetime.timedelta(days=2),
    )
    plans.share_plan(
        actor=sam,
        plan=plan,
        agencies=[agency("police"), agency("ambulance")],
        now=at(3, 1) - datetime.timedelta(days=1),
    )
    incident = incidents.open_incident(
        actor=alice,
        kind="welfare_concern",
        summary="Neighbour reports Jade packing a car in the night",
        subjects=[jade, baby],
        address=home,
        now=at(3, 2, 10),
    )
    for code in ("police", "ambulance", "edt"):
        incidents.request_attendance(
            actor=alice, incident=incident, agency=agency(code), respond_within_minutes=10, now=at(3, 2, 12)
        )
    incidents.update_attendance(
        actor=users["hale"], incident=incident, status="en_route", eta=at(3, 2, 30), now=at(3, 2, 14)
    )
    incidents.update_attendance(
        actor=users["omar"], incident=incident, status="attending", eta=at(3, 3, 0), now=at(3, 2, 16)
    )
    incidents.appoint(
        actor=alice,
        incident=incident,
        role="decision_maker",
        user=users["hale"],
        reason="Sergeant on his way",
        now=at(3, 2, 20),
    )
    return Night(incident, at(3, 2, 25), users, {"jade": jade, "ryan": ryan, "baby": baby}, flags, plan)
