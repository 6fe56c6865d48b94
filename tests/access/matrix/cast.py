"""Who the matrix asks: its personas, the groups the policy sorts them into, and the shorthands that
write a row's expected statuses from those groups (written out by hand, never asked of ooh.access)."""

from dataclasses import dataclass

from tests.personas import PURPOSE


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
    Persona(
        "dora", "dora", "North council's data protection officer: subject access, legal holds; no casework"
    ),
    Persona("rex", "rex", "the partnership's independent reviewer, granted tonight's chronology by Carol"),
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
# Neither the admin, nor the data protection officer, nor the reviewer does casework.
CASEWORK = MEMBERS - {"ada", "dora", "rex"}
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
    return overridden(table, but)


def everyone(status) -> dict:
    return {name: status for name in NAMES}


def need_to_know(status, *, allowed, sees, **but) -> dict:
    """`status` for those allowed; 403 for the others who may see the record; 404 for everyone else,
    exactly as for an id never issued."""
    table = {"anonymous": 401, "nobody": 403}
    for name in MEMBERS:
        table[name] = status if name in allowed else 403 if name in sees else 404
    return overridden(table, but)


def creates(status, *, allowed, blind=frozenset(), **but) -> dict:
    """A create: `status` for those allowed; 400 for the `blind`, whose body names a record they cannot
    see (it reads as one that does not exist); 403 for every other member."""
    table = {"anonymous": 401, "nobody": 403}
    for name in MEMBERS:
        table[name] = status if name in allowed else 400 if name in blind else 403
    return overridden(table, but)


def overridden(table, but):
    unknown = set(but) - set(NAMES)
    assert not unknown, f"no such persona: {unknown}"
    return {**table, **but}


def lists(**by_persona) -> dict:
    """Which of the world's records each member must find in a list: as named, else none of them."""
    return {name: set(by_persona.get(name, ())) for name in MEMBERS}
