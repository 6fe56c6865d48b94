"""Issue 13's findings, each pinned by a test named after what it prevents.

Found when the service was tried as an attacker would: a user of any agency could rewrite another
family's birth plan, its people and its incidents. Each test starts from the attack, shows it is
refused the way the access policy says (404 outside need to know, 403 for a write the role may not
make, 400 naming the field for a reference the caller may not see) and that nothing was written; where
a refusal could pass for a broken endpoint, the legitimate user succeeds beside it.
"""

import datetime
import uuid

import pytest
from django.utils import timezone

from ooh.audit.models import AccessedPerson, AccessLog
from ooh.flags.models import Flag
from ooh.incidents.models import Attendance, Decision, Event, IncidentAgency
from ooh.people.models import Relationship
from ooh.plans import actions as plan_actions
from ooh.plans.models import BirthPlan
from tests import factories
from tests.answers import errors
from tests.personas import PURPOSE
from tests.vale_world import complete_plan_fields, open_vale_incident

from .feeds import FeedRecorder

pytestmark = pytest.mark.django_db


def _plan_body(world, lead):
    fields = complete_plan_fields(world, lead)
    body = {k: v for k, v in fields.items() if k not in ("key_contacts", "lead_professional")}
    body["expected_date"] = str(body["expected_date"])
    body["lead_professional"] = str(lead.pk)
    body["key_contacts"] = [{**c, "agency": str(c["agency"].pk)} for c in fields["key_contacts"]]
    body["mother"], body["unborn_child"] = str(world.kerry.pk), str(world.baby.pk)
    return body


def _the_real_plan_stands(world):
    plans = BirthPlan.objects.filter(unborn_child=world.baby)
    assert list(plans.values_list("pk", "status")) == [(world.plan.pk, "active")]


# --- 1. Another family's birth plan ---------------------------------------------------------------


