"""The control room's board: GET /api/v1/incidents/ with what a supervisor triages by - where, how long,
the worst flag in the picture and whose it is, who is coming, who decides, what has slipped - its filters
and orderings across pages, a fixed query count per page, the audit, and need to know."""

import base64
import datetime
import json

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from alerts.models import Escalation, EscalationStatus
from ooh.audit.models import AccessedPerson, AccessLog
from ooh.flags.models import SEVERITY_RANK
from ooh.incidents import actions
from ooh.incidents.models import Appointment, Incident, IncidentAgency
from ooh.people.models import Residence
from ooh.picture import board
from tests import factories
from tests.personas import agency, client_for, persona

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


# Every board read, whatever the page's size:
#  1. the token and its user (knox);
#  2. the page: the incidents with their address, opening agency and decision maker (user and agency),
#     and both triage keys (the highest severity in force, the open escalations) as subqueries;
#  3. the page's subjects;
#  4. their current relationships, either way (one walk for every incident on the page);
#  5. the people reached;
#  6. their current addresses;
#  7. the flags in force on any of those people and addresses, and the incidents' own addresses;
#  8. the attendance, with its agencies;
#  then the audit row: on SQLite the chain's tail, the row, the people it names (9-11); on PostgreSQL the
#  tail under the chain's lock, then the row and its people in one statement (9-10).
def board_queries():
    return 10 if connection.vendor == "postgresql" else 11


def _open(actor, family, *, at=None, address=True, subjects=("kerry", "baby"), **extra):
    return actions.open_incident(
        actor=actor,
        kind="birth",
        summary="Home birth",
        subjects=[family[name] for name in subjects],
        address=family["home"] if address else None,
        now=at,
        **extra,
    )


def _escalate(incident, *, rule="eta_overdue", status=EscalationStatus.OPEN, key=None):
    now = timezone.now()
    return Escalation.objects.create(
        rule=rule,
        subject_key=key or f"{rule}:{incident.pk}",
        level=1,
        status=status,
        incident=incident,
        message="Slipped",
        due_at=now,
        raised_at=now,
    )


def _decider(incident, user, *, by, accepted=False):
    appointment = actions.appoint(
        actor=by, incident=incident, role="decision_maker", user=user, reason="Sergeant on scene"
    )
    if accepted:
        Appointment.objects.filter(pk=appointment.pk).update(accepted_at=timezone.now())
    return appointment


