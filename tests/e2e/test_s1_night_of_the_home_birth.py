"""Scenario S1, the night of the home birth (Family C19), replayed over real HTTP and websockets
against uvicorn with a Celery worker and beat beside it. Every numbered expectation of
../shared/scenarios.md S1 is asserted; the night is compressed (no decision maker for 3 s escalates)."""

import csv
import datetime
import io
import subprocess
import threading

import pytest

pytestmark = pytest.mark.e2e

NOW = datetime.datetime.now(datetime.UTC)


def iso(minutes=0, days=0):
    return (NOW + datetime.timedelta(minutes=minutes, days=days)).isoformat()


@pytest.fixture(scope="module")
def server(stack):
    stack.celery()
    return stack.web()


@pytest.fixture(scope="module")
def agencies(server):
    phone = server.login("admin")
    return {a["code"]: a["id"] for a in phone.get("/agencies/").json()["results"]}


@pytest.fixture(scope="module")
def background(server, agencies):
    """Set up before the night: the family, their markers, and birth plan v2 shared and partly acknowledged."""
    carl, mia, dana = server.login("carl"), server.login("mia"), server.login("dana")
    ids = {}
    # The community midwife booked the pregnancy: mother, address and unborn child are midwifery records.
    # Police hold the father. The police control room links the family (control rooms see everyone).
    ids["home"] = mia.post(
        "/addresses/", {"line1": "14 Larch Close", "town": "Northshire", "postcode": "NE3 2QX"}
    ).json()["id"]
    ids["kerry"] = mia.post(
        "/people/",
        {
            "given_name": "Kerry",
            "family_name": "Vale",
            "date_of_birth": "1999-04-02",
            "current_address": ids["home"],
        },
    ).json()["id"]
    ids["dean"] = carl.post(
        "/people/",
        {
            "given_name": "Dean",
            "family_name": "Vale",
            "date_of_birth": "1996-11-20",
            "current_address": ids["home"],
        },
    ).json()["id"]
    ids["baby"] = mia.post(
        "/people/", {"family_name": "Vale", "status": "unborn", "expected_date": iso(days=7)[:10]}
    ).json()["id"]
    for frm, kind, to in [
        ("kerry", "mother_of", "baby"),
        ("dean", "father_of", "baby"),
        ("dean", "partner_of", "kerry"),
    ]:
        assert (
            carl.post(
                "/relationships/", {"from_person": ids[frm], "to_person": ids[to], "kind": kind}
            ).status_code
            == 201
        )
    plan = mia.post(
        "/birth-plans/",
        {
            "mother": ids["kerry"],
            "unborn_child": ids["baby"],
            "expected_date": iso(days=7)[:10],
            "planned_place_of_birth": "hospital",
            "hospital": "Northshire General",
            "lead_professional": mia.user["id"],
            "child_protection_status": "unborn_child_protection_plan",
            "legal_status": "pre_proceedings",
            "plan_at_birth": "Baby stays in hospital with mother; no discharge before a strategy discussion.",
            "home_birth_contingency": "Ambulance takes mother and baby to Northshire General; police attend.",
            "out_of_hours_instructions": "Call the EDT duty manager; police protection only if the baby is at risk.",
            "parents_aware_of_plan": False,
            "parents_not_aware_reason": "Risk of flight if disclosed.",
            "key_contacts": [
                {
                    "agency": agencies["northshire-police"],
                    "name": "DS Roe",
                    "phone_out_of_hours": "01632 960101",
                },
                {
                    "agency": agencies["northshire-edt"],
                    "name": "EDT duty manager",
                    "phone_out_of_hours": "01632 960004",
                },
                {
                    "agency": agencies["northshire-csc"],
                    "name": "Dana Reid",
                    "role": "Day social worker",
                    "phone_in_hours": "01632 960003",
                },
            ],
        },
    ).json()
    ids["plan"] = plan["id"]
    # The day social worker is a key contact on the plan, so the baby is one of her agency's cases: she
    # raises the child protection markers. Police raise theirs on the father and the address.
    review = iso(days=60)[:10]
    markers = [
        (
            dana,
            "subject_person",
            "baby",
            "unborn_child_protection_plan",
            "critical",
            "Unborn child protection plan",
            "",
        ),
        (
            dana,
            "subject_person",
            "baby",
            "removal_at_birth_plan",
            "high",
            "Removal at birth planned",
            "do not disclose plan to parents",
        ),
        (carl, "subject_person", "dean", "violence", "high", "Violence towards partner", ""),
        (
            carl,
            "subject_person",
            "dean",
            "threats_to_staff",
            "critical",
            "Threatened staff with a knife",
            "Two officers",
        ),
        (
            carl,
            "subject_address",
            "home",
            "dangerous_animal",
            "high",
            "Large dog at the address",
            "Dog to be secured",
        ),
    ]
    for phone, key, subject, category, severity, summary, handling in markers:
        response = phone.post(
            "/flags/",
            {
                key: ids[subject],
                "category": category,
                "severity": severity,
                "summary": summary,
                "handling_instructions": handling,
                "valid_from": iso(days=-30),
                "review_by": review,
            },
        )
        assert response.status_code == 201, response.text
    assert (
        mia.patch(
            f"/birth-plans/{plan['id']}/",
            {"discharge_arrangements": "Strategy meeting first"},
            **{"If-Match": "1"},
        ).status_code
        == 200
    )
    activated = mia.post(f"/birth-plans/{plan['id']}/activate/", {"agreed_on": iso(days=-3)[:10]})
    assert activated.status_code == 200, activated.text
    assert activated.json()["version"] == 3  # v1 draft, v2 completed, v3 active
    shared = [
        agencies[c]
        for c in ("northshire-police", "northshire-ambulance", "northshire-edt", "northshire-midwifery")
    ]
    assert mia.post(f"/birth-plans/{plan['id']}/share/", {"agencies": shared}).status_code == 200
    for reader in ("carl", "omar"):  # police and out-of-hours social care acknowledge the current version
        assert (
            server.login(reader).post(f"/birth-plans/{plan['id']}/acknowledge/", {"version": 3}).status_code
            == 200
        )
    return ids


