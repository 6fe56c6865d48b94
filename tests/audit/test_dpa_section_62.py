"""The Data Protection Act 2018, section 62 (logging, for law-enforcement processing): collection,
alteration, consultation, disclosure (transfers included), combination and erasure are each logged,
and the log shows the justification, the date and time, who did it and, for a disclosure, to whom.

OPERATIONS maps each operation to the code path in ooh that performs it and the audit row it writes;
a test per operation performs it and reads that row back. Where a row lacks something s.62 asks for,
the test says what fills it (a write's justification is the purpose stated, the incident, or else
detail.justification: the duty under which its author acted; a disclosure is logged as one, naming the
recipient).
"""

import datetime
from dataclasses import dataclass

import pytest

from ooh.audit.models import AccessAction, AccessLog
from ooh.flags.actions import edit_flag
from ooh.people.actions import create_person, link_people
from ooh.plans.actions import share_plan
from ooh.records.retention import apply_retention
from tests.personas import PURPOSE
from tests.records.test_retention import TODAY, closed_incident, years_ago
from tests.vale_world import open_vale_incident


@dataclass(frozen=True)
class Operation:
    code_path: str
    action: str
    object_type: str


OPERATIONS = {
    "collection": Operation("ooh.people.actions.create_person", AccessAction.CREATE, "person"),
    "alteration": Operation("ooh.flags.actions.edit_flag", AccessAction.UPDATE, "flag"),
    "consultation": Operation(
        "GET /api/v1/people/{id}/ (api, through record_access)", AccessAction.READ, "person"
    ),
    "disclosure": Operation("ooh.plans.actions.share_plan", AccessAction.DISCLOSE, "birth_plan"),
    "combination": Operation("ooh.people.actions.link_people", AccessAction.CREATE, "relationship"),
    "erasure": Operation("ooh.records.retention.dispose (apply_retention)", AccessAction.ERASE, "incident"),
}


def last_row(operation, object_id):
    expected = OPERATIONS[operation]
    rows = AccessLog.objects.filter(action=expected.action, object_type=expected.object_type)
    return max((r for r in rows if str(object_id) in r.object_ids), key=lambda r: r.chain_seq)


def performed(world, operation):
    """Perform the operation through its code path; return the audit row it wrote and the person it is about."""
    dana, alice = world.users["dana"], world.users["alice"]
    kerry = world.people["kerry"]
    if operation == "collection":
        someone = create_person(actor=dana, given_name="Cara", family_name="Vale")
        return last_row(operation, someone.pk), someone
    if operation == "alteration":
        flag = edit_flag(
            actor=dana, flag=world.flags["ucpp"], summary="Unborn child protection plan (reviewed)"
        )
        return last_row(operation, flag.pk), world.people["baby"]
    if operation == "consultation":
        response = world.client("alice", reason=PURPOSE).get(f"/api/v1/people/{kerry.pk}/")
        assert response.status_code == 200, response.content
        return last_row(operation, kerry.pk), kerry
    if operation == "disclosure":
        share_plan(actor=dana, plan=world.plan, agencies=[world.agencies["edt"]])
        return last_row(operation, world.plan.pk), kerry
    if operation == "combination":
        link = link_people(
            actor=dana, from_person=world.people["dean"], to_person=kerry, kind="ex_partner_of"
        )
        return last_row(operation, link.pk), kerry
    incident = closed_incident(alice, [kerry], years_ago(36))  # Kerry's child protection record, 35 years
    apply_retention(today=TODAY)
    return last_row(operation, incident.pk), kerry


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_operation_is_logged_with_when_who_and_whose_record(world, operation):
    before = datetime.datetime.now(datetime.UTC)
    row, person = performed(world, operation)
    assert row.action == OPERATIONS[operation].action
    assert before <= row.at <= datetime.datetime.now(datetime.UTC)  # the date and time
    assert str(person.pk) in {str(p.person_id) for p in row.people.all()}  # whose record
    if operation == "erasure":  # ooh itself, under the schedule: no person did it
        assert (row.user, row.username, row.agency) == (None, "retention", None)
    else:
        assert row.user is not None  # who: the user, their agency and their role
        assert row.agency == row.user.membership.agency
        assert row.role == row.user.membership.role


def test_consultation_records_its_justification(world):
    row, _ = performed(world, "consultation")
    assert row.reason == PURPOSE


def test_erasure_records_its_justification_the_rule(world):
    row, _ = performed(world, "erasure")
    assert row.reason.startswith("Retention schedule: child_protection")
    assert row.detail["disposal"] == "delete"
    assert row.detail["tombstone"]


def test_a_disclosure_names_the_agency_it_was_disclosed_to(world):
    row, _ = performed(world, "disclosure")
    assert row.detail["shared_with"] == [str(world.agencies["edt"].pk)]
    assert row.detail["disclosed_to"] == [world.agencies["edt"].name]


@pytest.mark.parametrize("operation", ["collection", "alteration", "combination", "disclosure"])
def test_a_write_without_a_stated_purpose_records_the_duty_it_was_made_under(world, operation):
    row, _ = performed(world, operation)
    agency = world.users["dana"].membership.agency
    assert row.reason == ""  # nobody stated one: the reason is only ever what a person said
    assert row.detail["justification"].endswith(
        f"in the course of the safeguarding duties of {agency.name} (social worker)"
    )


def test_a_write_with_a_stated_purpose_records_that_purpose(world):
    """Through the API, the purpose the caller states (X-Access-Reason) is the write's justification."""
    body = {"given_name": "Cara", "family_name": "Vale"}
    response = world.client("dana", reason="Cara is Kerry's sister, caring for the baby").post(
        "/api/v1/people/", body, format="json"
    )
    assert response.status_code == 201, response.content
    row = last_row("collection", response.json()["id"])
    assert row.reason == "Cara is Kerry's sister, caring for the baby"
    assert "justification" not in row.detail


def test_a_write_on_an_incident_is_justified_by_the_incident(world):
    incident = open_vale_incident(world)
    opened = AccessLog.objects.get(action=AccessAction.CREATE, object_type="incident")
    assert opened.incident_id == incident.pk
