"""The panel: a call handler, a paramedic, an out-of-hours social worker and a police sergeant read the
headline of two nights (tests/picture/nights.py), and each gets exactly these lines, in this order:
danger to staff, the legal position and who holds the power to act, the plan's instructions for tonight,
who is coming and when, who decides. Written for the reader: a paramedic is never told to attend with
two officers, police are told when the power to remove the baby sits with them.
"""

import re

import pytest
from django.db import connection

from ooh.flags.models import FlagCategory
from ooh.incidents.models import AttendanceStatus
from ooh.picture import ready, snapshot
from ooh.picture.audience import audience_of

from ..personas import client_for
from .nights import s1_night, second_night

pytestmark = pytest.mark.django_db

S1 = {
    "amy": [
        (
            "danger",
            "flag",
            "Dean Vale, father of the unborn child: threats to staff, critical; violence, high. Crews wait for police before going in.",
        ),
        ("danger", "flag", "14 Larch Close, Northshire NE3 2QX: dangerous animal, high."),
        (
            "warning",
            "plan",
            "Unborn child protection plan since 3 Oct 2026; pre-proceedings since 2 Nov 2026. Pre-proceedings gives no power on its own, so removing the baby tonight needs police protection powers. Only a police officer can use them.",
        ),
        (
            "warning",
            "plan",
            "Birth plan, agreed, version 2. If born at home or early: Ambulance to take mother and baby to Northshire General; police to attend. Out of hours: Call the EDT duty manager; police protection only if the baby is at risk.",
        ),
        (
            "danger",
            "plan",
            "Do not tell the parents about the plan (risk of flight if disclosed before birth). Excluded from the ward: Dean Vale. Version 2 not read by: Ambulance service (your agency), Community midwives.",
        ),
        (
            "warning",
            "attendance",
            "Ambulance service (your agency): coming, ETA 00:15; Emergency Duty Team: cannot attend (phone advice to the decision maker; police to use police protection powers if needed). Not answered: Police control, asked 23:41, overdue.",
        ),
        (
            "warning",
            "rule",
            "No decision maker yet. Name one now. Out-of-hours social care cannot attend: the decision on police protection rests with police.",
        ),
    ],
    "bob": [
        (
            "danger",
            "flag",
            "Dean Vale, father of the unborn child: threats to staff, critical; violence, high. Wait for police before going in.",
        ),
        ("danger", "flag", "14 Larch Close, Northshire NE3 2QX: dangerous animal, high."),
        (
            "warning",
            "plan",
            "Unborn child protection plan since 3 Oct 2026; pre-proceedings since 2 Nov 2026. Pre-proceedings gives no power on its own, so removing the baby tonight needs police protection powers. Only a police officer can use them.",
        ),
        (
            "warning",
            "plan",
            "Birth plan, agreed, version 2. If born at home or early: Ambulance to take mother and baby to Northshire General; police to attend. Out of hours: Call the EDT duty manager; police protection only if the baby is at risk.",
        ),
        (
            "danger",
            "plan",
            "Do not tell the parents about the plan (risk of flight if disclosed before birth). Excluded from the ward: Dean Vale. Version 2 not read by: Ambulance service (your agency), Community midwives.",
        ),
        (
            "warning",
            "attendance",
            "Ambulance service (your agency): coming, ETA 00:15; Emergency Duty Team: cannot attend (phone advice to the decision maker; police to use police protection powers if needed). Not answered: Police control, asked 23:41, overdue.",
        ),
        (
            "warning",
            "rule",
            "No decision maker yet. Ask the control room who decides. Out-of-hours social care cannot attend: the decision on police protection rests with police.",
        ),
    ],
    "omar": [
        (
            "danger",
            "flag",
            "Dean Vale, father of the unborn child: threats to staff, critical; violence, high. Do not go in alone: go with police.",
        ),
        ("danger", "flag", "14 Larch Close, Northshire NE3 2QX: dangerous animal, high."),
        (
            "warning",
            "plan",
            "Unborn child protection plan since 3 Oct 2026; pre-proceedings since 2 Nov 2026. Pre-proceedings gives no power on its own, so removing the baby tonight needs police protection powers. Only a police officer can use them.",
        ),
        (
            "warning",
            "plan",
            "Birth plan, agreed, version 2. If born at home or early: Ambulance to take mother and baby to Northshire General; police to attend. Out of hours: Call the EDT duty manager; police protection only if the baby is at risk.",
        ),
        (
            "danger",
            "plan",
            "Do not tell the parents about the plan (risk of flight if disclosed before birth). Excluded from the ward: Dean Vale. Version 2 not read by: Ambulance service, Community midwives.",
        ),
        (
            "warning",
            "attendance",
            "Ambulance service: coming, ETA 00:15; Emergency Duty Team (your agency): cannot attend (phone advice to the decision maker; police to use police protection powers if needed). Not answered: Police control, asked 23:41, overdue.",
        ),
        (
            "warning",
            "rule",
            "No decision maker yet. Ask the control room who decides. Out-of-hours social care cannot attend: the decision on police protection rests with police.",
        ),
    ],
    "hale": [
        (
            "danger",
            "flag",
            "Dean Vale, father of the unborn child: threats to staff, critical; violence, high. Attend with two officers.",
        ),
        ("danger", "flag", "14 Larch Close, Northshire NE3 2QX: dangerous animal, high."),
        (
            "warning",
            "plan",
            "Unborn child protection plan since 3 Oct 2026; pre-proceedings since 2 Nov 2026. Pre-proceedings gives no power on its own, so removing the baby tonight needs police protection powers. Those powers sit with you.",
        ),
        (
            "warning",
            "plan",
            "Birth plan, agreed, version 2. If born at home or early: Ambulance to take mother and baby to Northshire General; police to attend. Out of hours: Call the EDT duty manager; police protection only if the baby is at risk.",
        ),
        (
            "danger",
            "plan",
            "Do not tell the parents about the plan (risk of flight if disclosed before birth). Excluded from the ward: Dean Vale. Version 2 not read by: Ambulance service, Community midwives.",
        ),
        (
            "warning",
            "attendance",
            "Ambulance service: coming, ETA 00:15; Emergency Duty Team: cannot attend (phone advice to the decision maker; police to use police protection powers if needed). Not answered: Police control (your agency), asked 23:41, overdue.",
        ),
        (
            "warning",
            "rule",
            "No decision maker yet. Ask the control room who decides. Out-of-hours social care cannot attend: the decision on police protection rests with police.",
        ),
    ],
}