def test_s1(server, agencies, background):
    ids = background
    asha, priya, omar, hale, nina = (server.login(u) for u in ("asha", "priya", "omar", "hale", "nina"))
    admin = server.login("admin")

    # 2 (set up first): the police control room is subscribed to its feed.
    police_feed = priya.socket("/ws/v1/feed/")
    assert police_feed.next()["type"] == "hello"

    # 1. 23:40 the ambulance call handler searches the address and opens a birth incident.
    asha.session.headers["X-Access-Reason"] = "999 call 23:40: baby born at home"  # she searches everyone
    found = asha.get("/addresses/", search="NE3 2QX").json()["results"]
    del asha.session.headers["X-Access-Reason"]
    assert [a["id"] for a in found] == [ids["home"]]
    opened = asha.post(
        "/incidents/",
        {
            "kind": "birth",
            "summary": "Baby born at home, mother and baby at address",
            "address": ids["home"],
            "subjects": [ids["kerry"], ids["baby"]],
        },
    )
    assert opened.status_code == 201, opened.text
    snapshot = opened.json()
    incident = snapshot["id"]
    flags = snapshot["network"]["flags"]
    assert len(flags) == 5
    assert {f["category"] for f in flags[:3]} == {"threats_to_staff", "dangerous_animal", "violence"}
    assert flags[0]["category"] == "threats_to_staff"
    [plan] = snapshot["birth_plans"]
    assert plan["id"] == ids["plan"]
    assert plan["out_of_hours_instructions"].startswith("Call the EDT duty manager")
    assert plan["home_birth_contingency"].startswith("Ambulance takes mother and baby")
    guidance = [g["code"] for g in snapshot["guidance"]]
    assert {"officer_safety", "do_not_disclose_plan", "birth_plan", "no_decision_maker"} <= set(guidance)

    # 2. The police control room receives incident.opened within a second, and sees the father's markers.
    message = police_feed.next_event(timeout=1)
    assert (message["event"], message["incident"]) == ("incident.opened", incident)
    police_view = priya.get(f"/incidents/{incident}/").json()
    dean_flags = {
        f["category"] for f in police_view["network"]["flags"] if f["subject_person"] == ids["dean"]
    }
    assert dean_flags == {"violence", "threats_to_staff"}
    assert ids["dean"] not in [s["id"] for s in police_view["subjects"]]

    # Phones on the incident.
    hale_socket = hale.socket(f"/ws/v1/incidents/{incident}/?after=0")
    assert hale_socket.next()["type"] == "hello"
    assert hale_socket.next_event()["event"] == "incident.opened"

    # 3. Attendance requested from police, ambulance and out-of-hours social care, 10 minutes each.
    for code in ("northshire-police", "northshire-ambulance", "northshire-edt"):
        response = asha.post(
            f"/incidents/{incident}/attendance-requests/",
            {"agency": agencies[code], "respond_within_minutes": 10},
            **{"Idempotency-Key": f"request-{code}-{incident}"},
        )
        assert response.status_code == 201, response.text
    requested = [hale_socket.next_event(kinds={"attendance.requested"}) for _ in range(3)]
    assert [(m["seq"], m["event"]) for m in requested] == [(n, "attendance.requested") for n in (2, 3, 4)]
    nina_socket = nina.socket(f"/ws/v1/incidents/{incident}/?after=4")
    assert nina_socket.next()["last_seq"] == 4

    # 4. EDT says attending (ETA 00:30), then at 00:05 cannot attend - refused until it says what instead.
    attending = omar.post(
        f"/incidents/{incident}/attendance/", {"status": "attending", "eta": iso(minutes=50)}
    )
    assert attending.status_code == 200
    refused = omar.post(f"/incidents/{incident}/attendance/", {"status": "cannot_attend"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["attr"] == "agreed_role"
    instead = "phone advice to the decision maker; police to use police protection powers if needed"
    changed = omar.post(
        f"/incidents/{incident}/attendance/", {"status": "cannot_attend", "agreed_role": instead}
    )
    assert changed.status_code == 200
    last_seq_seen = {}
    for name, socket in (("hale", hale_socket), ("nina", nina_socket)):  # every phone sees both, in order
        seen = [socket.next_event(kinds={"attendance.updated"}) for _ in range(2)]
        last_seq_seen[name] = seen[-1]["seq"]
        assert [(m["event"], m["data"]["status"]) for m in seen] == [
            ("attendance.updated", "attending"),
            ("attendance.updated", "cannot_attend"),
        ]
        assert seen[1]["data"]["agreed_role"] == instead
        assert seen[1]["seq"] > seen[0]["seq"]

    # 5. Still no decision maker: the service escalates to the control room supervisor and the plan's lead.
    raised = hale_socket.next_event(timeout=30, kinds={"escalation.raised"})
    assert (raised["data"]["rule"], raised["data"]["level"]) == ("no_decision_maker", 1)
    assert {priya.user["id"], server.login("mia").user["id"]} <= set(raised["data"]["addressed_users"])
    inbox = priya.get("/notifications/").json()["results"]
    assert any(n["kind"] == "escalation.no_decision_maker" for n in inbox)
    [escalation] = priya.get("/escalations/", status="open").json()["results"]
    assert escalation["incident"] == incident

    # 6. The police control room names the sergeant decision maker while the ambulance control room names
    # the paramedic at the same moment (appointments are the control rooms' or the decision maker's).
    barrier = threading.Barrier(2)
    results = {}

    def appoint(phone, user_id, reason):
        barrier.wait(timeout=10)
        results[phone.username] = phone.post(
            f"/incidents/{incident}/decision-maker/", {"user": user_id, "reason": reason}
        )

    threads = [
        threading.Thread(target=appoint, args=(priya, hale.user["id"], "Sergeant on scene")),
        threading.Thread(target=appoint, args=(asha, nina.user["id"], "Paramedic with mother and baby")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert {r.status_code for r in results.values()} == {201}
    appointed = [hale_socket.next_event(kinds={"decision_maker.appointed"}) for _ in range(2)]
    assert {m["event"] for m in appointed} == {"decision_maker.appointed"}
    current = priya.get(f"/incidents/{incident}/").json()["decision_maker"]
    assert current["user"]["id"] == appointed[-1]["data"]["user"]["id"]  # exactly one current: the later one
    if current["user"]["id"] != hale.user["id"]:  # the control room settles it: the sergeant decides
        assert (
            priya.post(
                f"/incidents/{incident}/decision-maker/",
                {"user": hale.user["id"], "reason": "Sergeant on scene"},
            ).status_code
            == 201
        )
        hale_socket.next_event(kinds={"decision_maker.appointed"})
    timeline = priya.get(f"/incidents/{incident}/events/", after=0).json()
    assert len([e for e in timeline if e["event"] == "decision_maker.appointed"]) >= 2

    # 7. The officer loses signal; the sergeant records the decision; the officer reconnects with its last seq.
    nina_socket.close()
    lost_at = last_seq_seen["nina"]  # she saw the EDT's change of mind, then lost signal
    # Named is not deciding: the chase ends when the sergeant accepts.
    assert hale.post(f"/incidents/{incident}/decision-maker/accept/").status_code == 200
    resolved = hale_socket.next_event(timeout=30, kinds={"escalation.resolved"})
    assert resolved["data"]["rule"] == "no_decision_maker"
    decision = hale.post(
        f"/incidents/{incident}/decisions/",
        {
            "decision": "Baby to hospital with mother",
            "rationale": "Birth plan; father present with threats recorded",
        },
    )
    assert decision.status_code == 201
    latest = priya.get(f"/incidents/{incident}/").json()["last_seq"]
    back = nina.socket(f"/ws/v1/incidents/{incident}/?after={lost_at}")
    assert back.next()["last_seq"] == latest
    missed = [back.next_event() for _ in range(latest - lost_at)]
    assert [m["seq"] for m in missed] == list(range(lost_at + 1, latest + 1))
    assert missed[-1]["event"] == "decision.recorded"
    with pytest.raises(TimeoutError):
        back.next(timeout=0.5)  # nothing twice
    back.close()

    # 8. The audit log shows everyone who opened the linked picture that night, under this incident.
    readers = set()
    url = "/audit/"
    params = {"incident": incident, "action": "read"}
    rows = admin.get(url, **params).json()["results"]
    for row in rows:
        if row["object_type"] == "incident":
            readers.add(row["username"])
            assert ids["dean"] in row["people"]
    assert {"asha", "priya"} <= readers

    after_the_night(server, incident, ids)

    for socket in (police_feed, hale_socket):
        socket.close()


def pdf_text(content: bytes) -> str:
    """The text of a PDF as pdftotext (Debian's poppler-utils) reads it, in reading order."""
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True, timeout=60)
    return " ".join(done.stdout.decode().split())


def after_the_night(server, incident, ids):
    """9. The chronology for the review, as JSON, CSV and PDF, read by the police control room's
    supervisor (police was on the incident); the key moments in order in each. 10. The mother's subject
    access export lists every access to her record."""
    priya = server.login("priya")
    chronology = priya.get(f"/incidents/{incident}/chronology/")
    assert chronology.status_code == 200, chronology.text
    items = chronology.json()["items"]

    key_moments = [
        ("plan.shared", "shared the birth plan"),
        ("incident.opened", "opened the incident"),
        ("attendance.updated", "cannot attend"),
        ("decision_maker.appointed", "appointed decision maker"),
    ]
    moments = [
        next(n for n, i in enumerate(items) if i["kind"] == kind and words in i["summary"])
        for kind, words in key_moments
    ]
    assert moments == sorted(moments), [items[n]["summary"] for n in moments]

    as_csv = priya.get(f"/incidents/{incident}/chronology/", format="csv")
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    # The same items, and after them the reading of the JSON a moment ago (the chronology shows its own
    # readers: they viewed the family's records).
    assert [r["summary"] for r in rows][: len(items)] == [i["summary"] for i in items]
    assert "viewed the incident's chronology" in rows[len(items)]["summary"]

    as_pdf = priya.get(f"/incidents/{incident}/chronology/", format="pdf")
    assert as_pdf.status_code == 200, as_pdf.text
    assert as_pdf.headers["Content-Type"] == "application/pdf"
    text = pdf_text(as_pdf.content)
    found = [text.find(words) for _kind, words in key_moments]
    assert -1 not in found, found
    assert found == sorted(found), found

    assert priya.get(f"/incidents/{incident}/chronology/", format="docx").status_code == 400
    assert server.login("hale").get(f"/incidents/{incident}/chronology/").status_code == 404

    # 10. Kerry asks for everything held about her: the data protection officer exports it.
    dora = server.login("dora")
    dora.session.headers["X-Access-Reason"] = "SAR-2026-0042: Kerry Vale's subject access request"
    export = dora.get(f"/people/{ids['kerry']}/subject-access/")
    assert export.status_code == 200, export.text
    accesses = export.json()["sections"]["accesses"]
    assert {"asha", "priya", "mia"} <= {a["who"]["username"] for a in accesses}
    assert all(a["at"] and a["agency"] and a["role"] and a["action"] for a in accesses if a["who"]["id"])
    if server.stack.postgres:  # every audit row naming her, exactly (the export's own row comes after)
        held = server.stack.sql(
            "SELECT l.id::text FROM audit_accesslog l JOIN audit_accessedperson p ON p.log_id = l.id "
            "WHERE p.person_id = %s AND l.object_type <> 'subject_access'",
            (ids["kerry"],),
        )
        assert sorted(a["id"] for a in accesses) == sorted(row[0] for row in held)
    pdf = dora.get(f"/people/{ids['kerry']}/subject-access/", format="pdf")
    assert pdf.status_code == 200
    assert "Kerry" in pdf_text(pdf.content)