class TestNobodyOutsideTheCaseReplacesAFamilysBirthPlan:
    @pytest.mark.parametrize("outsider", ["sam", "mia", "hana"])
    def test_an_outsider_cannot_draft_a_plan_for_a_baby_they_cannot_see(self, world, outsider):
        body = _plan_body(world, world.users[outsider])
        client = world.client(outsider)
        refused = errors(client.post("/api/v1/birth-plans/", body))
        assert set(refused) == {"mother"}
        # The mother is as unknown to them as an id that was never issued.
        never_issued = errors(client.post("/api/v1/birth-plans/", {**body, "mother": str(uuid.uuid4())}))
        assert refused["mother"]["code"] == never_issued["mother"]["code"]
        assert "does not exist" in refused["mother"]["detail"]
        _the_real_plan_stands(world)

    def test_an_invisible_unborn_child_reads_as_missing_too(self, world):
        sam = world.users["sam"]
        body = {**_plan_body(world, sam), "mother": str(world.lena.pk)}
        refused = errors(world.client("sam").post("/api/v1/birth-plans/", body))
        assert set(refused) == {"unborn_child"}
        assert "does not exist" in refused["unborn_child"]["detail"]
        _the_real_plan_stands(world)

    def test_one_who_sees_the_family_but_holds_no_case_cannot_draft_a_plan_naming_themself_lead(self, world):
        # Shared with South council, Sam reads the plan, its mother and baby - and has no case on them.
        plan_actions.share_plan(actor=world.dana, plan=world.plan, agencies=[world.agencies["csc2"]])
        sam = world.client("sam")
        assert sam.get(f"/api/v1/people/{world.kerry.pk}/").status_code == 200
        refused = sam.post("/api/v1/birth-plans/", _plan_body(world, world.sam))
        assert refused.status_code == 403, refused.content
        _the_real_plan_stands(world)

    def test_a_control_room_that_sees_everyone_cannot_draft_a_plan(self, world):
        refused = world.client("alice").post("/api/v1/birth-plans/", _plan_body(world, world.alice))
        assert refused.status_code == 403, refused.content
        _the_real_plan_stands(world)

    def test_seeing_the_family_is_no_case_even_with_no_plan_in_force(self, world):
        # North council shared its plan, then closed it: nothing stands in the way but the drafting rule.
        plan_actions.share_plan(actor=world.dana, plan=world.plan, agencies=[world.agencies["csc2"]])
        plan_actions.close_plan(actor=world.dana, plan=world.plan, reason="Withdrawn after review")
        open_vale_incident(world, request=("midwifery",))
        for name in ("sam", "mia", "alice"):  # shared with; on tonight's incident; a control room
            client = world.client(name)
            assert client.get(f"/api/v1/people/{world.baby.pk}/").status_code == 200, name
            refused = client.post("/api/v1/birth-plans/", _plan_body(world, world.users[name]))
            assert refused.status_code == 403, (name, refused.content)
        assert list(BirthPlan.objects.filter(unborn_child=world.baby).values_list("status", flat=True)) == [
            "closed"
        ]

    def test_an_agency_with_its_own_case_cannot_supersede_the_plan_kept_by_another(self, world):
        # The midwives now have a case on Kerry (they flagged her), but the plan in force is North
        # council's: only the lead professional's agency replaces it.
        for mother_or_baby in (world.kerry, world.baby):
            factories.flag(world.mia, on=mother_or_baby, category="medical", severity="low")
        refused = world.client("mia").post("/api/v1/birth-plans/", _plan_body(world, world.mia))
        assert refused.status_code == 403, refused.content
        _the_real_plan_stands(world)

    def test_the_lead_professionals_agency_still_replaces_its_own_plan(self, world):
        """The control beside the refusals: the keeper drafts and activates a new plan, superseding the old."""
        dana = world.client("dana")
        drafted = dana.post("/api/v1/birth-plans/", _plan_body(world, world.dana))
        assert drafted.status_code == 201, drafted.content
        active = dana.post(
            f"/api/v1/birth-plans/{drafted.json()['id']}/activate/", {"agreed_on": str(timezone.localdate())}
        )
        assert active.status_code == 200, active.content
        world.plan.refresh_from_db()
        assert world.plan.status == "superseded"


@pytest.mark.parametrize(
    ("path", "body", "attr"),
    [
        ("/api/v1/birth-plans/", lambda w, ref: {**_plan_body(w, w.sam), "mother": ref}, "mother"),
        (
            "/api/v1/relationships/",
            lambda w, ref: {"from_person": str(w.lena.pk), "to_person": ref, "kind": "partner_of"},
            "to_person",
        ),
        (
            "/api/v1/flags/",
            lambda w, ref: {
                "subject_person": ref,
                "category": "other",
                "severity": "low",
                "summary": "Probe",
                "valid_from": timezone.now().isoformat(),
            },
            "subject_person",
        ),
        (
            "/api/v1/incidents/",
            lambda w, ref: {"kind": "birth", "summary": "Probe", "subjects": [ref]},
            "subjects.0",
        ),
    ],
    ids=["plan mother", "link", "flag subject", "incident subject"],
)
def test_a_reference_outside_need_to_know_answers_exactly_as_one_never_issued(world, path, body, attr):
    """Otherwise the error code tells an outsider which ids are real people (an enumeration oracle)."""
    sam = world.client("sam")
    hidden, never_issued = str(world.kerry.pk), str(uuid.uuid4())
    refusals = []
    for ref in (hidden, never_issued):
        refused = errors(sam.post(path, body(world, ref)))
        assert set(refused) == {attr}
        refusals.append({**refused[attr], "detail": refused[attr]["detail"].replace(ref, "<id>")})
    assert refusals[0] == refusals[1]


# --- 2. A plan that is not theirs -----------------------------------------------------------------