SECOND_NIGHT = {
    "alice": [
        (
            "danger",
            "flag",
            "3 Mill Lane, Southby SO2 7MN, home of Ryan Cole, father of the unborn child: weapons, critical. Send two officers.",
        ),
        (
            "warning",
            "plan",
            "Unborn child protection plan since 14 Nov 2026; care proceedings issued since 1 Dec 2026. Care proceedings are issued but no order is made, so removing the baby tonight needs police protection powers or an emergency protection order. Those powers sit with the officers you send.",
        ),
        (
            "danger",
            "flag",
            "Jade Holt, mother of Baby Holt: flight risk, high. Do not tell her removal is being considered; keep an officer at the door.",
        ),
        (
            "warning",
            "plan",
            "Birth plan: DRAFT, NOT AGREED, version 1. If born at home or early: Ambulance to take mother and baby to Southby Royal; police to stay until the baby is on the ward. Out of hours: Call the EDT; if Jade tries to leave with the baby, police to consider police protection.",
        ),
        ("warning", "plan", "Version 1 not read by: Ambulance service, Police control (your agency)."),
        (
            "warning",
            "attendance",
            "Emergency Duty Team: coming, ETA 03:00; Police control (your agency): coming, ETA 02:30. Not answered: Ambulance service, asked 02:12, overdue.",
        ),
        ("warning", "attendance", "Decision maker: Hale (Police control), appointed, not yet accepted."),
    ],
    "bob": [
        (
            "danger",
            "flag",
            "3 Mill Lane, Southby SO2 7MN, home of Ryan Cole, father of the unborn child: weapons, critical. Wait for police before going in.",
        ),
        (
            "warning",
            "plan",
            "Unborn child protection plan since 14 Nov 2026; care proceedings issued since 1 Dec 2026. Care proceedings are issued but no order is made, so removing the baby tonight needs police protection powers or an emergency protection order. Only a police officer can use them.",
        ),
        (
            "danger",
            "flag",
            "Jade Holt, mother of Baby Holt: flight risk, high. Do not tell her removal is being considered; keep an officer at the door.",
        ),
        (
            "warning",
            "plan",
            "Birth plan: DRAFT, NOT AGREED, version 1. If born at home or early: Ambulance to take mother and baby to Southby Royal; police to stay until the baby is on the ward. Out of hours: Call the EDT; if Jade tries to leave with the baby, police to consider police protection.",
        ),
        ("warning", "plan", "Version 1 not read by: Ambulance service (your agency), Police control."),
        (
            "warning",
            "attendance",
            "Emergency Duty Team: coming, ETA 03:00; Police control: coming, ETA 02:30. Not answered: Ambulance service (your agency), asked 02:12, overdue.",
        ),
        ("warning", "attendance", "Decision maker: Hale (Police control), appointed, not yet accepted."),
    ],
    "omar": [
        (
            "danger",
            "flag",
            "3 Mill Lane, Southby SO2 7MN, home of Ryan Cole, father of the unborn child: weapons, critical. Do not go in alone: go with police.",
        ),
        (
            "warning",
            "plan",
            "Unborn child protection plan since 14 Nov 2026; care proceedings issued since 1 Dec 2026. Care proceedings are issued but no order is made, so removing the baby tonight needs police protection powers or an emergency protection order. Only a police officer can use them.",
        ),
        (
            "danger",
            "flag",
            "Jade Holt, mother of Baby Holt: flight risk, high. Do not tell her removal is being considered; keep an officer at the door.",
        ),
        (
            "warning",
            "plan",
            "Birth plan: DRAFT, NOT AGREED, version 1. If born at home or early: Ambulance to take mother and baby to Southby Royal; police to stay until the baby is on the ward. Out of hours: Call the EDT; if Jade tries to leave with the baby, police to consider police protection.",
        ),
        ("warning", "plan", "Version 1 not read by: Ambulance service, Police control."),
        (
            "warning",
            "attendance",
            "Emergency Duty Team (your agency): coming, ETA 03:00; Police control: coming, ETA 02:30. Not answered: Ambulance service, asked 02:12, overdue.",
        ),
        ("warning", "attendance", "Decision maker: Hale (Police control), appointed, not yet accepted."),
    ],
    "hale": [
        (
            "danger",
            "flag",
            "3 Mill Lane, Southby SO2 7MN, home of Ryan Cole, father of the unborn child: weapons, critical. Attend with two officers.",
        ),
        (
            "warning",
            "plan",
            "Unborn child protection plan since 14 Nov 2026; care proceedings issued since 1 Dec 2026. Care proceedings are issued but no order is made, so removing the baby tonight needs police protection powers or an emergency protection order. Those powers sit with you.",
        ),
        (
            "danger",
            "flag",
            "Jade Holt, mother of Baby Holt: flight risk, high. Do not tell her removal is being considered; keep an officer at the door.",
        ),
        (
            "warning",
            "plan",
            "Birth plan: DRAFT, NOT AGREED, version 1. If born at home or early: Ambulance to take mother and baby to Southby Royal; police to stay until the baby is on the ward. Out of hours: Call the EDT; if Jade tries to leave with the baby, police to consider police protection.",
        ),
        ("warning", "plan", "Version 1 not read by: Ambulance service, Police control (your agency)."),
        (
            "warning",
            "attendance",
            "Emergency Duty Team: coming, ETA 03:00; Police control (your agency): coming, ETA 02:30. Not answered: Ambulance service, asked 02:12, overdue.",
        ),
        ("warning", "attendance", "You are appointed decision maker: accept or decline now."),
    ],
}


