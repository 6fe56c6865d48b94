"""Each prompt of the night is a small rule over the picture; here each one at its boundary, with the
records it names as its source. Unsaved rows are enough: the rules read what the snapshot hands them."""

import datetime
import uuid

import pytest

from ooh.flags.models import GROUP_OF_CATEGORY, Flag
from ooh.people.models import Person
from ooh.picture import guidance
from ooh.picture.audience import POLICE, SOCIAL_CARE, Audience
from ooh.picture.guidance import GuidanceContext
from ooh.picture.headline import IncidentView

NOW = datetime.datetime(2026, 12, 2, 0, 10, tzinfo=datetime.UTC)
POLICE_ID, EDT_ID, CSC_ID, AMBULANCE_ID = (str(uuid.uuid4()) for _ in range(4))
AGENCIES = {
    POLICE_ID: {"id": POLICE_ID, "code": "police", "name": "Police control", "kind": "police"},
    EDT_ID: {"id": EDT_ID, "code": "edt", "name": "Emergency Duty Team", "kind": "ooh_social_care"},
    CSC_ID: {"id": CSC_ID, "code": "csc", "name": "North council", "kind": "childrens_social_care"},
    AMBULANCE_ID: {"id": AMBULANCE_ID, "code": "ambulance", "name": "Ambulance service", "kind": "ambulance"},
}


def baby(**fields):
    fields.setdefault("status", "unborn")
    return Person(id=uuid.uuid4(), given_name="Baby", family_name="Vale", **fields)


def flag(on, category, severity="high", **fields):
    return Flag(
        id=uuid.uuid4(),
        subject_person_id=on.pk,
        category=category,
        severity=severity,
        group=GROUP_OF_CATEGORY[category],
        summary=fields.pop("summary", "A marker"),
        handling_instructions=fields.pop("handling_instructions", ""),
        **fields,
    )


def plan(child, **fields):
    row = {
        "id": str(uuid.uuid4()),
        "status": "active",
        "version": 2,
        "unborn_child": str(child.pk),
        "mother": str(uuid.uuid4()),
        "child_protection_status": "unborn_child_protection_plan",
        "child_protection_since": "2026-10-03",
        "legal_status": "none",
        "legal_status_since": None,
        "agreed_on": "2026-11-12",
        "activated_at": "2026-11-12T10:00:00Z",
        "authoring_agency": CSC_ID,
        "lead_professional": {"id": str(uuid.uuid4()), "username": "dana", "display_name": "Dana"},
        "shared_with": [],
        "home_birth_contingency": "",
        "out_of_hours_instructions": "",
        "parents_aware_of_plan": True,
        "parents_not_aware_reason": "",
    }
    row.update(fields)
    return row


def share(agency_id, read_version=None, read_at=None):
    return {"agency": AGENCIES[agency_id], "read_version": read_version, "read_at": read_at}


def context(*, flags=(), plans=(), people=(), incident=None, audience=None):
    return GuidanceContext(
        flags=list(flags),
        birth_plans=list(plans),
        edges=[],
        people={p.pk: p for p in people},
        incident=incident,
        audience=audience or Audience(SOCIAL_CARE, False, EDT_ID),
        now=NOW,
        flag_rows={str(f.pk): {"subject_label": "Baby Vale, unborn child of Kerry Vale"} for f in flags},
    )


def attendance(agency_id, status, agreed_role=""):
    return {
        "id": str(uuid.uuid4()),
        "agency": AGENCIES[agency_id],
        "status": status,
        "agreed_role": agreed_role,
    }


def view(*rows, decision_maker=None, agencies=(), kind="birth"):
    return IncidentView(kind, list(rows), decision_maker, None, [AGENCIES[a] for a in agencies])


# --- The out-of-hours team cannot attend -------------------------------------------------------------