def _rows(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _row(client, incident, **params):
    rows = {r["id"]: r for r in _rows(client, **params)}
    return rows[str(incident.pk)]


def _ids(rows):
    return [r["id"] for r in rows]


# --- Every field -----------------------------------------------------------------------------------


def test_every_field_a_supervisor_triages_by(alice, family, hale, bob, edt, ambulance):
    """Kerry and the baby at home; Dean, the baby's father, is not a subject but is in the picture, with
    the critical officer-safety flag: the row says so, in his name and relation."""
    opened = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=90)
    incident = _open(alice, family, at=opened, location_text="Back door")
    factories.flag(alice, on=family["home"], category="dangerous_animal", severity="high")
    threats = factories.flag(alice, on=family["dean"], category="threats_to_staff", severity="critical")
    factories.flag(alice, on=family["baby"], category="unborn_child_protection_plan", severity="critical")
    for asked in (edt, ambulance):
        actions.request_attendance(actor=alice, incident=incident, agency=asked, respond_within_minutes=10)
    eta = timezone.now() + datetime.timedelta(minutes=20)
    actions.update_attendance(actor=bob, incident=incident, status="attending", eta=eta)
    _decider(incident, hale, by=alice)
    _escalate(incident)
    _escalate(incident, rule="no_decision_maker", status=EscalationStatus.RESOLVED)

    now = opened + datetime.timedelta(minutes=25, seconds=59)
    client = client_for(alice)
    with time_machine.travel(now, tick=False):
        row = _row(client, incident, status="open")

    home = family["home"]
    assert row["address"] == {
        "id": str(home.pk),
        "line1": "14 Larch Close",
        "line2": "",
        "town": "",
        "postcode": "NE3 2QX",
        "uprn": None,
        "created_at": home.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert row["address_line"] == "14 Larch Close, NE3 2QX"
    assert row["location_text"] == "Back door"
    assert row["opened_at"] == opened.isoformat().replace("+00:00", "Z")
    assert row["age_minutes"] == 25
    assert row["highest_flag"] == {
        "id": str(threats.pk),
        "category": "threats_to_staff",
        "category_label": "Threats to staff",
        "severity": "critical",
        "severity_label": "Critical",
        "group": "officer_safety",
        "subject_label": "Dean Vale, father of the unborn child",
    }
    assert [(a["agency"]["code"], a["status"], a["status_label"]) for a in row["attendance_summary"]] == [
        ("ambulance", "attending", "Coming"),
        ("edt", "requested", "Asked to attend, no answer yet"),
    ]
    ambulance_row, edt_row = row["attendance_summary"]
    assert ambulance_row["agency"] == {
        "id": str(ambulance.pk),
        "code": "ambulance",
        "name": "Ambulance service",
        "kind": "ambulance",
    }
    assert ambulance_row["eta"] == eta.isoformat().replace("+00:00", "Z")
    assert edt_row["eta"] is None
    assert None not in (edt_row["respond_by"], ambulance_row["respond_by"])
    assert (ambulance_row["overdue"], edt_row["overdue"]) == (False, False)
    assert row["not_answered"] == ["edt"]
    assert row["decision_maker"] == {
        "user": {"id": str(hale.pk), "username": "hale", "display_name": "Hale"},
        "agency": {
            "id": str(hale.membership.agency_id),
            "code": "police",
            "name": "Police control",
            "kind": "police",
        },
        "accepted": False,
    }
    assert row["has_decision_maker"] is False
    assert row["open_escalations"] == 1
    assert (row["reference"], row["kind"], row["status"], row["summary"]) == (
        incident.reference,
        "birth",
        "open",
        "Home birth",
    )
    assert row["opening_agency"]["code"] == "police"
    assert row["last_seq"] == Incident.objects.get(pk=incident.pk).last_seq


def test_a_quiet_incident_reads_as_nothing_yet(alice, family):
    """No address but a location, no flags, nobody asked, nobody deciding, nothing slipped."""
    incident = _open(alice, family, address=False, location_text="Layby on the A1, northbound")
    row = _row(client_for(alice), incident)
    assert row["address"] is None
    assert row["address_line"] == "Layby on the A1, northbound"
    assert row["highest_flag"] is None
    assert (row["attendance_summary"], row["not_answered"]) == ([], [])
    assert (row["decision_maker"], row["has_decision_maker"], row["open_escalations"]) == (None, False, 0)


def test_an_accepted_decision_maker(alice, family, hale):
    incident = _open(alice, family)
    _decider(incident, hale, by=alice, accepted=True)
    row = _row(client_for(alice), incident)
    assert row["decision_maker"]["accepted"] is True
    assert row["has_decision_maker"] is True


# --- The highest flag and whose it is ----------------------------------------------------------------


def test_a_subject_is_named_alone_and_an_address_on_one_line(alice, family):
    incident = _open(alice, family)
    client = client_for(alice)
    factories.flag(alice, on=family["home"], category="infection_risk", severity="medium")
    assert _row(client, incident)["highest_flag"]["subject_label"] == "14 Larch Close, NE3 2QX"
    factories.flag(alice, on=family["kerry"], category="mental_health", severity="high")
    flag = _row(client, incident)["highest_flag"]
    assert (flag["subject_label"], flag["category_label"], flag["group"]) == (
        "Kerry Vale",
        "Mental health",
        "vulnerability",
    )


def test_the_picture_is_the_subjects_their_links_where_they_live_and_the_incidents_address(alice, family):
    """Depth 1 both ways, current relationships and addresses only; a flag at distance 2, at a past
    address, on an ended link, expired or revoked is not in force in the picture."""
    client = client_for(alice)
    scene = factories.address(alice, line1="Car park, Riverside", postcode="NE1 1AA")
    incident = _open(alice, family, subjects=("kerry",), address=False)
    Incident.objects.filter(pk=incident.pk).update(address=scene)

    gran = factories.person(alice, given_name="Joan", family_name="Vale")
    factories.link(alice, gran, "parent_of", family["kerry"])  # linked to the subject (the other end)
    far = factories.person(alice, given_name="Far", family_name="Away")
    factories.link(alice, far, "associate_of", gran)  # distance 2
    ex = factories.person(alice, given_name="Old", family_name="Flame")
    old_link = factories.link(alice, ex, "ex_partner_of", family["kerry"])
    old_link.ended_at = timezone.now()
    old_link.save(update_fields=["ended_at"])
    past_home = factories.address(alice, line1="2 Past Lane", postcode="NE2 2AA")

    factories.flag(alice, on=far, category="weapons", severity="critical")
    factories.flag(alice, on=ex, category="violence", severity="critical")
    factories.flag(alice, on=past_home, category="violence", severity="critical")
    expired = factories.flag(alice, on=gran, category="weapons", severity="critical")
    expired.valid_until = timezone.now() - datetime.timedelta(minutes=1)
    expired.save(update_fields=["valid_until"])
    revoked = factories.flag(alice, on=family["kerry"], category="violence", severity="critical")
    revoked.status = "revoked"
    revoked.save(update_fields=["status"])
    assert _row(client, incident)["highest_flag"] is None
    assert _rows(client, min_severity="low") == []  # the database's rank agrees at every step

    factories.flag(alice, on=scene, category="other", severity="low")
    assert _row(client, incident)["highest_flag"]["subject_label"] == "Car park, Riverside, NE1 1AA"
    factories.flag(alice, on=family["home"], category="medical", severity="medium")  # Kerry's home
    assert _row(client, incident)["highest_flag"]["subject_label"] == "14 Larch Close, NE3 2QX"
    gran_home = factories.address(alice, line1="9 Elm Row", postcode="NE4 4AA")
    Residence.objects.create(person=gran, address=gran_home, current=True)
    factories.flag(alice, on=gran_home, category="substance_misuse", severity="high")
    assert _row(client, incident)["highest_flag"]["subject_label"] == "9 Elm Row, NE4 4AA"
    assert (_ids(_rows(client, min_severity="high")), _rows(client, min_severity="critical")) == (
        [str(incident.pk)],
        [],
    )
    factories.flag(alice, on=gran, category="flight_risk", severity="critical")
    assert _row(client, incident)["highest_flag"]["subject_label"] == "Joan Vale, parent of Kerry Vale"
    assert _ids(_rows(client, min_severity="critical")) == [str(incident.pk)]


def test_ties_go_to_officer_safety_then_the_newest(alice, family):
    incident = _open(alice, family)
    client = client_for(alice)
    factories.flag(alice, on=family["baby"], category="unborn_child_protection_plan", severity="high")
    factories.flag(alice, on=family["kerry"], category="substance_misuse", severity="high")
    assert _row(client, incident)["highest_flag"]["category"] == "substance_misuse"  # the newest
    factories.flag(alice, on=family["home"], category="dangerous_animal", severity="high")
    factories.flag(alice, on=family["kerry"], category="medical", severity="high")
    assert _row(client, incident)["highest_flag"]["category"] == "dangerous_animal"  # officer safety
    factories.flag(alice, on=family["kerry"], category="self_harm", severity="critical")
    assert _row(client, incident)["highest_flag"]["category"] == "self_harm"  # severity before all


def test_another_incidents_picture_never_colours_this_one(alice, family):
    other_family = factories.vale_family(alice, father=True)
    factories.flag(alice, on=other_family["dean"], category="weapons", severity="critical")
    mine = _open(alice, family)
    theirs = _open(alice, other_family)
    client = client_for(alice)
    assert _row(client, mine)["highest_flag"] is None
    assert _row(client, theirs)["highest_flag"]["severity"] == "critical"
    assert _ids(_rows(client, min_severity="high")) == [str(theirs.pk)]


def test_the_sql_rank_agrees_with_the_flag_shown(alice, family):
    """The annotation the database filters and orders by and the flag the row shows are computed apart:
    for every picture here they give the same severity."""
    client = client_for(alice)
    incidents = [_open(alice, family), _open(alice, family, subjects=("kerry",), address=False)]
    incidents.append(_open(alice, family, subjects=("dean",), address=False))
    factories.flag(alice, on=family["baby"], category="unborn_child_protection_plan", severity="critical")
    factories.flag(alice, on=family["home"], category="dangerous_animal", severity="medium")
    stranger = factories.person(alice, family_name="Stranger")
    incidents.append(_open(alice, {"stranger": stranger, "home": family["home"]}, subjects=("stranger",)))
    rows = {r["id"]: r for r in _rows(client)}
    ranked = board.listing(Incident.objects.all(), now=timezone.now()).values_list("pk", board.SEVERITY_KEY)
    for pk, rank in ranked:
        flag = rows[str(pk)]["highest_flag"]
        assert rank == (SEVERITY_RANK[flag["severity"]] if flag else 0), rows[str(pk)]["reference"]
    # Kerry alone reaches the baby (her child) and her home; Dean alone reaches the baby too.
    assert [rows[str(i.pk)]["highest_flag"]["severity"] for i in incidents] == [
        "critical",
        "critical",
        "critical",
        "medium",
    ]


# --- Attendance ------------------------------------------------------------------------------------


def test_overdue_and_not_answered(alice, family, bob, omar, edt, ambulance, midwifery):
    start = timezone.now() - datetime.timedelta(hours=1)
    incident = _open(alice, family, at=start)
    actions.request_attendance(
        actor=alice, incident=incident, agency=edt, respond_within_minutes=10, now=start
    )
    actions.update_attendance(actor=omar, incident=incident, status="acknowledged", now=start)
    actions.request_attendance(
        actor=alice, incident=incident, agency=midwifery, respond_within_minutes=10, now=start
    )
    actions.request_attendance(
        actor=alice, incident=incident, agency=agency("csc"), respond_within_minutes=120
    )
    actions.request_attendance(
        actor=alice, incident=incident, agency=ambulance, respond_within_minutes=10, now=start
    )
    late = start + datetime.timedelta(minutes=15)  # said then; past now
    actions.update_attendance(actor=bob, incident=incident, status="en_route", eta=late, now=start)

    row = _row(client_for(alice), incident)
    by_code = {a["agency"]["code"]: a for a in row["attendance_summary"]}
    assert [a["agency"]["code"] for a in row["attendance_summary"]] == sorted(by_code)
    assert {code: (a["status"], a["overdue"]) for code, a in by_code.items()} == {
        "ambulance": ("en_route", True),  # past its ETA
        "csc": ("requested", False),  # still within its time
        "edt": ("acknowledged", False),  # seen: no longer "asked, no answer"
        "midwifery": ("requested", True),  # asked an hour ago, ten minutes to answer
    }
    assert by_code["edt"]["status_label"] == "Request seen, not yet confirmed"
    assert row["not_answered"] == ["csc", "edt", "midwifery"]

    actions.update_attendance(actor=bob, incident=incident, status="on_scene")
    row = _row(client_for(alice), incident)
    assert {a["agency"]["code"]: a["overdue"] for a in row["attendance_summary"]}["ambulance"] is False


# --- Filters ---------------------------------------------------------------------------------------


@pytest.fixture
def night(alice, family, hale, edt, ambulance):
    """Four incidents: `flagged` (critical, EDT asked, decided), `escalated` (medium, one escalation open),
    `quiet` (no flags), `closed`."""
    other = factories.vale_family(alice)
    factories.flag(alice, on=family["dean"], category="weapons", severity="critical")
    factories.flag(alice, on=other["home"], category="medical", severity="medium")
    flagged = _open(alice, family)
    actions.request_attendance(actor=alice, incident=flagged, agency=edt, respond_within_minutes=10)
    _decider(flagged, hale, by=alice, accepted=True)
    escalated = _open(alice, other)
    _escalate(escalated)
    _decider(escalated, hale, by=alice)  # appointed, not accepted
    quiet = _open(alice, family, subjects=(), address=False, location_text="Unknown")
    closed = _open(alice, family)
    Incident.objects.filter(pk=closed.pk).update(status="closed", closed_at=timezone.now())
    return {"flagged": flagged, "escalated": escalated, "quiet": quiet, "closed": closed}


def _named(night, rows):
    names = {str(incident.pk): name for name, incident in night.items()}
    return {names[r["id"]] for r in rows}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"flagged", "escalated", "quiet", "closed"}),
        ({"status": "open"}, {"flagged", "escalated", "quiet"}),
        ({"status": "closed"}, {"closed"}),
        ({"has_decision_maker": "true"}, {"flagged"}),
        ({"has_decision_maker": "false"}, {"escalated", "quiet", "closed"}),
        ({"has_open_escalations": "true"}, {"escalated"}),
        ({"has_open_escalations": "false", "status": "open"}, {"flagged", "quiet"}),
        ({"min_severity": "critical"}, {"flagged", "closed"}),
        ({"min_severity": "medium", "status": "open"}, {"flagged", "escalated"}),
        ({"min_severity": "low", "has_open_escalations": "1"}, {"escalated"}),
    ],
)
def test_each_filter(alice, night, params, expected):
    assert _named(night, _rows(client_for(alice), **params)) == expected


