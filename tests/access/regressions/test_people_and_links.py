"""Nobody without a case rewrites a family's people or ends their links; a recording role reads back what it recorded."""

import pytest

from ooh.people.models import Relationship
from tests import factories
from tests.answers import errors
from tests.personas import client_for

pytestmark = pytest.mark.django_db


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
    user = factories.member(
        role=role, agency=factories.AgencyFactory(code=f"rec-{kind}".replace("_", "-"), kind=kind)
    )
    client = client_for(user)
    created = client.post("/api/v1/people/", {"family_name": "Doe"})
    assert created.status_code == 201, created.content
    assert client.get(f"/api/v1/people/{created.json()['id']}/").status_code == 200