class TestASocialWorkerOfAnotherCouncilCannotChangeAPlanThatIsNotTheirs:
    def _attempts(self, client, plan):
        base = f"/api/v1/birth-plans/{plan.pk}"
        return {
            "patch": client.patch(f"{base}/", {"hospital": "Elsewhere"}, HTTP_IF_MATCH=str(plan.version)),
            "activate": client.post(f"{base}/activate/", {"agreed_on": str(timezone.localdate())}),
            "share": client.post(f"{base}/share/", {"agencies": [str(plan.authoring_agency_id)]}),
            "close": client.post(f"{base}/close/", {"reason": "No longer needed"}),
        }

    def _unchanged(self, plan):
        before = (plan.status, plan.version, plan.hospital, set(plan.shares.values_list("agency", flat=True)))
        plan.refresh_from_db()
        assert (
            plan.status,
            plan.version,
            plan.hospital,
            set(plan.shares.values_list("agency", flat=True)),
        ) == before

    def test_a_plan_they_cannot_see_is_not_found(self, world):
        outcomes = self._attempts(world.client("sam"), world.plan)
        assert {verb: r.status_code for verb, r in outcomes.items()} == dict.fromkeys(outcomes, 404)
        self._unchanged(world.plan)

    def test_a_plan_shared_with_them_is_read_not_kept(self, world):
        plan_actions.share_plan(actor=world.dana, plan=world.plan, agencies=[world.agencies["csc2"]])
        draft = plan_actions.draft_plan(
            actor=world.dana,
            mother=world.kerry,
            unborn_child=world.baby,
            **complete_plan_fields(world, world.dana),
        )
        for client in (world.client("sam"), world.client("max")):
            assert client.get(f"/api/v1/birth-plans/{world.plan.pk}/").status_code == 200
            for plan in (world.plan, draft):
                outcomes = self._attempts(client, plan)
                assert {verb: r.status_code for verb, r in outcomes.items()} == dict.fromkeys(outcomes, 403)
                self._unchanged(plan)
        # The keeper, beside them, may.
        patched = world.client("dana").patch(
            f"/api/v1/birth-plans/{world.plan.pk}/",
            {"hospital": "Elsewhere"},
            HTTP_IF_MATCH=str(world.plan.version),
        )
        assert patched.status_code == 200, patched.content


# --- 3. People and links ----------------------------------------------------------------------------


class TestNobodyWithoutACaseRewritesAFamily:
    def test_an_outsider_cannot_mark_a_person_deceased(self, world, incident):
        # Sam cannot see Kerry; Bob and Amy can (the night's incident) but hold no case on her.
        attempts = {
            "sam": 404,
            "bob": 403,
            "amy": 403,
            "ada": 404,
        }
        for name, expected in attempts.items():
            response = world.client(name).patch(f"/api/v1/people/{world.kerry.pk}/", {"status": "deceased"})
            assert response.status_code == expected, (name, response.content)
        world.kerry.refresh_from_db()
        assert world.kerry.status == "living"

    def test_an_outsider_cannot_end_a_link(self, world, incident):
        link = world.links["father"]
        for name, expected in {"sam": 404, "bob": 403, "amy": 403, "ada": 404}.items():
            response = world.client(name).delete(
                f"/api/v1/relationships/{link.pk}/", HTTP_X_ACCESS_REASON="Recorded in error tonight"
            )
            assert response.status_code == expected, (name, response.content)
        link.refresh_from_db()
        assert link.ended_at is None

    @pytest.mark.parametrize("reason", [None, "", "wrong", "  short   "])
    def test_a_link_is_not_ended_without_a_reason(self, world, reason):
        link = world.links["partner"]
        headers = {} if reason is None else {"HTTP_X_ACCESS_REASON": reason}
        refused = errors(world.client("dana").delete(f"/api/v1/relationships/{link.pk}/", **headers))
        assert set(refused) == {"reason"}
        link.refresh_from_db()
        assert link.ended_at is None

    def test_an_ended_link_is_kept_as_history_and_leaves_the_picture(self, world):
        dana = world.client("dana")

        def picture():
            response = dana.get(f"/api/v1/people/{world.kerry.pk}/network/", {"depth": 2})
            assert response.status_code == 200, response.content
            body = response.json()
            everyone = {m["person"]["id"] for m in body["members"]}
            everyone |= {r for a in body["addresses"] for r in a["residents"]}
            return everyone, {f["id"] for f in body["flags"]}

        people, flags = picture()
        assert str(world.dean.pk) in people
        assert str(world.flags["violence"].pk) in flags
        for name in ("partner", "father"):
            ended = dana.delete(
                f"/api/v1/relationships/{world.links[name].pk}/",
                HTTP_X_ACCESS_REASON="Paternity test: Dean is not the father",
            )
            assert ended.status_code == 204, ended.content

        people, flags = picture()
        assert str(world.dean.pk) not in people
        assert str(world.flags["violence"].pk) not in flags
        for name in ("partner", "father"):
            link = Relationship.objects.get(pk=world.links[name].pk)  # still there: history
            assert link.ended_at is not None
            assert (link.ended_by, link.end_reason) == (world.dana, "Paternity test: Dean is not the father")
            # and readable as history by those who see the family
            assert dana.get(f"/api/v1/relationships/{link.pk}/").status_code == 200