def test_the_out_of_hours_team_cannot_attend_puts_the_power_with_police_and_says_who_decides():
    row = attendance(EDT_ID, "cannot_attend", "Phone advice to the decision maker.")
    items = guidance.ooh_cannot_attend(context(incident=view(row)))
    assert [(i.code, i.level, i.source) for i in items] == [
        ("ooh_cannot_attend", "danger", {"attendance": row["id"]})
    ]
    assert items[0].message == (
        "Emergency Duty Team cannot attend (Phone advice to the decision maker). If the baby must be removed "
        "tonight it is by police protection: that power sits with police. Now nobody is named decision maker yet."
    )
    appointed = {"id": "a", "user": {"username": "hale", "display_name": "Sgt Hale"}, "accepted": False}
    items = guidance.ooh_cannot_attend(context(incident=view(row, decision_maker=appointed)))
    assert items[0].message.endswith("Now the decision maker is Sgt Hale, not yet accepted.")


@pytest.mark.parametrize(
    ("agency_id", "status"),
    [
        (EDT_ID, "attending"),
        (EDT_ID, "requested"),
        (POLICE_ID, "cannot_attend"),
        (AMBULANCE_ID, "cannot_attend"),
    ],
)
def test_only_the_out_of_hours_team_not_attending_raises_it(agency_id, status):
    assert guidance.ooh_cannot_attend(context(incident=view(attendance(agency_id, status, "x")))) == []


def test_no_incident_no_attendance_prompt():
    assert guidance.ooh_cannot_attend(context()) == []


# --- No court order ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("legal_status", "raised"),
    [
        ("none", True),
        ("pre_proceedings", True),
        ("care_proceedings_issued", True),
        ("other", True),
        ("interim_care_order_granted", False),
    ],
)
def test_no_court_order_until_an_interim_care_order(legal_status, raised):
    child = baby()
    items = guidance.no_court_order(context(plans=[plan(child, legal_status=legal_status)], people=[child]))
    assert [i.code for i in items] == (["no_court_order"] if raised else [])


def test_no_court_order_needs_a_child_protection_status():
    child = baby()
    items = guidance.no_court_order(
        context(plans=[plan(child, child_protection_status="none")], people=[child])
    )
    assert items == []


def test_no_court_order_says_what_it_means_in_words():
    child = baby()
    (item,) = guidance.no_court_order(context(plans=[plan(child)], people=[child]))
    assert item.message == (
        "No court order is in force (Unborn child protection plan since 3 Oct 2026): no court order, so removing "
        "the baby tonight needs police protection powers."
    )


# --- Flight risk ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "level"),
    [("critical", "danger"), ("high", "danger"), ("medium", "warning"), ("low", "warning")],
)
def test_flight_risk_with_its_handling_instructions(severity, level):
    mother = Person(id=uuid.uuid4(), given_name="Jade", family_name="Holt")
    marker = flag(
        mother,
        "flight_risk",
        severity,
        summary="Left twice.",
        handling_instructions="Keep an officer at the door",
    )
    (item,) = guidance.flight_risk(context(flags=[marker], people=[mother]))
    assert (item.code, item.level) == ("flight_risk", level)
    assert item.message.endswith("Left twice. Keep an officer at the door.")
    assert item.source == {"flags": [str(marker.pk)]}


# --- Draft plans, and plans agreed since they were read ------------------------------------------------


def test_a_draft_is_shown_as_a_draft():
    child = baby()
    assert [
        i.code for i in guidance.plan_is_draft(context(plans=[plan(child, status="draft", version=1)]))
    ] == ["plan_draft"]
    assert guidance.plan_is_draft(context(plans=[plan(child)])) == []


@pytest.mark.parametrize(
    ("read_at", "raised"),
    [
        ("2026-11-12T09:59:59Z", True),  # read a second before it was agreed
        ("2026-11-12T10:00:00Z", False),  # read at the moment it was agreed
        ("2026-11-13T08:00:00Z", False),
        (None, True),  # shared, never read
    ],
)
def test_agreed_after_the_last_acknowledgement(read_at, raised):
    child = baby()
    shared = [share(POLICE_ID, 1 if read_at else None, read_at)]
    items = guidance.plan_agreed_since_read(context(plans=[plan(child, shared_with=shared)]))
    assert [i.code for i in items] == (["plan_agreed_since_read"] if raised else [])


def test_not_shared_with_anyone_is_not_this_prompt():
    child = baby()
    assert guidance.plan_agreed_since_read(context(plans=[plan(child)])) == []


# --- A child protection flag with no plan --------------------------------------------------------------


