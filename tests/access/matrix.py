"""The authorisation matrix: one table of every route x method x persona x situation -> expected status.

The world is personas.build_world() (North council's Vale family, South council's Mosses) and the night
of tonight's incident: police control (Alice) opened it for Kerry and her unborn baby, the ambulance
service is asked to attend, Sergeant Hale is the decision maker, and only then was the birth plan shared
with the midwives. Who sees what below is written out by hand from the policy as the README states it,
never computed by ooh.access: a table that asked the code under test could not catch it leaking.

Situations: `family` (the path names the Vale family's record), for some rows `other family` (the
Mosses' record instead: South council's case, on no incident), and `unknown` (an id never issued,
which must answer exactly as a record outside need to know does). A list has one situation, `list`, and may
also say which of the world's records each persona must find in it (a list that answers 200 can leak).
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from alerts.escalation_rules import Due, stamp
from alerts.escalations import raise_due
from alerts.models import Notification
from ooh.access import actions as access_actions
from ooh.accounts.actions import issue_token, register_device
from ooh.accounts.models import AgencyKind, Role
from ooh.incidents import actions as incident_actions
from ooh.incidents.models import AppointmentRole, Attendance
from ooh.plans import actions as plan_actions
from tests.factories import DEFAULT_PASSWORD, AgencyFactory, UserFactory, member

from .personas import PURPOSE, build_world, complete_plan_fields

# --- Personas ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    name: str
    username: str | None  # None: not signed in
    who: str
    reason: str | None = None  # sent as X-Access-Reason on every request: a stated purpose
    breaks_glass_on: tuple = ()  # people the persona breaks glass on before each request
    # Before each request, tonight's incident is closed this long ago (the persona's view a day later).
    incident_closed_hours_ago: int | None = None


PERSONAS = (
    Persona("anonymous", None, "not signed in"),
    Persona("nobody", "nobody", "signed in, no agency membership"),
    Persona("ada", "ada", "admin of North council: administers its users, sees no casework"),
    Persona("alice", "alice", "police call handler, no purpose stated; police opened tonight's incident"),
    Persona("alice_purpose", "alice", "the same call handler stating a purpose", reason=PURPOSE),
    Persona("amy", "amy", "ambulance call handler: a control room, but not the one that opened it"),
    Persona("bob", "bob", "ambulance responder; his service is asked to attend tonight's incident"),
    Persona("hale", "hale", "police responder, appointed decision maker tonight"),
    Persona("ray", "ray", "responder of a neighbouring ambulance service, not involved"),
    Persona(
        "eve",
        "eve",
        "call handler of the out-of-hours social care team (EDT): a call handler, but no control room; "
        "EDT is a key contact on the plan, so it is on tonight's incident",
    ),
    Persona(
        "dana", "dana", "North council social worker: recorded the Vales, leads the plan, owns the flags"
    ),
    Persona("carol", "carol", "North council manager (Dana's)"),
    Persona("mia", "mia", "midwife; the plan was shared with her agency after the incident was opened"),
    Persona("sam", "sam", "South council social worker: no relationship with the Vales"),
    Persona(
        "sam_bg",
        "sam",
        "the same social worker after break-glass on Kerry and the baby",
        breaks_glass_on=("kerry", "baby"),
    ),
    Persona("max", "max", "South council manager; reviews Sid's break-glass"),
    # Last: on the websocket pass (committed, not rolled back) the incident stays closed after it.
    Persona(
        "bob_next_day",
        "bob",
        "the ambulance responder once the incident closed 25 hours ago: the night's picture is gone",
        incident_closed_hours_ago=25,
    ),
)
NAMES = tuple(p.name for p in PERSONAS)

MEMBERS = frozenset(NAMES) - {"anonymous", "nobody"}
CASEWORK = MEMBERS - {"ada"}
CONTROL_ROOMS = frozenset({"alice", "alice_purpose", "amy"})
# Record people, addresses and links: the roles that hold cases, and control rooms.
RECORDING = CONTROL_ROOMS | {"dana", "carol", "mia", "sam", "sam_bg", "max"}
# Kerry, the baby, their flags and plans, and their home: control rooms; the agencies on tonight's
# incident (police opened it, ambulance is asked, North council keeps the plan); the midwives it is
# shared with; and Sam once he has broken glass on them.
SEES_MOTHER_AND_BABY = CONTROL_ROOMS | {"bob", "hale", "eve", "dana", "carol", "mia", "sam_bg"}
# Dean, the father: linked to tonight's subjects, but neither on the shared plan nor broken glass on.
SEES_FATHER = CONTROL_ROOMS | {"bob", "hale", "eve", "dana", "carol"}
# The incident itself stays visible to the agencies on it after it closes (its record), but not the
# family's records, 24 hours after.
SEES_INCIDENT = CONTROL_ROOMS | {"bob", "hale", "eve", "dana", "carol", "bob_next_day"}
# Lena Moss and her flag: control rooms, and South council, whose case she is.
SEES_MOSSES = CONTROL_ROOMS | {"sam", "sam_bg", "max"}
# A recording role of an agency with a case on the Vales: North council recorded them; police is a key
# contact on the plan. The ambulance service and the midwives hold no case; EDT is a key contact too,
# but Eve's role neither holds cases nor is a control room's, so she records nothing.
CASE_ON_FAMILY = frozenset({"alice", "alice_purpose", "dana", "carol"})
# The lead professional's agency, in the roles that keep plans; the flags' owner and her manager.
PLAN_KEEPERS = frozenset({"dana", "carol"})
FLAG_KEEPERS = frozenset({"dana", "carol"})
# Ask agencies to attend, stand them down: control rooms. Appoint: those, or the decision maker.
DIRECTS_INCIDENT = CONTROL_ROOMS
APPOINTS = CONTROL_ROOMS | {"hale"}
# Close: the control room of the agency that opened it (police, not ambulance), or the decision maker.
CLOSES_INCIDENT = frozenset({"alice", "alice_purpose", "hale"})
AUDIT_READERS = frozenset({"ada", "carol", "max"})
# A closed incident refuses every change (409); a change the role may not make anyway may say so first.
CLOSED = 409
REFUSED_WHEN_CLOSED = frozenset({403, 409})
# Not signed in, signed in without a membership, an admin, a caseworker.
PUBLIC_SAMPLE = ("anonymous", "nobody", "ada", "dana")


def members(status, **but) -> dict:
    """Anonymous 401, no membership 403, every member `status`, except as named."""
    table = {"anonymous": 401, "nobody": 403, **{name: status for name in MEMBERS}}
    return _overridden(table, but)


def everyone(status) -> dict:
    return {name: status for name in NAMES}


def need_to_know(status, *, allowed, sees, **but) -> dict:
    """`status` for those allowed; 403 for the others who may see the record; 404 for everyone else,
    exactly as for an id never issued."""
    table = {"anonymous": 401, "nobody": 403}
    for name in MEMBERS:
        table[name] = status if name in allowed else 403 if name in sees else 404
    return _overridden(table, but)


def creates(status, *, allowed, blind=frozenset(), **but) -> dict:
    """A create: `status` for those allowed; 400 for the `blind`, whose body names a record they cannot
    see (it reads as one that does not exist); 403 for every other member."""
    table = {"anonymous": 401, "nobody": 403}
    for name in MEMBERS:
        table[name] = status if name in allowed else 400 if name in blind else 403
    return _overridden(table, but)


def _overridden(table, but):
    unknown = set(but) - set(NAMES)
    assert not unknown, f"no such persona: {unknown}"
    return {**table, **but}


# --- The world -----------------------------------------------------------------------------------------


@dataclass
class MatrixWorld:
    world: object
    # name -> id (str) of every record the table names (and the plan's version, for If-Match)
    ids: dict = field(default_factory=dict)

    def user(self, name):
        return self.world.users[name]


def build_matrix_world() -> MatrixWorld:
    """personas.build_world(), then tonight's incident, a second (draft) plan, the shared plan, an
    escalation and its inbox entry, a break-glass access, a registered phone and a second session."""
    world = build_world()
    agencies, users, people = world.agencies, world.users, world.people
    agencies["ambulance2"] = AgencyFactory(
        code="ambulance2", name="Neighbouring ambulance service", kind=AgencyKind.AMBULANCE
    )
    users["ray"] = member(role=Role.RESPONDER, agency=agencies["ambulance2"], username="ray")
    users["sid"] = member(role=Role.SOCIAL_WORKER, agency=agencies["csc2"], username="sid")
    users["eve"] = member(role=Role.CALL_HANDLER, agency=agencies["edt"], username="eve")
    users["nobody"] = UserFactory(username="nobody")
    alice, dana, kerry, baby = users["alice"], users["dana"], people["kerry"], people["baby"]

    # A replacement plan Dana is drafting: a draft beside the plan in force, complete, to activate.
    draft = plan_actions.draft_plan(
        actor=dana, mother=kerry, unborn_child=baby, **complete_plan_fields(world, dana)
    )

    # Tonight: police control opens the incident as the API does (the plan's agencies are stakeholders).
    incident = incident_actions.open_incident(
        actor=alice,
        kind="birth",
        summary="Home birth, mother with an unborn child protection plan",
        subjects=[kerry, baby],
        address=world.home,
    )
    incident_actions.request_attendance(
        actor=alice, incident=incident, agency=agencies["ambulance"], respond_within_minutes=15
    )
    incident_actions.appoint(
        actor=alice,
        incident=incident,
        role=AppointmentRole.DECISION_MAKER,
        user=users["hale"],
        reason="First on scene",
    )
    # Shared after the incident was opened: the midwives see the plan's mother and baby, not the incident.
    plan_actions.share_plan(actor=dana, plan=world.plan, agencies=[agencies["midwifery"]])

    asked = Attendance.objects.get(incident=incident, agency=agencies["ambulance"])
    escalation = raise_due(
        Due(
            "attendance_not_answered",
            f"attendance:{asked.pk}:{stamp(asked.respond_by)}",
            asked.respond_by,
            "Ambulance service has not answered.",
            users={users["bob"].pk},
            agencies={agencies["ambulance"].pk},
            incident_id=incident.pk,
        )
    )
    notification = Notification.objects.get(escalation=escalation, user=users["bob"])
    grant = access_actions.break_glass(
        actor=users["sid"], person=kerry, reason="Mother reported missing from the ward"
    )
    device, _ = register_device(user=dana, platform="fcm", push_token="dana-work-phone", name="Work phone")
    session, _ = issue_token(user=dana, device_name="Tablet")

    ids = {name: str(person.pk) for name, person in people.items()}
    ids |= {
        "home": str(world.home.pk),
        "partner": str(world.links["partner"].pk),
        "ucpp": str(world.flags["ucpp"].pk),
        "violence": str(world.flags["violence"].pk),
        "lena_flag": str(world.flags["lena"].pk),
        "plan": str(world.plan.pk),
        "plan_version": str(world.plan.version),
        "draft": str(draft.pk),
        "incident": str(incident.pk),
        "escalation": str(escalation.pk),
        "notification": str(notification.pk),
        "grant": str(grant.pk),
        "device": str(device.pk),
        "session": session.token_key,
        **{f"agency_{code}": str(agency.pk) for code, agency in agencies.items()},
        **{f"user_{name}": str(user.pk) for name, user in users.items()},
    }
    return MatrixWorld(world=world, ids=ids)


# --- Bodies -------------------------------------------------------------------------------------------


def _soon(**delta) -> str:
    return (timezone.now() + datetime.timedelta(**delta)).isoformat()


def _plan_body(ids, me):
    """A complete plan for the Vale baby, naming the caller as lead professional (it must be one of the
    drafting agency's members)."""
    today = timezone.localdate()
    return {
        "mother": ids["kerry"],
        "unborn_child": ids["baby"],
        "expected_date": str(today + datetime.timedelta(days=7)),
        "planned_place_of_birth": "hospital",
        "hospital": "Northshire General",
        "lead_professional": ids[f"user_{me}"] if me else None,
        "child_protection_status": "unborn_child_protection_plan",
        "legal_status": "pre_proceedings",
        "plan_at_birth": "Baby to remain in hospital with mother.",
        "home_birth_contingency": "Ambulance to take mother and baby to Northshire General.",
        "out_of_hours_instructions": "Call the EDT duty manager.",
        "parents_aware_of_plan": True,
        "key_contacts": [
            {"agency": ids["agency_police"], "name": "DS Roe", "phone_out_of_hours": "01632 960101"},
            {"agency": ids["agency_edt"], "name": "EDT duty", "phone_out_of_hours": "01632 960004"},
        ],
    }


# --- Rows ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    route: str  # the URL name (namespace:name), or a websocket route's pattern
    method: str
    path: str  # with {name} for the world's ids
    expect: dict  # persona -> status (an int, or a set of ints) in the row's first situation
    rule: str = ""  # who may, in words
    target: str | None = None  # the id an `unknown` situation replaces with one never issued
    unknown: dict | None = None  # persona -> status for that id; default: members 404
    body: object = None  # callable(ids, persona's username) -> dict
    headers: dict = field(default_factory=dict)  # request META, formatted with the ids
    returns: dict | None = None  # list rows: persona -> the world's records it must list, exactly
    listed_by: str = "id"  # the field of each listed item that names a record of the world
    personas: tuple | None = None  # the personas the row is run as, when not every one
    # The Mosses' record in the target's place: outside the Vales' relationships, inside South council's.
    other_family: tuple | None = None  # (the world's name of that record, {persona: expected})

    @property
    def situations(self):
        """(situation, {persona: expected}) in order."""
        if self.target is None:
            return [("list" if self.returns is not None else "once", self.expect)]
        situations = [("family", self.expect)]
        if self.other_family is not None:
            situations.append(("other family", self.other_family[1]))
        return [*situations, ("unknown", self.unknown or members(404))]

    def key(self):
        return (self.route, self.method)


ALL_PEOPLE = {"kerry", "dean", "baby", "lena", "leo"}
VALES = {"kerry", "dean", "baby"}
MOSSES = {"lena", "leo"}


def _lists(**by_persona) -> dict:
    """Which of the world's records each member must find in a list: as named, else none of them."""
    return {name: set(by_persona.get(name, ())) for name in MEMBERS}


ROWS = [
    # --- Public: probes, the schema and its docs, sign-in -------------------------------------------
    Row("healthz", "GET", "/healthz", everyone(200), "anyone (a load balancer)"),
    Row("readyz", "GET", "/readyz", everyone(200), "anyone (a load balancer)"),
    # One document for everyone that takes a second to generate: run as one caller of each kind.
    Row(
        "schema",
        "GET",
        "/api/schema/",
        {name: 200 for name in PUBLIC_SAMPLE},
        "anyone: the contract, no records",
        personas=PUBLIC_SAMPLE,
    ),
    Row("docs", "GET", "/api/docs/", everyone(200), "anyone: the contract, no records"),
    Row(
        "api:token",
        "POST",
        "/api/v1/auth/token/",
        everyone(201),
        "anyone with a member's username and password (a token in the request is ignored)",
        body=lambda ids, me: {"username": "pat", "password": DEFAULT_PASSWORD, "device_name": "Matrix phone"},
    ),
    # --- The caller's own account ------------------------------------------------------------------
    Row("api:logout", "POST", "/api/v1/auth/logout/", members(204), "any member, for their own token"),
    Row(
        "api:logout-all", "POST", "/api/v1/auth/logout-all/", members(204), "any member, for their own tokens"
    ),
    Row("api:me", "GET", "/api/v1/me/", members(200), "any member"),
    Row("api:agency-list", "GET", "/api/v1/agencies/", members(200), "any member: the directory"),
    Row("api:ws-ticket", "POST", "/api/v1/ws-ticket/", members(201), "any member"),
    Row(
        "api:device-list",
        "GET",
        "/api/v1/devices/",
        members(200),
        "any member: their own phones",
        returns=_lists(dana={"device"}),
    ),
    Row(
        "api:device-list",
        "POST",
        "/api/v1/devices/",
        members(201),
        "any member registers their phone",
        body=lambda ids, me: {"platform": "fcm", "push_token": "matrix-new-phone", "name": "New phone"},
    ),
    Row(
        "api:device-detail",
        "DELETE",
        "/api/v1/devices/{device}/",
        members(404, dana=204),
        "its owner only",
        target="device",
    ),
    Row(
        "api:session-list",
        "GET",
        "/api/v1/auth/sessions/",
        members(200),
        "any member: their own sessions",
        returns=_lists(dana={"session"}),
    ),
    Row(
        "api:session-detail",
        "DELETE",
        "/api/v1/auth/sessions/{session}/",
        members(404, dana=204),
        "its owner only",
        target="session",
    ),
    # --- People --------------------------------------------------------------------------------------
    Row(
        "api:person-list",
        "GET",
        "/api/v1/people/",
        members(200, alice=400, amy=400),
        "need to know; a control room's search needs a purpose",
        returns=_lists(
            alice_purpose=ALL_PEOPLE,
            bob=VALES,
            hale=VALES,
            eve=VALES,
            dana=VALES,
            carol=VALES,
            mia={"kerry", "baby"},
            sam=MOSSES,
            sam_bg=MOSSES | {"kerry", "baby"},
            max=MOSSES,
        ),
    ),
    Row(
        "api:person-list",
        "POST",
        "/api/v1/people/",
        creates(201, allowed=RECORDING),
        "recording roles: the roles that hold cases, and control rooms",
        body=lambda ids, me: {"given_name": "Rowan", "family_name": "Ash"},
    ),
    Row(
        "api:person-detail",
        "GET",
        "/api/v1/people/{kerry}/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know",
        target="kerry",
        other_family=("lena", need_to_know(200, allowed=SEES_MOSSES, sees=SEES_MOSSES)),
    ),
    Row(
        "api:person-detail",
        "PATCH",
        "/api/v1/people/{kerry}/",
        need_to_know(200, allowed=CASE_ON_FAMILY, sees=SEES_MOTHER_AND_BABY),
        "a recording role of an agency with a case on the person",
        target="kerry",
        # Control rooms see Lena but hold no case on her: only South council changes her record.
        other_family=("lena", need_to_know(200, allowed={"sam", "sam_bg", "max"}, sees=SEES_MOSSES)),
        body=lambda ids, me: {"aliases": ["Kez Vale"]},
    ),
    Row(
        "api:person-break-glass",
        "POST",
        "/api/v1/people/{kerry}/break-glass/",
        need_to_know(201, allowed=CASEWORK, sees=CASEWORK, ada=403),
        "any casework role, on anyone (reviewed by their manager)",
        target="kerry",
        unknown=members(404, ada=403),
        body=lambda ids, me: {"reason": "Mother in labour at home, plan needed"},
    ),
    Row(
        "api:person-network",
        "GET",
        "/api/v1/people/{kerry}/network/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know (a control room outside its own incidents states a purpose)",
        target="kerry",
        # Lena is on no incident: a control room opening her picture says why, or is told to (400).
        other_family=(
            "lena",
            need_to_know(200, allowed=SEES_MOSSES, sees=SEES_MOSSES, alice=400, amy=400),
        ),
    ),
    # --- Addresses -----------------------------------------------------------------------------------
    Row(
        "api:address-list",
        "GET",
        "/api/v1/addresses/",
        members(200, alice=400, amy=400),
        "need to know; a control room's search needs a purpose",
        returns=_lists(
            alice_purpose={"home"},
            bob={"home"},
            hale={"home"},
            eve={"home"},
            dana={"home"},
            carol={"home"},
            mia={"home"},
            sam_bg={"home"},
        ),
    ),
    Row(
        "api:address-list",
        "POST",
        "/api/v1/addresses/",
        creates(201, allowed=RECORDING),
        "recording roles",
        body=lambda ids, me: {"line1": "2 Elm Row", "postcode": "NE2 1AA"},
    ),
    Row(
        "api:address-detail",
        "GET",
        "/api/v1/addresses/{home}/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know: where the people one needs to know about live",
        target="home",
    ),
    Row(
        "api:address-network",
        "GET",
        "/api/v1/addresses/{home}/network/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know (a control room outside its own incidents states a purpose)",
        target="home",
    ),
    # --- Links between people ------------------------------------------------------------------------
    Row(
        "api:relationship-list",
        "POST",
        "/api/v1/relationships/",
        # Kerry and Dean: the midwives and Sam-after-break-glass see Kerry but not Dean.
        creates(201, allowed=RECORDING & SEES_FATHER, blind=RECORDING),
        "recording roles, between two people they can see",
        body=lambda ids, me: {
            "from_person": ids["kerry"],
            "to_person": ids["dean"],
            "kind": "household_member_of",
        },
    ),
    Row(
        "api:relationship-detail",
        "GET",
        "/api/v1/relationships/{partner}/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know either person",
        target="partner",
    ),
    Row(
        "api:relationship-detail",
        "DELETE",
        "/api/v1/relationships/{partner}/",
        need_to_know(204, allowed=CASE_ON_FAMILY, sees=SEES_MOTHER_AND_BABY),
        "a recording role of an agency with a case on either person, with a reason",
        target="partner",
        headers={"HTTP_X_ACCESS_REASON": "Recorded in error: they are not partners"},
    ),
    # --- Flags ---------------------------------------------------------------------------------------
    Row(
        "api:flag-list",
        "GET",
        "/api/v1/flags/",
        members(200, alice=400, amy=400),
        "need to know the subject; a control room's list reaches everyone, so it states a purpose",
        returns=_lists(
            alice_purpose={"ucpp", "violence", "lena_flag"},
            bob={"ucpp", "violence"},
            hale={"ucpp", "violence"},
            eve={"ucpp", "violence"},
            dana={"ucpp", "violence"},
            carol={"ucpp", "violence"},
            mia={"ucpp"},
            sam={"lena_flag"},
            sam_bg={"ucpp", "lena_flag"},
            max={"lena_flag"},
        ),
    ),
    Row(
        "api:flag-list",
        "POST",
        "/api/v1/flags/",
        creates(201, allowed=SEES_MOTHER_AND_BABY, blind=CASEWORK),
        "any casework role who can see the subject",
        body=lambda ids, me: {
            "subject_person": ids["baby"],
            "category": "other",
            "severity": "low",
            "summary": "Dog at the address",
            "valid_from": _soon(minutes=-1),
        },
    ),
    Row(
        "api:flag-detail",
        "GET",
        "/api/v1/flags/{ucpp}/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the subject",
        target="ucpp",
        other_family=("lena_flag", need_to_know(200, allowed=SEES_MOSSES, sees=SEES_MOSSES)),
    ),
    Row(
        "api:flag-detail",
        "PATCH",
        "/api/v1/flags/{ucpp}/",
        need_to_know(200, allowed=FLAG_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "its owner, or a manager of the owning agency",
        target="ucpp",
        # Sam owns Lena's flag; Max manages South council; Sam's colleague after break-glass is Sam.
        other_family=("lena_flag", need_to_know(200, allowed={"sam", "sam_bg", "max"}, sees=SEES_MOSSES)),
        body=lambda ids, me: {"handling_instructions": "Call the EDT duty manager before any discharge."},
    ),
    Row(
        "api:flag-fhir",
        "GET",
        "/api/v1/flags/{ucpp}/fhir/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the subject",
        target="ucpp",
    ),
    Row(
        "api:flag-history",
        "GET",
        "/api/v1/flags/{ucpp}/history/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the subject",
        target="ucpp",
    ),
    Row(
        "api:flag-revoke",
        "POST",
        "/api/v1/flags/{ucpp}/revoke/",
        need_to_know(200, allowed=FLAG_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "its owner, or a manager of the owning agency",
        target="ucpp",
        body=lambda ids, me: {"reason": "Plan ended at the child protection conference"},
    ),
    # --- Birth plans ---------------------------------------------------------------------------------
    Row(
        "api:birth-plan-list",
        "GET",
        "/api/v1/birth-plans/",
        members(200, alice=400, amy=400),
        "need to know the mother or the baby; a control room's list states a purpose",
        returns=_lists(**{name: {"plan", "draft"} for name in SEES_MOTHER_AND_BABY - {"alice", "amy"}}),
    ),
    Row(
        "api:birth-plan-list",
        "POST",
        "/api/v1/birth-plans/",
        # Only Dana's agency has a case and keeps the plans in force; everyone else who sees the family is
        # refused (403), and whoever cannot see the mother is told she does not exist (400).
        creates(201, allowed={"dana"}, blind=MEMBERS - SEES_MOTHER_AND_BABY),
        "a social worker or midwife whose agency has a case on mother or baby, and keeps any live plan",
        body=_plan_body,
    ),
    Row(
        "api:birth-plan-detail",
        "GET",
        "/api/v1/birth-plans/{plan}/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the mother or the baby",
        target="plan",
    ),
    Row(
        "api:birth-plan-detail",
        "PATCH",
        "/api/v1/birth-plans/{plan}/",
        need_to_know(200, allowed=PLAN_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "social workers, midwives, managers of the lead professional's agency",
        target="plan",
        body=lambda ids, me: {"hospital": "Northshire General, delivery suite"},
        headers={"HTTP_IF_MATCH": '"{plan_version}"'},
    ),
    Row(
        "api:birth-plan-acknowledge",
        "POST",
        "/api/v1/birth-plans/{plan}/acknowledge/",
        need_to_know(200, allowed={"mia"}, sees=SEES_MOTHER_AND_BABY),
        "members of an agency it is shared with",
        target="plan",
        body=lambda ids, me: {},
    ),
    Row(
        "api:birth-plan-activate",
        "POST",
        "/api/v1/birth-plans/{draft}/activate/",
        need_to_know(200, allowed=PLAN_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "the lead professional's agency (superseding the plan in force, which it keeps)",
        target="draft",
        body=lambda ids, me: {"agreed_on": str(timezone.localdate())},
    ),
    Row(
        "api:birth-plan-close",
        "POST",
        "/api/v1/birth-plans/{plan}/close/",
        need_to_know(200, allowed=PLAN_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "the lead professional's agency",
        target="plan",
        body=lambda ids, me: {"reason": "Baby born; plan carried out"},
    ),
    Row(
        "api:birth-plan-share",
        "POST",
        "/api/v1/birth-plans/{plan}/share/",
        need_to_know(200, allowed=PLAN_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "the lead professional's agency",
        target="plan",
        body=lambda ids, me: {"agencies": [ids["agency_health"]]},
    ),
    Row(
        "api:birth-plan-versions",
        "GET",
        "/api/v1/birth-plans/{plan}/versions/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the mother or the baby",
        target="plan",
    ),
    Row(
        "api:birth-plan-version",
        "GET",
        "/api/v1/birth-plans/{plan}/versions/1/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the mother or the baby",
        target="plan",
    ),
    # --- Incidents -----------------------------------------------------------------------------------
    Row(
        "api:incident-list",
        "GET",
        "/api/v1/incidents/",
        members(200),
        "agencies on the incident, and control rooms",
        returns=_lists(**{name: {"incident"} for name in SEES_INCIDENT}),
    ),
    Row(
        "api:incident-list",
        "POST",
        "/api/v1/incidents/",
        creates(201, allowed=SEES_MOTHER_AND_BABY, blind=CASEWORK),
        "any casework role, for people and an address it can see",
        body=lambda ids, me: {
            "kind": "birth",
            "summary": "Mother in labour at home",
            "subjects": [ids["kerry"], ids["baby"]],
            "address": ids["home"],
        },
    ),
    Row(
        "api:incident-detail",
        "GET",
        "/api/v1/incidents/{incident}/",
        need_to_know(200, allowed=SEES_INCIDENT, sees=SEES_INCIDENT),
        "agencies on the incident, and control rooms",
        target="incident",
    ),
    Row(
        "api:incident-attendance",
        "POST",
        "/api/v1/incidents/{incident}/attendance/",
        need_to_know(200, allowed=SEES_INCIDENT, sees=SEES_INCIDENT, bob_next_day=CLOSED),
        "any casework role, for its own agency, on an incident it can see",
        target="incident",
        body=lambda ids, me: {"status": "attending", "eta": _soon(minutes=20)},
    ),
    Row(
        "api:incident-attendance-requests",
        "POST",
        "/api/v1/incidents/{incident}/attendance-requests/",
        need_to_know(201, allowed=DIRECTS_INCIDENT, sees=SEES_INCIDENT, bob_next_day=REFUSED_WHEN_CLOSED),
        "control rooms",
        target="incident",
        body=lambda ids, me: {"agency": ids["agency_midwifery"], "respond_within_minutes": 15},
    ),
    Row(
        "api:incident-stand-down",
        "POST",
        "/api/v1/incidents/{incident}/stand-down/",
        need_to_know(200, allowed=DIRECTS_INCIDENT, sees=SEES_INCIDENT, bob_next_day=REFUSED_WHEN_CLOSED),
        "control rooms",
        target="incident",
        body=lambda ids, me: {
            "agency": ids["agency_ambulance"],
            "reason": "Police on scene, crew not needed",
        },
    ),
    Row(
        "api:incident-lead-professional",
        "POST",
        "/api/v1/incidents/{incident}/lead-professional/",
        need_to_know(201, allowed=APPOINTS, sees=SEES_INCIDENT, bob_next_day=REFUSED_WHEN_CLOSED),
        "control rooms or the decision maker; the appointee's agency is on the incident",
        target="incident",
        body=lambda ids, me: {"user": ids["user_dana"], "reason": "Lead professional on the plan"},
    ),
    Row(
        "api:incident-decision-maker",
        "POST",
        "/api/v1/incidents/{incident}/decision-maker/",
        need_to_know(201, allowed=APPOINTS, sees=SEES_INCIDENT, bob_next_day=REFUSED_WHEN_CLOSED),
        "control rooms or the decision maker; the appointee's agency is on the incident",
        target="incident",
        body=lambda ids, me: {"user": ids["user_bob"], "reason": "Paramedic on scene"},
    ),
    Row(
        "api:incident-decisions",
        "POST",
        "/api/v1/incidents/{incident}/decisions/",
        need_to_know(201, allowed={"hale"}, sees=SEES_INCIDENT, bob_next_day=REFUSED_WHEN_CLOSED),
        "the current decision maker",
        target="incident",
        body=lambda ids, me: {
            "decision": "Mother and baby to hospital",
            "rationale": "As the birth plan says",
        },
    ),
    Row(
        "api:incident-flag-acknowledgements",
        "POST",
        "/api/v1/incidents/{incident}/flag-acknowledgements/",
        need_to_know(201, allowed=SEES_INCIDENT, sees=SEES_INCIDENT, bob_next_day=CLOSED),
        "anyone who can see the incident, for a flag in its picture",
        target="incident",
        body=lambda ids, me: {"flag": ids["ucpp"]},
    ),
    Row(
        "api:incident-close",
        "POST",
        "/api/v1/incidents/{incident}/close/",
        need_to_know(200, allowed=CLOSES_INCIDENT, sees=SEES_INCIDENT, bob_next_day=REFUSED_WHEN_CLOSED),
        "the control room of the opening agency, or the decision maker",
        target="incident",
        body=lambda ids, me: {"outcome": "Mother and baby safe in hospital"},
    ),
    Row(
        "api:incident-detail",
        "PATCH",
        "/api/v1/incidents/{incident}/",
        need_to_know(200, allowed=CLOSES_INCIDENT, sees=SEES_INCIDENT, bob_next_day=REFUSED_WHEN_CLOSED),
        "the control room of the opening agency, or the decision maker",
        target="incident",
        body=lambda ids, me: {"summary": "Baby born at home; ambulance on scene"},
    ),
    Row(
        "api:incident-subjects",
        "POST",
        "/api/v1/incidents/{incident}/subjects/",
        need_to_know(201, allowed=CLOSES_INCIDENT, sees=SEES_INCIDENT, bob_next_day=REFUSED_WHEN_CLOSED),
        "the control room of the opening agency, or the decision maker, for a person they can see",
        target="incident",
        body=lambda ids, me: {"person": ids["dean"]},
    ),
    Row(
        "api:incident-events",
        "GET",
        "/api/v1/incidents/{incident}/events/",
        need_to_know(200, allowed=SEES_INCIDENT, sees=SEES_INCIDENT),
        "agencies on the incident, and control rooms",
        target="incident",
    ),
    # --- Escalations, the inbox, break-glass, the audit -----------------------------------------------
    Row(
        "api:escalation-list",
        "GET",
        "/api/v1/escalations/",
        members(200),
        "those it is addressed to (Bob, and his agency)",
        returns=_lists(amy={"escalation"}, bob={"escalation"}, bob_next_day={"escalation"}),
    ),
    Row(
        "api:escalation-detail",
        "GET",
        "/api/v1/escalations/{escalation}/",
        members(404, amy=200, bob=200, bob_next_day=200),
        "those it is addressed to",
        target="escalation",
    ),
    Row(
        "api:escalation-acknowledge",
        "POST",
        "/api/v1/escalations/{escalation}/acknowledge/",
        members(404, amy=200, bob=200, bob_next_day=200),
        "those it is addressed to",
        target="escalation",
        body=lambda ids, me: {"note": "Crew on the way"},
    ),
    Row(
        "api:notification-list",
        "GET",
        "/api/v1/notifications/",
        members(200),
        "its addressee",
        returns=_lists(bob={"notification"}, bob_next_day={"notification"}),
    ),
    Row(
        "api:notification-read",
        "POST",
        "/api/v1/notifications/{notification}/read/",
        members(404, bob=200, bob_next_day=200),
        "its addressee",
        target="notification",
    ),
    Row(
        "api:break-glass-list",
        "GET",
        "/api/v1/break-glass/",
        members(200),
        "managers: their agency's; everyone else: their own",
        returns=_lists(max={"grant"}),
    ),
    Row(
        "api:break-glass-detail",
        "GET",
        "/api/v1/break-glass/{grant}/",
        members(404, max=200),
        "managers of the user's agency (and the user)",
        target="grant",
    ),
    Row(
        "api:break-glass-review",
        "POST",
        "/api/v1/break-glass/{grant}/review/",
        members(404, max=200),
        "managers of the user's agency",
        target="grant",
        body=lambda ids, me: {"note": "Justified: the ward had lost her"},
    ),
    Row(
        "api:audit-list",
        "GET",
        "/api/v1/audit/",
        members(403, **{name: 200 for name in AUDIT_READERS}),
        "managers and admins: what their users did, and every access to records their agency owns",
        # Whose actions each reader finds: North council's Dana, and Sid's break-glass on Kerry (North
        # council's case); South council's Sam, and Sid, who is one of theirs.
        returns=_lists(
            ada={"user_dana", "user_sid"}, carol={"user_dana", "user_sid"}, max={"user_sam", "user_sid"}
        ),
        listed_by="user",
    ),
]


# --- Websockets ------------------------------------------------------------------------------------------

HELLO = "hello"


@dataclass(frozen=True)
class SocketRow:
    route: str  # the pattern in api.routing.websocket_urlpatterns
    path: str
    expect: dict  # persona -> HELLO or a close code
    rule: str = ""
    target: str | None = None
    unknown: dict | None = None

    @property
    def situations(self):
        if self.target is None:
            return [("once", self.expect)]
        return [("family", self.expect), ("unknown", self.unknown)]


def sockets(members_answer, **but) -> dict:
    """Anonymous closed 4401, no membership 4403, members as given."""
    return _overridden({"anonymous": 4401, "nobody": 4403, **{n: members_answer for n in MEMBERS}}, but)


SOCKET_ROWS = [
    SocketRow(
        "ws/v1/incidents/<uuid:incident_id>/",
        "/ws/v1/incidents/{incident}/",
        sockets(4404, **{name: HELLO for name in SEES_INCIDENT}),
        "agencies on the incident, and control rooms; break-glass opens a person, not an incident",
        target="incident",
        unknown=sockets(4404),
    ),
    SocketRow("ws/v1/feed/", "/ws/v1/feed/", sockets(HELLO), "any member: their own feed"),
]