# --- 4. Incidents -----------------------------------------------------------------------------------


class TestAnOutsiderCannotTakeOverAnIncident:
    def test_an_outsider_cannot_declare_attendance_on_an_incident_it_cannot_see(self, world, incident):
        sam = world.client("sam")
        seq = Event.objects.filter(incident=incident).count()
        eta = (timezone.now() + datetime.timedelta(minutes=20)).isoformat()
        declared = sam.post(
            f"/api/v1/incidents/{incident.pk}/attendance/", {"status": "attending", "eta": eta}
        )
        assert declared.status_code == 404, declared.content
        assert not Attendance.objects.filter(incident=incident, agency=world.agencies["csc2"]).exists()
        assert not IncidentAgency.objects.filter(incident=incident, agency=world.agencies["csc2"]).exists()
        assert Event.objects.filter(incident=incident).count() == seq

        # ... so the rest of the takeover finds nothing either.
        base = f"/api/v1/incidents/{incident.pk}"
        takeover = {
            "decision-maker": sam.post(
                f"{base}/decision-maker/", {"user": str(world.sam.pk), "reason": "Me"}
            ),
            "decisions": sam.post(f"{base}/decisions/", {"decision": "Go home", "rationale": "Because"}),
            "stand-down": sam.post(
                f"{base}/stand-down/", {"agency": str(world.agencies["ambulance"].pk), "reason": "Not needed"}
            ),
            "close": sam.post(f"{base}/close/", {"outcome": "Nothing to see"}),
        }
        assert {k: r.status_code for k, r in takeover.items()} == dict.fromkeys(takeover, 404)
        incident.refresh_from_db()
        assert (incident.status, incident.decision_maker_id) == ("open", None)
        assert not Decision.objects.filter(incident=incident).exists()
        assert (
            Attendance.objects.get(incident=incident, agency=world.agencies["ambulance"]).status
            == "requested"
        )
        assert Event.objects.filter(incident=incident).count() == seq

    def test_a_requested_agency_that_does_not_decide_cannot_close_the_incident(self, world, incident):
        for name in ("bob", "amy"):  # a requested responder; another service's control room
            response = world.client(name).post(f"/api/v1/incidents/{incident.pk}/close/", {"outcome": "Done"})
            assert response.status_code == 403, (name, response.content)
        incident.refresh_from_db()
        assert incident.status == "open"

    def test_an_appointee_must_belong_to_an_agency_on_the_incident(self, world, incident):
        alice = world.client("alice")
        refused = errors(
            alice.post(
                f"/api/v1/incidents/{incident.pk}/decision-maker/",
                {"user": str(world.sam.pk), "reason": "Duty manager"},
            )
        )
        assert set(refused) == {"user"}
        incident.refresh_from_db()
        assert incident.decision_maker_id is None

    def test_the_decision_maker_and_the_opening_control_room_still_run_the_night(self, world):
        """The control beside the refusals: the legitimate chain of appointment, decision and close."""
        incident = open_vale_incident(world, request=("ambulance", "edt"))
        appointed = world.client("alice").post(
            f"/api/v1/incidents/{incident.pk}/decision-maker/",
            {"user": str(world.omar.pk), "reason": "EDT duty manager"},
        )
        assert appointed.status_code == 201, appointed.content
        omar = world.client("omar")
        decided = omar.post(
            f"/api/v1/incidents/{incident.pk}/decisions/", {"decision": "Stay", "rationale": "Safe tonight"}
        )
        assert decided.status_code == 201, decided.content
        closed = omar.post(f"/api/v1/incidents/{incident.pk}/close/", {"outcome": "Mother and baby safe"})
        assert closed.status_code == 200, closed.content