def read(night, name):
    body, _network = snapshot.build(
        snapshot.load(night.incident.pk), now=night.read_at, audience=audience_of(night.users[name])
    )
    return body


@pytest.mark.parametrize("name", list(S1))
def test_s1_headline_per_role(name):
    body = read(s1_night(), name)
    assert [(line["level"], line["source"], line["text"]) for line in body["headline"]] == S1[name]


@pytest.mark.parametrize("name", list(SECOND_NIGHT))
def test_second_night_headline_per_role(name):
    body = read(second_night(), name)
    assert [(line["level"], line["source"], line["text"]) for line in body["headline"]] == SECOND_NIGHT[name]


def test_the_snapshot_opens_with_the_headline_and_each_line_names_its_records():
    night = s1_night()
    body = read(night, "bob")
    assert next(iter(body)) == "headline"
    assert len(body["headline"]) <= 7
    flags = {f["id"] for f in body["network"]["flags"]}
    danger = body["headline"][0]
    assert danger["code"] == "danger_to_staff"
    assert set(danger["ids"]) == {str(night.flags["threats"].pk), str(night.flags["violence"].pk)} <= flags
    legal = next(line for line in body["headline"] if line["code"] == "legal_position")
    assert legal["ids"] == [str(night.plan.pk)]
    coming = next(line for line in body["headline"] if line["code"] == "coming")
    assert set(coming["ids"]) == {row["id"] for row in body["attendance"]}


