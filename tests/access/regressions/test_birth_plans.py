"""Nobody outside the case replaces or changes a family's birth plan, nor learns which ids are real."""

import uuid

import pytest
from django.utils import timezone

from ooh.plans import actions as plan_actions
from ooh.plans.models import BirthPlan
from tests import factories
from tests.answers import errors
from tests.vale_world import complete_plan_fields, open_vale_incident

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