# --- 5. The admin role and the audit -----------------------------------------------------------------


class TestAdminsAndManagersSeeOnlyWhatIsTheirs:
    def test_an_admin_sees_no_casework_even_of_their_own_agency(self, world, incident):
        ada = world.client("ada")
        assert ada.get(f"/api/v1/people/{world.kerry.pk}/").status_code == 404
        assert ada.get(f"/api/v1/people/{world.kerry.pk}/network/").status_code == 404
        assert ada.get(f"/api/v1/flags/{world.flags['ucpp'].pk}/").status_code == 404
        assert ada.get(f"/api/v1/birth-plans/{world.plan.pk}/").status_code == 404
        for path in ("people", "addresses", "flags", "birth-plans", "incidents"):
            response = ada.get(f"/api/v1/{path}/")
            assert response.status_code == 200, (path, response.content)
            assert response.json()["results"] == [], path

    def test_a_manager_sees_what_their_users_did_and_access_to_their_records_not_another_agencys(
        self, world, incident
    ):
        # Sam works his own family; Alice reads the Vales (North council's case) on the night.
        assert world.client("sam").get(f"/api/v1/people/{world.lena.pk}/").status_code == 200
        assert (
            world.client("alice").get(f"/api/v1/people/{world.kerry.pk}/?incident={incident.pk}").status_code
            == 200
        )
        assert world.client("dana").get(f"/api/v1/people/{world.dean.pk}/").status_code == 200

        carol_rows = _all_audit_rows(world.client("carol"))
        assert carol_rows, "a manager's audit is not empty"
        agencies = {row["agency"] for row in carol_rows}
        assert "csc2" not in agencies
        for row in carol_rows:
            # every row is North council's users, or someone touching North council's records
            assert row["agency"] == "csc" or set(row["people"]) & _north_cases(world), row
        assert any(row["username"] == "alice" and str(world.kerry.pk) in row["people"] for row in carol_rows)
        assert any(row["username"] == "dana" for row in carol_rows)

        max_rows = _all_audit_rows(world.client("max"))
        assert any(row["username"] == "sam" for row in max_rows)
        assert not any(row["username"] in ("alice", "dana", "carol") for row in max_rows), max_rows
        assert not set().union(*(set(r["people"]) for r in max_rows)) & _north_cases(world)

    def test_non_managers_read_no_audit(self, world):
        for name in ("dana", "sam", "alice", "bob"):
            assert world.client(name).get("/api/v1/audit/").status_code == 403, name


def _north_cases(world):
    return {str(world.kerry.pk), str(world.baby.pk), str(world.dean.pk)}


def _all_audit_rows(client):
    rows, url = [], "/api/v1/audit/"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


# --- 6. On the record --------------------------------------------------------------------------------