@pytest.mark.parametrize(("born_days_ago", "raised"), [(None, True), (0, True), (28, True), (29, False)])
def test_child_protection_flag_with_no_plan_until_28_days_old(born_days_ago, raised):
    if born_days_ago is None:
        child = baby()
    else:
        child = baby(status="living", date_of_birth=NOW.date() - datetime.timedelta(days=born_days_ago))
    marker = flag(child, "child_protection_plan", "critical")
    items = guidance.child_protection_without_plan(context(flags=[marker], people=[child]))
    assert [i.code for i in items] == (["child_protection_no_plan"] if raised else [])


def test_a_plan_for_the_child_answers_it():
    child = baby()
    marker = flag(child, "unborn_child_protection_plan", "critical")
    assert (
        guidance.child_protection_without_plan(context(flags=[marker], plans=[plan(child)], people=[child]))
        == []
    )


# --- An agency on the incident has not read the current plan -------------------------------------------


def test_an_agency_on_the_incident_behind_the_current_version_or_never_given_it():
    child = baby()
    shared = [share(POLICE_ID, 1, "2026-11-01T10:00:00Z"), share(EDT_ID, 2, "2026-11-13T10:00:00Z")]
    incident = view(agencies=[POLICE_ID, EDT_ID, AMBULANCE_ID, CSC_ID])
    (item,) = guidance.agency_has_not_read_plan(
        context(plans=[plan(child, shared_with=shared)], incident=incident)
    )
    # The authoring agency (CSC) wrote it; EDT read version 2.
    assert item.message == (
        "Police control has not read version 2 of the birth plan; it was never shared with Ambulance service: "
        "read it before acting."
    )
    assert item.source["agencies"] == [POLICE_ID, AMBULANCE_ID]


def test_everyone_on_the_incident_has_read_it():
    child = baby()
    shared = [share(POLICE_ID, 2, "2026-11-13T10:00:00Z")]
    incident = view(agencies=[POLICE_ID, CSC_ID])
    assert (
        guidance.agency_has_not_read_plan(context(plans=[plan(child, shared_with=shared)], incident=incident))
        == []
    )


def test_your_own_agency_is_named_as_yours():
    child = baby()
    shared = [share(POLICE_ID)]
    items = guidance.agency_has_not_read_plan(
        context(plans=[plan(child, shared_with=shared)], audience=Audience(POLICE, False, POLICE_ID))
    )
    assert items[0].message.startswith("Your agency has not read version 2")


# --- A baby born: tell the lead professional ----------------------------------------------------------


def test_a_birth_recorded_has_told_the_lead_professional():
    child = baby(status="living", date_of_birth=datetime.date(2026, 12, 1))
    (item,) = guidance.tell_lead_professional(context(plans=[plan(child)], people=[child]))
    assert (item.code, item.level) == ("baby_born", "info")
    assert (
        "the lead professional, Dana, and the agencies the plan was shared with have been told"
        in item.message
    )


@pytest.mark.parametrize(("kind", "raised"), [("birth", True), ("welfare_concern", False)])
def test_a_birth_incident_for_an_unborn_child_asks_for_the_birth_to_be_recorded(kind, raised):
    child = baby()
    items = guidance.tell_lead_professional(
        context(plans=[plan(child)], people=[child], incident=view(kind=kind))
    )
    assert [(i.code, i.level) for i in items] == ([("baby_born", "warning")] if raised else [])


def test_no_lead_professional_nobody_to_tell():
    child = baby(status="living", date_of_birth=datetime.date(2026, 12, 1))
    assert (
        guidance.tell_lead_professional(context(plans=[plan(child, lead_professional=None)], people=[child]))
        == []
    )


# --- Handling instructions travel with the flag ---------------------------------------------------------


def test_handling_instructions_travel_with_the_flag_into_guidance():
    child = baby()
    marker = flag(
        child, "removal_at_birth_plan", handling_instructions="Do not disclose the plan to the parents"
    )
    silent = flag(child, "unborn_child_protection_plan")
    (item,) = guidance.handling_instructions(context(flags=[marker, silent], people=[child]))
    assert item.message == (
        "Baby Vale, unborn child of Kerry Vale (plan to remove at birth): Do not disclose the plan to the parents."
    )