def test_the_agency_filter_reads_who_is_on_the_incident(alice, night, edt, police):
    client = client_for(alice)
    assert _named(night, _rows(client, agency=str(edt.pk))) == {"flagged"}
    assert _named(night, _rows(client, agency=str(police.pk), status="open")) == {
        "flagged",
        "escalated",
        "quiet",
    }
    assert _rows(client, agency="00000000-0000-0000-0000-000000000000") == []


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"status": "pending"}, "status"),
        ({"status": ""}, "status"),
        ({"agency": "police"}, "agency"),
        ({"agency": ""}, "agency"),
        ({"has_decision_maker": "maybe"}, "has_decision_maker"),
        ({"has_decision_maker": ""}, "has_decision_maker"),
        ({"has_open_escalations": "2"}, "has_open_escalations"),
        ({"min_severity": "extreme"}, "min_severity"),
        ({"min_severity": "4"}, "min_severity"),
        ({"ordering": "reference"}, "ordering"),
        ({"ordering": "severity,opened_at"}, "ordering"),
        ({"ordering": ["severity", "opened_at"]}, "ordering"),
        ({"ordering": ""}, "ordering"),
        ({"sort": "severity"}, "sort"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(alice, night, params, attr):
    response = client_for(alice).get(URL, params)
    assert response.status_code == 400, response.content
    assert [e["attr"] for e in response.json()["errors"]] == [attr]


def _cursor(ordering, position, reverse=False):
    body = json.dumps({"o": ordering, "r": reverse, "p": position}).encode()
    return base64.b64encode(body).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("-severity", [4, "2026-01-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000000"]),
        _cursor("-opened_at", ["yesterday", "00000000-0000-0000-0000-000000000000"]),
        _cursor("-opened_at", ["2026-01-01T00:00:00+00:00", "not-an-id"]),
        _cursor("-opened_at", ["2026-01-01T00:00:00+00:00"]),
        _cursor("-opened_at", [True, "00000000-0000-0000-0000-000000000000"]),
        _cursor("-opened_at", None, reverse="yes"),
        base64.b64encode(b"[1, 2]").decode(),
    ],
)
def test_a_forged_or_foreign_cursor_is_a_400_naming_it(alice, night, cursor):
    response = client_for(alice).get(URL, {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["attr"] == "cursor"


def test_a_forged_rank_is_a_400_not_a_database_error(alice, night):
    cursor = _cursor(
        "severity", ["high", "2026-01-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000000"]
    )
    response = client_for(alice).get(URL, {"cursor": cursor, "ordering": "severity"})
    assert response.status_code == 400
    huge = _cursor("severity", [10**12, "2026-01-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000000"])
    response = client_for(alice).get(URL, {"cursor": huge, "ordering": "severity"})
    assert response.status_code == 400


# --- Orderings, page by page -----------------------------------------------------------------------


@pytest.fixture
def ranked_night(alice, family):
    """Seven open incidents a minute apart: severities and escalation counts that tie, so the second key
    (newest first) and the id decide, and every ordering needs more than one page of two."""
    base = timezone.now() - datetime.timedelta(hours=2)
    families = [factories.vale_family(alice) for _ in range(7)]
    severities = ["critical", None, "high", "critical", "low", None, "high"]
    escalations = [0, 2, 1, 0, 2, 1, 0]
    incidents = []
    for n, (fam, severity, count) in enumerate(zip(families, severities, escalations, strict=True)):
        if severity:
            factories.flag(alice, on=fam["kerry"], category="other", severity=severity)
        incident = _open(alice, fam, at=base + datetime.timedelta(minutes=n))
        for k in range(count):
            _escalate(incident, key=f"{incident.pk}:{k}")
        incidents.append((incident, SEVERITY_RANK.get(severity, 0), count))
    # Two opened at the very same instant: only the id tells them apart.
    twin = _open(alice, families[0], at=base + datetime.timedelta(minutes=3))
    factories.flag(alice, on=families[0]["baby"], category="other", severity="critical")
    incidents.append((twin, SEVERITY_RANK["critical"], 0))
    return incidents


def _expected(incidents, ordering):
    newest = sorted(incidents, key=lambda t: str(t[0].pk))
    newest.sort(key=lambda t: t[0].opened_at, reverse=True)  # stable: id ascending within a time
    if ordering == "-opened_at":
        keyed = newest
    elif ordering == "opened_at":
        keyed = sorted(sorted(incidents, key=lambda t: str(t[0].pk)), key=lambda t: t[0].opened_at)
    else:
        index = 1 if ordering.endswith("severity") else 2
        keyed = sorted(newest, key=lambda t: t[index], reverse=ordering.startswith("-"))
    return [str(t[0].pk) for t in keyed]


def _walk(client, first_url, params):
    """Every page forward by its next link, then back from the last by the previous links."""
    pages, url, query = [], first_url, params
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(_ids(body["results"]))
        url, query = body["next"], None
        last = body
    back, url = [], last["previous"]
    while url:
        body = client.get(url).json()
        back.insert(0, _ids(body["results"]))
        url = body["previous"]
    return pages, back


@pytest.mark.parametrize(
    "ordering",
    ["-opened_at", "opened_at", "-severity", "severity", "-open_escalations", "open_escalations"],
)
def test_each_ordering_pages_without_skipping_or_repeating(alice, ranked_night, ordering):
    client = client_for(alice)
    pages, back = _walk(client, URL, {"ordering": ordering, "page_size": 2, "status": "open"})
    expected = _expected(ranked_night, ordering)
    assert [i for page in pages for i in page] == expected
    assert len(pages) == 4
    assert all(len(page) == 2 for page in pages)
    assert back == pages[:-1]


def test_the_default_order_is_newest_first(alice, ranked_night):
    assert _ids(_rows(client_for(alice))) == _expected(ranked_night, "-opened_at")


def test_a_cursor_keeps_its_place_when_rows_are_added_before_it(alice, family, ranked_night):
    """A keyset cursor: an incident opened after the first page was read does not shift the second."""
    client = client_for(alice)
    first = client.get(URL, {"ordering": "-severity", "page_size": 3}).json()
    flagged = factories.vale_family(alice)
    factories.flag(alice, on=flagged["kerry"], category="weapons", severity="critical")
    _open(alice, flagged)
    second = client.get(first["next"]).json()
    expected = _expected(ranked_night, "-severity")
    assert _ids(first["results"]) + _ids(second["results"]) == expected[:6]


# --- Cost ------------------------------------------------------------------------------------------


def _busy_incident(alice, hale, edt, bob, ambulance):
    fam = factories.vale_family(alice, father=True)
    factories.flag(alice, on=fam["dean"], category="threats_to_staff", severity="critical")
    factories.flag(alice, on=fam["home"], category="dangerous_animal", severity="high")
    incident = _open(alice, fam)
    for asked in (edt, ambulance):
        actions.request_attendance(actor=alice, incident=incident, agency=asked, respond_within_minutes=10)
    eta = timezone.now() + datetime.timedelta(minutes=20)
    actions.update_attendance(actor=bob, incident=incident, status="attending", eta=eta)
    _decider(incident, hale, by=alice)
    _escalate(incident)
    return incident


@pytest.mark.parametrize("how_many", [1, 10])
def test_a_page_costs_the_same_queries_whatever_its_size(
    alice, hale, edt, bob, ambulance, how_many, django_assert_num_queries
):
    for _ in range(how_many):
        _busy_incident(alice, hale, edt, bob, ambulance)
    client = client_for(alice)
    with django_assert_num_queries(board_queries()):
        rows = _rows(client, status="open", ordering="-severity")
    assert len(rows) == how_many
    assert all(r["highest_flag"]["subject_label"] == "Dean Vale, father of the unborn child" for r in rows)


# --- The audit -------------------------------------------------------------------------------------


def test_the_read_is_audited_as_a_search_naming_who_the_flags_name(alice, family):
    """The row names Dean, and the baby as the child he is father of: both are recorded as disclosed;
    Kerry, whom no row names, is not."""
    incident = _open(alice, family)
    factories.flag(alice, on=family["dean"], category="threats_to_staff", severity="critical")
    _rows(client_for(alice), status="open")
    log = AccessLog.objects.filter(object_type="incident", action="search").latest("chain_seq")
    assert log.user_id == alice.pk
    assert [str(i) for i in log.object_ids] == [str(incident.pk)]
    disclosed = set(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True))
    assert disclosed == {family["dean"].pk, family["baby"].pk}


# --- Need to know ----------------------------------------------------------------------------------


def test_another_agency_sees_none_of_it_and_its_filters_leak_nothing(alice, family, night, police, edt):
    sam = persona("sam")  # South council: nothing of the Vales
    client = client_for(sam)
    for params in (
        {},
        {"status": "open"},
        {"agency": str(police.pk)},
        {"agency": str(edt.pk)},
        {"min_severity": "low"},
        {"has_open_escalations": "true"},
        {"ordering": "-severity"},
    ):
        assert _rows(client, **params) == [], params
    assert AccessedPerson.objects.filter(log__user=sam).count() == 0


def test_an_agency_on_one_incident_sees_that_one_only_whatever_it_asks(alice, family, night, omar, edt):
    """EDT was asked to the flagged incident only: asking for police's incidents, or the most severe,
    gives it that one and nothing it is not on."""
    client = client_for(omar)
    mine = {str(night["flagged"].pk)}
    assert set(_ids(_rows(client))) == mine
    assert set(_ids(_rows(client, agency=str(alice.membership.agency_id)))) == mine
    assert set(_ids(_rows(client, min_severity="medium"))) == mine
    assert set(_ids(_rows(client, has_open_escalations="true"))) == set()
    pages, _ = _walk(client, URL, {"ordering": "severity", "page_size": 1})
    assert [i for page in pages for i in page] == list(mine)


def test_a_responder_not_in_a_control_room_sees_only_its_agencys(alice, family, night, bob, ambulance):
    """Bob's service is on none of the night's incidents until it is asked to one."""
    client = client_for(bob)
    assert _rows(client) == []
    actions.request_attendance(
        actor=alice, incident=night["escalated"], agency=ambulance, respond_within_minutes=10
    )
    rows = _rows(client)
    assert _ids(rows) == [str(night["escalated"].pk)]
    assert rows[0]["highest_flag"]["severity"] == "medium"
    assert IncidentAgency.objects.filter(agency=ambulance).count() == 1


# --- PostgreSQL ------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_agrees_on_the_rank_the_order_and_the_pages(alice, ranked_night):
    """The triage keys as PostgreSQL computes them (its own Greatest, its own NULL handling) give the
    same order, page by page, as the flags the rows show."""
    client = client_for(alice)
    for ordering in ("-severity", "open_escalations"):
        pages, back = _walk(client, URL, {"ordering": ordering, "page_size": 3})
        assert [i for page in pages for i in page] == _expected(ranked_night, ordering)
        assert back == pages[:-1]
    rows = _rows(client, min_severity="high", ordering="-severity")
    assert [r["highest_flag"]["severity"] for r in rows] == ["critical"] * 3 + ["high"] * 2


@pytest.mark.postgres
@pytest.mark.parametrize("how_many", [1, 10])
def test_postgres_page_costs_the_same_queries(
    alice, hale, edt, bob, ambulance, how_many, django_assert_num_queries
):
    for _ in range(how_many):
        _busy_incident(alice, hale, edt, bob, ambulance)
    client = client_for(alice)
    with django_assert_num_queries(board_queries()):
        assert len(_rows(client, ordering="-open_escalations", min_severity="high")) == how_many
