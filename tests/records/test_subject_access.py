"""Subject access for Kerry Vale, the S1 mother: everything held about her (her flag with its history, the
birth plan with its versions, the night's incident), every access to her record as the audit holds it
(who, agency, when, purpose), and Dean's and the baby's details present but marked third-party. The
command writes both files and its audit row first; a person id that is wrong is refused."""

import datetime
import json
import subprocess
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ooh.audit.models import AccessAction, AccessedPerson, AccessLog
from ooh.audit.records import record_access
from ooh.flags import actions as flag_actions
from ooh.plans import actions as plan_actions
from ooh.records.subject_access import THIRD_PARTY_LABEL, subject_access_export
from ooh.records.subject_access_files import subject_access_pdf, write_subject_access
from ooh.referrals import concerns
from tests import factories
from tests.personas import PURPOSE, persona
from tests.vale_world import open_vale_incident

NOW = datetime.datetime(2026, 3, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def s1(world):
    """The Vale world after the night: a flag on Kerry changed once, the plan shared with the police and
    read by them, a midwife's concern about Kerry and Dean referred to North council, the incident opened
    for Kerry and the baby."""
    dana = world.dana
    kerry_flag = factories.flag(
        dana,
        on=world.kerry,
        category="domestic_abuse",
        severity="high",
        summary="Victim of domestic abuse; partner Dean Vale has a violence marker",
    )
    kerry_flag = flag_actions.edit_flag(
        actor=dana, flag=kerry_flag, summary="Victim of domestic abuse (MARAC)"
    )
    plan_actions.share_plan(actor=dana, plan=world.plan, agencies=[world.agencies["police"]])
    plan_actions.acknowledge_plan(actor=world.alice, plan=world.plan)
    world.flags["kerry"] = kerry_flag
    world.concern = concerns.raise_concern(
        actor=world.mia,
        subjects=[world.kerry, world.dean],
        summary="Kerry has a bruise on her arm and would not say how; Dean answered for her.",
        referral_required=True,
    )
    concerns.make_referral(actor=world.mia, concern=world.concern, to_agency=world.agencies["csc"])
    world.users["dora"] = persona("dora")  # North council's data protection officer
    world.incident = open_vale_incident(world)
    return world


def read_kerry(world, username, **params):
    """A member of staff opens Kerry's record through the API (the read it audits)."""
    client = world.client(username)
    headers = {"HTTP_X_ACCESS_REASON": params.pop("reason")} if "reason" in params else {}
    response = client.get(f"/api/v1/people/{world.kerry.pk}/", params, **headers)
    assert response.status_code == 200, response.content
    return response


def export_of(world, person=None, *, requested_by=None):
    return subject_access_export(person or world.kerry, now=NOW, requested_by=requested_by or world.dora)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "export.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def blocks_third_party(blocks):
    return [b for b in blocks if b["third_party"]]


# --- What is held ---------------------------------------------------------------------------------


def test_the_export_is_json_and_names_the_request(s1):
    export = export_of(s1)
    assert json.loads(json.dumps(export)) == export
    assert export["export"] == "subject_access"
    assert export["generated_at"] == NOW.isoformat()
    assert export["requested_by"]["username"] == "dora"
    assert export["requested_by"]["role"] == "Data protection officer"


def test_the_person_with_every_field_and_identifier(s1):
    from ooh.people.models import PersonIdentifier

    PersonIdentifier.objects.create(person=s1.kerry, scheme="nhs_number", value="9434765919")
    person = export_of(s1)["person"]
    assert person["id"] == str(s1.kerry.pk)
    assert person["given_name"] == "Kerry"
    assert person["family_name"] == "Vale"
    assert person["name"] == "Kerry Vale"
    assert person["identifiers"] == [
        {"scheme": "nhs_number", "scheme_label": "NHS number", "value": "9434765919"}
    ]
    assert person["created_by"]["username"] == "dana"
    assert "search_text" not in person


def test_her_address(s1):
    addresses = export_of(s1)["sections"]["addresses"]
    assert [a["line1"] for a in addresses] == ["14 Larch Close"]
    assert addresses[0]["current"] is True


def test_her_flag_with_its_history(s1):
    flags = export_of(s1)["sections"]["flags"]
    assert [f["category"] for f in flags] == ["domestic_abuse"]
    flag = flags[0]
    assert flag["summary"] == "Victim of domestic abuse (MARAC)"
    assert [(v["version"], v["change"]) for v in flag["history"]] == [(1, "raised"), (2, "edited")]
    first = flag["history"][0]
    assert first["snapshot"]["summary"].startswith("Victim of domestic abuse; partner Dean Vale")
    assert first["changed_by"]["username"] == "dana"
    # The first version names Dean: that version, and the flag holding it, are marked for review.
    assert first["third_party"] is True
    assert first["third_party_people"] == [str(s1.dean.pk)]
    assert flag["history"][1]["third_party"] is False
    assert flag["third_party"] is True


def test_the_birth_plan_with_its_versions_shares_and_acknowledgements(s1):
    plans = export_of(s1)["sections"]["birth_plans"]
    assert len(plans) == 1
    plan = plans[0]
    assert plan["id"] == str(s1.plan.pk)
    assert plan["mother"] == {"id": str(s1.kerry.pk), "name": "Kerry Vale"}
    assert [v["version"] for v in plan["versions"]] == list(range(1, s1.plan.version + 1))
    assert all(v["snapshot"]["mother"] == str(s1.kerry.pk) for v in plan["versions"])
    assert [s["agency"]["name"] for s in plan["shares"]] == ["Police control"]
    assert [a["user"]["username"] for a in plan["acknowledgements"]] == ["alice"]
    assert {c["name"] for c in plan["key_contacts"]} == {"DS Roe", "EDT duty", "Dana Reid"}
    # The plan is the baby's too.
    assert plan["third_party"] is True
    assert str(s1.baby.pk) in plan["third_party_people"]


def test_the_incident_she_is_a_subject_of_with_its_events(s1):
    incidents = export_of(s1)["sections"]["incidents"]
    assert [i["reference"] for i in incidents] == [s1.incident.reference]
    incident = incidents[0]
    assert [e["type"] for e in incident["events"]][:2] == ["incident.opened", "attendance.requested"]
    assert [a["agency"]["name"] for a in incident["attendance"]] == ["Ambulance service"]
    assert {s["person"]["id"]: s["third_party"] for s in incident["subjects"]} == {
        str(s1.kerry.pk): False,
        str(s1.baby.pk): True,
    }
    assert incident["third_party"] is True


def test_an_incident_she_is_not_in_is_not_hers(s1):
    from ooh.incidents import actions as incident_actions

    incident_actions.open_incident(
        actor=s1.alice, kind="welfare_concern", summary="Moss", subjects=[s1.lena], address=None
    )
    assert [i["reference"] for i in export_of(s1)["sections"]["incidents"]] == [s1.incident.reference]


def test_the_concern_she_is_a_subject_of_with_its_referral(s1):
    export = export_of(s1)
    (concern,) = export["sections"]["concerns"]
    assert concern["reference"] == s1.concern.reference
    assert concern["raised_by"]["username"] == "mia"
    assert [r["to_agency"]["name"] for r in concern["referrals"]] == ["North council children's services"]
    # Dean is a subject too, and the summary names him: marked, with both reasons.
    assert concern["third_party"] is True
    assert concern["third_party_people"] == [str(s1.dean.pk)]
    assert [s["third_party"] for s in concern["subjects"] if s["person"]["id"] == str(s1.dean.pk)] == [True]
    listed = {p["id"]: p["why"] for p in export["third_party_people"]}
    assert f"also a subject of concern {s1.concern.reference}" in listed[str(s1.dean.pk)]


def test_sections_with_nothing_held_are_there_and_empty(s1):
    export = export_of(s1)
    assert export["sections"]["dash_assessments"] == []
    assert export["sections"]["legal_holds"] == []
    assert export["counts"]["dash_assessments"] == 0
    assert export["counts"]["incidents"] == 1


# --- Other people: present and marked -------------------------------------------------------------


def test_dean_is_there_marked_third_party(s1):
    export = export_of(s1)
    links = export["sections"]["links"]
    partner = next(link for link in links if link["kind"] == "partner_of")
    assert partner["statement"] == "Dean Vale is partner of Kerry Vale"
    assert partner["other_person"]["name"] == "Dean Vale"
    assert partner["third_party"] is True
    assert partner["third_party_people"] == [str(s1.dean.pk)]
    assert any("Dean Vale" in why for why in partner["third_party_why"])
    listed = {p["id"]: p for p in export["third_party_people"]}
    assert listed[str(s1.dean.pk)]["name"] == "Dean Vale"
    assert "partner of" in listed[str(s1.dean.pk)]["why"]
    assert str(s1.baby.pk) in listed
    assert str(s1.kerry.pk) not in listed
    # Every block naming Dean is marked: none is left unmarked, none is left out.
    assert {b["kind"] for b in links} == {"mother_of", "partner_of"}
    assert all(b["third_party"] for b in links)


def test_an_ended_link_is_kept_as_history(s1):
    from ooh.people.actions import end_link

    end_link(actor=s1.dana, relationship=s1.links["partner"], reason="Separated in February")
    partner = next(b for b in export_of(s1)["sections"]["links"] if b["kind"] == "partner_of")
    assert partner["ended"] is True
    assert partner["end_reason"] == "Separated in February"
    assert partner["ended_by"]["username"] == "dana"
    assert partner["third_party"] is True


def test_people_not_linked_to_her_are_not_in_her_export(s1):
    text = json.dumps(export_of(s1))
    assert "Lena" not in text
    assert str(s1.lena.pk) not in text


# --- Accesses -------------------------------------------------------------------------------------


def test_every_access_to_her_record_is_listed_with_who_agency_when_and_purpose(s1):
    before = timezone.now()
    read_kerry(s1, "alice", reason=PURPOSE)
    read_kerry(s1, "dana")
    read_kerry(s1, "carol", reason="Supervision of the Vale case")
    read_kerry(s1, "bob", incident=str(s1.incident.pk))
    after = timezone.now()
    accesses = export_of(s1)["sections"]["accesses"]
    reads = [a for a in accesses if a["record"]["type"] == "person" and a["action"] == "read"]
    assert [(a["who"]["username"], a["agency"]["name"], a["role"]) for a in reads] == [
        ("alice", "Police control", "Call handler"),
        ("dana", "North council children's services", "Social worker"),
        ("carol", "North council children's services", "Manager"),
        ("bob", "Ambulance service", "Responder"),
    ]
    assert [a["purpose"] for a in reads] == [
        PURPOSE,
        "",
        "Supervision of the Vale case",
        f"incident {s1.incident.reference}",
    ]
    assert all(before <= datetime.datetime.fromisoformat(a["at"]) <= after for a in reads)
    assert reads[0]["who"]["name"] == str(s1.alice)
    # And everything else that disclosed her: her record made, her links, the plan's writes and reads.
    types = {a["record"]["type"] for a in accesses}
    assert {"person", "relationship", "birth_plan"} <= types
    logged = AccessLog.objects.filter(people__person_id=s1.kerry.pk).count()
    assert len(accesses) == logged


def test_accesses_are_the_audit_rows_naming_her_and_no_others(s1):
    lena = record_access(action="read", object_type="person", person_ids=[s1.lena.pk], actor=s1.alice)
    ids = [a["id"] for a in export_of(s1)["sections"]["accesses"]]
    naming_her = AccessedPerson.objects.filter(person_id=s1.kerry.pk).values_list("log_id", flat=True)
    assert sorted(ids) == sorted(str(i) for i in naming_her)
    assert str(lena.pk) not in ids


def test_reading_costs_the_same_for_200_accesses_as_for_2(s1, django_assert_num_queries):
    dora = s1.dora
    dora = type(dora).objects.select_related("membership__agency").get(pk=dora.pk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            subject_access_export(s1.kerry, now=NOW, requested_by=dora)
        return len(captured)

    for _ in range(2):
        record_access(action="read", object_type="person", person_ids=[s1.kerry.pk], actor=s1.dana)
    few = queries()
    users = [s1.alice, s1.dana, s1.carol, s1.bob, s1.users["omar"]]
    for n in range(200):
        record_access(
            action="read",
            object_type="person",
            person_ids=[s1.kerry.pk],
            actor=users[n % len(users)],
            reason=f"read {n}",
        )
    many = queries()
    assert many == few
    # One query per table whatever it holds: residences (with their addresses), flags on her, flags on
    # her addresses, plans, incidents, concerns, the audit rows naming her (7); identifiers, links, flag
    # versions (8-10); key contacts, plan versions, shares, acknowledgements (11-14); the incidents'
    # subjects, attendance, appointments, decisions, events (15-19); the concerns' subjects,
    # consultations, transfers, referrals, the referrals' responses (20-24); DASH, milestones, legal
    # holds (25-27); then by id: users (with membership and agency), agencies, people (28-30). The
    # incidents the audit rows name are hers here, so their references are not read again.
    with django_assert_num_queries(30):
        subject_access_export(s1.kerry, now=NOW, requested_by=dora)


# --- The PDF --------------------------------------------------------------------------------------


def test_the_pdf_shows_the_person_sections_accesses_and_marks_third_party_data(s1, tmp_path):
    read_kerry(s1, "carol", reason="Supervision of the Vale case")
    text = pdf_text(subject_access_pdf(export_of(s1)), tmp_path)
    flat = " ".join(text.split())
    assert "OFFICIAL-SENSITIVE" in text
    assert "Subject access: everything held about Kerry Vale" in flat
    assert THIRD_PARTY_LABEL in text
    assert "Dean Vale" in text
    for heading in ("The person", "Flags", "Birth plans", "Incidents", "Who has accessed"):
        assert heading in text
    assert s1.incident.reference in text
    assert "Supervision of the" in text  # the purpose, in a column narrow enough to wrap
    assert "Carol" in text


# --- Writing it out: the command ------------------------------------------------------------------


def export_rows():
    return AccessLog.objects.filter(action=AccessAction.EXPORT, object_type="subject_access")


def test_the_command_writes_both_files_and_an_export_audit_row(s1, tmp_path):
    out = StringIO()
    call_command(
        "subject_access",
        str(s1.kerry.pk),
        "--out",
        str(tmp_path / "sar"),
        "--requested-by",
        "dora",
        "--reason",
        "SAR-2026-014 from Kerry Vale",
        stdout=out,
    )
    json_path = tmp_path / "sar" / f"subject-access-{s1.kerry.pk}.json"
    pdf_path = tmp_path / "sar" / f"subject-access-{s1.kerry.pk}.pdf"
    export = json.loads(json_path.read_text(encoding="utf-8"))
    assert export["person"]["id"] == str(s1.kerry.pk)
    assert export["requested_by"]["username"] == "dora"
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    assert str(json_path) in out.getvalue()
    row = export_rows().get()
    assert row.user == s1.dora
    assert row.object_ids == [str(s1.kerry.pk)]
    assert row.reason == "SAR-2026-014 from Kerry Vale"
    assert row.detail == {"disclosed_to": "the data subject (subject access request)", "format": "json+pdf"}
    named = {str(p) for p in row.people.values_list("person_id", flat=True)}
    assert named == {str(s1.kerry.pk), *(p["id"] for p in export["third_party_people"])}
    assert str(s1.dean.pk) in named


def test_without_a_requester_the_operator_runs_it(s1, tmp_path):
    call_command("subject_access", str(s1.kerry.pk), "--out", str(tmp_path), stdout=StringIO())
    export = json.loads((tmp_path / f"subject-access-{s1.kerry.pk}.json").read_text(encoding="utf-8"))
    assert export["requested_by"]["operator"] is True
    row = export_rows().get()
    assert row.user is None
    assert row.username.startswith("operator")


def test_a_second_export_lists_the_first(s1, tmp_path):
    write_subject_access(s1.kerry, out_dir=tmp_path, actor=s1.dora, reason="SAR one", now=NOW)
    export = export_of(s1)
    exports = [a for a in export["sections"]["accesses"] if a["action"] == "export"]
    assert [(a["who"]["username"], a["purpose"]) for a in exports] == [("dora", "SAR one")]


def test_the_audit_row_comes_before_the_files(s1, tmp_path, monkeypatch):
    """A crash after the audit leaves an audited export with no file; never a file unaudited."""
    import ooh.records.subject_access_files as module

    def crash(*args, **kwargs):
        raise RuntimeError("audit refused")

    monkeypatch.setattr(module, "record_access", crash)
    with pytest.raises(RuntimeError):
        write_subject_access(s1.kerry, out_dir=tmp_path, actor=None, reason="SAR", now=NOW)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["not-a-uuid", "1234", ""])
def test_a_malformed_person_id_is_refused(s1, tmp_path, bad):
    with pytest.raises(CommandError, match="not a person id"):
        call_command("subject_access", bad, "--out", str(tmp_path))
    assert not export_rows().exists()


def test_an_unknown_person_is_refused(s1, tmp_path):
    unknown = uuid.uuid4()
    with pytest.raises(CommandError, match=f"No person with id {unknown}"):
        call_command("subject_access", str(unknown), "--out", str(tmp_path))
    assert not export_rows().exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("who", ["dana", "carol", "nobody"])
def test_the_requester_must_be_a_data_protection_officer(s1, tmp_path, who):
    with pytest.raises(CommandError, match=r"data protection officer|No active user"):
        call_command("subject_access", str(s1.kerry.pk), "--out", str(tmp_path), "--requested-by", who)
    assert not export_rows().exists()
    assert list(tmp_path.iterdir()) == []


def test_an_inactive_data_protection_officer_is_refused(s1, tmp_path):
    dora = s1.dora
    dora.is_active = False
    dora.save()
    with pytest.raises(CommandError, match="No active user 'dora'"):
        call_command("subject_access", str(s1.kerry.pk), "--out", str(tmp_path), "--requested-by", "dora")


def test_the_audit_chain_still_verifies_after_exports(s1, tmp_path):
    read_kerry(s1, "alice", reason=PURPOSE)
    call_command("subject_access", str(s1.kerry.pk), "--out", str(tmp_path), "--requested-by", "dora")
    call_command("subject_access", str(s1.dean.pk), "--out", str(tmp_path), stdout=StringIO())
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "rows verified" in out.getvalue()


def test_an_access_whose_purpose_names_someone_else_is_third_party_data(s1):
    """A purpose is free text: "Dean Vale released on bail" in an access to Kerry's record is Dean's
    data too, marked like any other block, and he is listed among the third parties."""
    record_access(
        action="read",
        object_type="person",
        object_ids=[s1.kerry.pk],
        person_ids=[s1.kerry.pk],
        actor=s1.alice,
        reason="Dean Vale released on bail, checking on Kerry",
    )
    export = subject_access_export(s1.kerry, now=NOW, requested_by=None)
    [access] = [a for a in export["sections"]["accesses"] if a["reason"].startswith("Dean Vale released")]
    assert access["third_party"] is True
    assert str(s1.dean.pk) in access["third_party_people"]
    assert str(s1.dean.pk) in {p["id"] for p in export["third_party_people"]}