# The values that read as code, not words ("violence" is both): every value with an underscore.
ENUM = re.compile("|".join(v for v in {*FlagCategory.values, *AttendanceStatus.values} if "_" in v))


@pytest.mark.parametrize("builder", [s1_night, second_night])
def test_no_enum_value_reaches_text_meant_for_people(builder):
    night = builder()
    for name in night.users:
        body = read(night, name)
        texts = [line["text"] for line in body["headline"]] + [g["message"] for g in body["guidance"]]
        texts += [f["subject_label"] for f in body["network"]["flags"]]
        for text in texts:
            assert not ENUM.search(text), (name, text)


def test_a_paramedic_is_never_told_to_attend_with_two_officers_and_police_hold_the_powers():
    night = s1_night()
    for name in ("bob", "amy", "omar"):
        body = read(night, name)
        words = " ".join(line["text"] for line in body["headline"]) + " ".join(
            g["message"] for g in body["guidance"]
        )
        assert "two officers" not in words
        assert "sit with you" not in words
    police = " ".join(line["text"] for line in read(night, "hale")["headline"])
    assert "Attend with two officers." in police
    assert "Those powers sit with you." in police


# The snapshot stays one request with its headline. Built: the token, the incident (through the access
# policy, with what the snapshot reads of its row), subjects, links, people, residences, identifiers,
# flags, plans with their key contacts, shares and acknowledgements, attendance, agencies on the incident,
# decisions, flag read receipts, people on scene, DASH recommendations, open escalations, then the audit
# (chain head, the row, the people disclosed; PostgreSQL writes the row and its people in one statement).
# Kept (ooh/picture/ready.py): the token, the incident and the audit, nothing of the build.
SNAPSHOT_QUERIES = 21 if connection.vendor == "postgresql" else 22
KEPT_SNAPSHOT_QUERIES = 4 if connection.vendor == "postgresql" else 5


def test_the_snapshot_with_its_headline_is_one_request_in_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    night = s1_night()
    client = client_for(night.users["bob"])
    url = f"/api/v1/incidents/{night.incident.pk}/"
    assert client.get(url).status_code == 200  # warm: the token's first use is recorded
    ready.shelf().forget()
    with django_assert_num_queries(SNAPSHOT_QUERIES):
        body = client.get(url).json()
    with django_assert_num_queries(KEPT_SNAPSHOT_QUERIES):
        assert client.get(url).json() == body
    assert body["headline"][0]["code"] == "danger_to_staff"
