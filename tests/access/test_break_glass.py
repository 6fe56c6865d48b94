"""Break-glass: one person's records opened outside the rules for 60 minutes, with a reason, always told to
the user's manager and reviewed by them."""

import datetime
import uuid

import pytest

from alerts.models import Notification
from ooh.access import policy
from ooh.access.models import BreakGlass
from ooh.audit.models import AccessedPerson, AccessLog
from tests.answers import errors

from .feeds import FeedRecorder

pytestmark = pytest.mark.django_db

REASON = "Called by A&E: Kerry Vale in labour, safeguarding history unknown"


def _break_glass(world, name="sam", person=None, reason=REASON):
    person = person or world.kerry
    return world.client(name).post(f"/api/v1/people/{person.pk}/break-glass/", {"reason": reason})


@pytest.fixture
def grant(world):
    response = _break_glass(world)
    assert response.status_code == 201, response.content
    return BreakGlass.objects.get(pk=response.json()["id"])


class TestOpeningIt:
    def test_a_person_outside_need_to_know_opens_for_an_hour_with_a_reason(self, world):
        sam = world.client("sam")
        person, picture = f"/api/v1/people/{world.kerry.pk}/", f"/api/v1/people/{world.kerry.pk}/network/"
        assert sam.get(person).status_code == 404
        assert sam.get(picture).status_code == 404

        opened = _break_glass(world)
        assert opened.status_code == 201, opened.content
        body = opened.json()
        assert (body["person"], body["user"], body["agency"], body["reason"]) == (
            str(world.kerry.pk),
            str(world.sam.pk),
            str(world.agencies["csc2"].pk),
            REASON,
        )
        grant = BreakGlass.objects.get(pk=body["id"])
        assert grant.expires_at - grant.opened_at == datetime.timedelta(minutes=60)
        assert body["reviewed_at"] is None

        assert sam.get(person).status_code == 200
        shown = sam.get(picture)
        assert shown.status_code == 200, shown.content
        assert str(world.baby.pk) in {m["person"]["id"] for m in shown.json()["members"]}

    @pytest.mark.parametrize("reason", ["", "urgent", "   urgent   "])
    def test_a_short_reason_opens_nothing(self, world, reason):
        refused = errors(_break_glass(world, reason=reason))
        assert set(refused) == {"reason"}
        assert not BreakGlass.objects.exists()
        assert not Notification.objects.exists()
        assert not AccessLog.objects.filter(action="break_glass").exists()
        assert world.client("sam").get(f"/api/v1/people/{world.kerry.pk}/").status_code == 404

    def test_it_opens_one_person_not_their_family(self, world, grant):
        sam = world.client("sam")
        assert sam.get(f"/api/v1/people/{world.dean.pk}/").status_code == 404
        assert sam.get(f"/api/v1/people/{world.baby.pk}/network/").status_code == 404

    def test_an_admin_does_no_casework_even_by_breaking_glass(self, world):
        assert _break_glass(world, "ada").status_code == 403
        assert not BreakGlass.objects.exists()

    def test_an_unknown_person_is_not_found(self, world):
        unknown = world.client("sam").post(f"/api/v1/people/{uuid.uuid4()}/break-glass/", {"reason": REASON})
        assert unknown.status_code == 404
        assert not BreakGlass.objects.exists()

    def test_it_is_on_the_record(self, world, grant):
        row = AccessLog.objects.get(action="break_glass")
        assert (row.user, row.object_type, row.object_ids, row.reason) == (
            world.sam,
            "person",
            [str(world.kerry.pk)],
            REASON,
        )
        assert row.detail["break_glass"] == str(grant.pk)
        assert list(AccessedPerson.objects.filter(log=row).values_list("person_id", flat=True)) == [
            world.kerry.pk
        ]


class TestItExpires:
    def test_after_sixty_minutes_the_person_is_out_of_reach_again(self, world, grant):
        sam = world.client("sam")
        assert sam.get(f"/api/v1/people/{world.kerry.pk}/").status_code == 200
        an_hour_ago = grant.opened_at - datetime.timedelta(minutes=61)
        BreakGlass.objects.filter(pk=grant.pk).update(
            opened_at=an_hour_ago, expires_at=an_hour_ago + datetime.timedelta(minutes=60)
        )
        assert sam.get(f"/api/v1/people/{world.kerry.pk}/").status_code == 404
        assert sam.get(f"/api/v1/people/{world.kerry.pk}/network/").status_code == 404

    def test_the_policy_opens_it_until_expires_at_and_not_at_it(self, world, grant):
        second = datetime.timedelta(seconds=1)
        visible = {
            at: policy.visible_people(world.sam, now=at).filter(pk=world.kerry.pk).exists()
            for at in (
                grant.opened_at,
                grant.expires_at - second,
                grant.expires_at,
                grant.expires_at + second,
            )
        }
        assert list(visible.values()) == [True, True, False, False]
        assert policy.needs_purpose(world.sam, world.kerry.pk, now=grant.expires_at)
        assert not policy.needs_purpose(world.sam, world.kerry.pk, now=grant.opened_at)