class TestEveryReadAndRefusalIsOnTheRecord:
    def test_reading_escalations_and_notifications_is_audited(self, world):
        dana = world.client("dana")
        for path, object_type in [("escalations", "escalation"), ("notifications", "notification")]:
            before = AccessLog.objects.filter(user=world.dana, object_type=object_type).count()
            assert dana.get(f"/api/v1/{path}/").status_code == 200
            assert AccessLog.objects.filter(user=world.dana, object_type=object_type).count() == before + 1

    @pytest.mark.parametrize("incident_id", ["not-a-uuid", "invisible", str(uuid.uuid4())])
    def test_a_false_purpose_is_refused_and_not_recorded(self, world, incident, incident_id):
        if incident_id == "invisible":
            incident_id = str(incident.pk)  # Sam's agency is not on it
        rows = AccessLog.objects.count()
        for path in (f"/api/v1/people/{world.lena.pk}/", "/api/v1/people/", "/api/v1/notifications/"):
            refused = errors(world.client("sam").get(path, {"incident": incident_id}))
            assert set(refused) == {"purpose"}, path
        assert not AccessLog.objects.filter(incident_id=incident.pk, user=world.sam).exists()
        assert AccessLog.objects.count() == rows

    def test_a_refused_request_is_audited_as_refused(self, world, incident):
        sam, bob = world.client("sam"), world.client("bob")
        assert sam.get(f"/api/v1/people/{world.kerry.pk}/").status_code == 404
        assert bob.patch(f"/api/v1/people/{world.kerry.pk}/", {"status": "deceased"}).status_code == 403
        refused = AccessLog.objects.filter(action="refused").order_by("chain_seq")
        assert [(r.user, r.detail["status"], r.detail["method"]) for r in refused] == [
            (world.sam, 404, "GET"),
            (world.bob, 403, "PATCH"),
        ]
        assert [r.object_ids for r in refused] == [[str(world.kerry.pk)], [str(world.kerry.pk)]]


# --- 10. Smaller --------------------------------------------------------------------------------------


class TestSmallerFindings:
    def test_acknowledging_a_flag_unrelated_to_the_incident_writes_nothing_to_its_timeline(
        self, world, incident
    ):
        events = list(Event.objects.filter(incident=incident).values_list("seq", flat=True))
        refused = errors(
            world.client("alice").post(
                f"/api/v1/incidents/{incident.pk}/flag-acknowledgements/",
                {"flag": str(world.flags["lena"].pk)},
            )
        )
        assert set(refused) == {"flag"}
        assert list(Event.objects.filter(incident=incident).values_list("seq", flat=True)) == events
        # A flag in the picture is acknowledged.
        ok = world.client("alice").post(
            f"/api/v1/incidents/{incident.pk}/flag-acknowledgements/",
            {"flag": str(world.flags["violence"].pk)},
        )
        assert ok.status_code == 201, ok.content

    def test_a_flag_is_not_owned_by_a_user_of_another_agency(self, world):
        dana = world.client("dana")
        body = {
            "subject_person": str(world.kerry.pk),
            "category": "other",
            "severity": "low",
            "summary": "Owned elsewhere",
            "valid_from": timezone.now().isoformat(),
            "owner_id": str(world.sam.pk),
        }
        flags = Flag.objects.count()
        assert set(errors(dana.post("/api/v1/flags/", body))) == {"owner_id"}
        assert Flag.objects.count() == flags
        flag = world.flags["violence"]
        assert set(errors(dana.patch(f"/api/v1/flags/{flag.pk}/", {"owner_id": str(world.sam.pk)}))) == {
            "owner_id"
        }
        flag.refresh_from_db()
        assert flag.owner == world.dana
        # A colleague may own it.
        assert dana.post("/api/v1/flags/", {**body, "owner_id": str(world.carol.pk)}).status_code == 201

    def test_raising_a_low_flag_does_not_make_an_agency_a_stakeholder_of_later_incidents(
        self, world, monkeypatch, django_capture_on_commit_callbacks
    ):
        # Health visiting raised a low flag on Dean long ago; tonight police open an incident for the Vales.
        factories.flag(world.hana, on=world.dean, category="other", severity="low")
        feeds = FeedRecorder(monkeypatch)
        with django_capture_on_commit_callbacks(execute=True):
            opened = world.client("alice").post(
                "/api/v1/incidents/",
                {
                    "kind": "birth",
                    "summary": "Home birth",
                    "subjects": [str(world.kerry.pk), str(world.baby.pk)],
                    "address": str(world.home.pk),
                },
            )
        assert opened.status_code == 201, opened.content
        incident_id = opened.json()["id"]
        health = world.agencies["health"]
        assert not IncidentAgency.objects.filter(incident_id=incident_id, agency=health).exists()
        assert feeds.heard_by_agency(health) == []
        # North council holds the birth plan: its feed hears (the recorder is not deaf).
        assert "incident.opened" in [m["event"] for m in feeds.heard_by_agency(world.agencies["csc"])]
        client = world.client("hana")
        assert client.get(f"/api/v1/incidents/{incident_id}/").status_code == 404
        assert client.get("/api/v1/incidents/").json()["results"] == []


# --- Control rooms state a purpose -------------------------------------------------------------------


class TestAControlRoomStatesAPurpose:
    def test_a_search_without_a_purpose_is_refused(self, world):
        alice = world.client("alice")
        assert set(errors(alice.get("/api/v1/people/", {"search": "Vale"}))) == {"purpose"}
        assert set(errors(alice.get("/api/v1/addresses/", {"search": "Larch"}))) == {"purpose"}
        found = alice.get("/api/v1/people/", {"search": "Vale"}, HTTP_X_ACCESS_REASON=PURPOSE)
        assert found.status_code == 200, found.content
        assert {p["id"] for p in found.json()["results"]} >= {str(world.kerry.pk), str(world.dean.pk)}
        searched = AccessLog.objects.filter(user=world.alice, action="search").latest("chain_seq")
        assert searched.reason == PURPOSE

    def test_a_short_reason_is_no_purpose(self, world):
        alice = world.client("alice")
        assert set(
            errors(alice.get("/api/v1/people/", {"search": "Vale"}, HTTP_X_ACCESS_REASON="because"))
        ) == {"purpose"}

    def test_a_picture_outside_its_incidents_needs_a_purpose(self, world, incident):
        alice = world.client("alice")
        lena = f"/api/v1/people/{world.lena.pk}/network/"
        assert set(errors(alice.get(lena))) == {"purpose"}
        assert alice.get(lena, {"incident": str(incident.pk)}).status_code == 200
        assert alice.get(lena, HTTP_X_ACCESS_REASON=PURPOSE).status_code == 200
        read = AccessLog.objects.filter(user=world.alice, object_type="network").order_by("chain_seq")
        assert [(r.incident_id, r.reason) for r in read] == [(incident.pk, ""), (None, PURPOSE)]
        assert AccessedPerson.objects.filter(log__in=read, person_id=world.lena.pk).count() == 2

    def test_a_picture_of_its_own_incident_needs_none(self, world, incident):
        response = world.client("alice").get(f"/api/v1/people/{world.kerry.pk}/network/")
        assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        ("social_worker", "childrens_social_care"),
        ("ooh_social_worker", "ooh_social_care"),
        ("midwife", "midwifery"),
        ("practitioner", "health"),
        ("manager", "childrens_social_care"),
        ("call_handler", "ambulance"),
        ("control_room_supervisor", "police"),
    ],
)
def test_every_role_that_records_a_person_can_read_it_back(role, kind):
    """A role allowed to record people sees what it recorded (an out-of-hours worker once got a 500)."""
    from tests.personas import client_for

    user = factories.member(
        role=role, agency=factories.AgencyFactory(code=f"rec-{kind}".replace("_", "-"), kind=kind)
    )
    client = client_for(user)
    created = client.post("/api/v1/people/", {"family_name": "Doe"})
    assert created.status_code == 201, created.content
    assert client.get(f"/api/v1/people/{created.json()['id']}/").status_code == 200