class TestTheManagerIsTold:
    def test_the_users_manager_gets_an_inbox_entry_and_a_feed_message(
        self, world, monkeypatch, django_capture_on_commit_callbacks
    ):
        feeds = FeedRecorder(monkeypatch)
        with django_capture_on_commit_callbacks(execute=True):
            opened = _break_glass(world)
        assert opened.status_code == 201, opened.content
        grant_id = opened.json()["id"]

        inbox = world.client("max").get("/api/v1/notifications/").json()["results"]
        assert [(n["kind"], n["data"]["break_glass"], n["data"]["reason"]) for n in inbox] == [
            ("break_glass.opened", grant_id, REASON)
        ]
        assert "Sam" in inbox[0]["body"]
        # Nobody else's inbox: not Sam's own, not another council's manager.
        assert list(Notification.objects.values_list("user__username", flat=True)) == ["max"]

        heard = feeds.heard_by_user(world.max) + feeds.heard_by_agency(world.agencies["csc2"])
        assert {(m["event"], m["data"]["break_glass"]) for m in heard} == {("break_glass.opened", grant_id)}
        assert feeds.heard_by_user(world.carol) == []
        assert feeds.heard_by_agency(world.agencies["csc"]) == []


class TestTheReview:
    def test_it_is_listed_for_the_users_manager_only(self, world, grant):
        unreviewed = world.client("max").get("/api/v1/break-glass/", {"reviewed": "false"})
        assert unreviewed.status_code == 200, unreviewed.content
        assert [g["id"] for g in unreviewed.json()["results"]] == [str(grant.pk)]
        for name in ("carol", "pat"):  # managers of other agencies
            other = world.client(name).get("/api/v1/break-glass/", {"reviewed": "false"})
            assert other.status_code == 200, other.content
            assert other.json()["results"] == [], name
            assert world.client(name).get(f"/api/v1/break-glass/{grant.pk}/").status_code == 404
        # The user sees their own; a colleague does not.
        assert [g["id"] for g in world.client("sam").get("/api/v1/break-glass/").json()["results"]] == [
            str(grant.pk)
        ]

    def test_the_manager_records_the_review_with_a_note(self, world, grant):
        max_ = world.client("max")
        reviewed = max_.post(
            f"/api/v1/break-glass/{grant.pk}/review/", {"note": "Justified: A&E call logged"}
        )
        assert reviewed.status_code == 200, reviewed.content
        body = reviewed.json()
        assert (body["reviewed_by"], body["review_note"]) == (str(world.max.pk), "Justified: A&E call logged")
        assert body["reviewed_at"] is not None
        assert max_.get("/api/v1/break-glass/", {"reviewed": "false"}).json()["results"] == []
        assert [
            g["id"] for g in max_.get("/api/v1/break-glass/", {"reviewed": "true"}).json()["results"]
        ] == [str(grant.pk)]
        again = max_.post(f"/api/v1/break-glass/{grant.pk}/review/", {"note": "Twice"})
        assert again.status_code == 409, again.content
        assert (
            AccessLog.objects.filter(user=world.max, object_type="break_glass", action="update").count() == 1
        )

    def test_a_review_needs_a_note(self, world, grant):
        assert set(
            errors(world.client("max").post(f"/api/v1/break-glass/{grant.pk}/review/", {"note": ""}))
        ) == {"note"}
        grant.refresh_from_db()
        assert grant.reviewed_at is None

    def test_a_non_manager_cannot_review_even_their_own(self, world, grant):
        refused = world.client("sam").post(
            f"/api/v1/break-glass/{grant.pk}/review/", {"note": "All fine, honest"}
        )
        assert refused.status_code == 403, refused.content
        assert (
            world.client("carol")
            .post(f"/api/v1/break-glass/{grant.pk}/review/", {"note": "Not mine to review"})
            .status_code
            == 404
        )
        grant.refresh_from_db()
        assert (grant.reviewed_at, grant.reviewed_by) == (None, None)
