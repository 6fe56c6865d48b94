"""The disclosure notice (the NHS CP-IS pattern): when someone outside the owning agency opens a picture that
shows a child's child protection flag, the flag's owner and the owning agency's managers are told who, from
which agency, when, and for which incident or reason - once per viewer and child per hour."""

import datetime
import json

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache

from alerts.models import Notification
from tests import factories
from tests.incidents.wsclient import connect, receive, token_for
from tests.personas import PURPOSE
from tests.vale_world import build_world, open_vale_incident

from .feeds import FeedRecorder

pytestmark = pytest.mark.django_db

NOTICE = "disclosure.notice"


def _notices():
    return Notification.objects.filter(kind=NOTICE).select_related("user").order_by("user__username")


def _told():
    return sorted(n.user.username for n in _notices())


class TestWhoIsTold:
    def test_a_responder_opening_the_incident_snapshot_tells_the_owner_and_the_managers(
        self, world, incident
    ):
        before = datetime.datetime.now(datetime.UTC)
        response = world.client("bob").get(f"/api/v1/incidents/{incident.pk}/")
        assert response.status_code == 200, response.content

        # Dana owns the flag; Carol manages North council; nobody at South council, no admin.
        assert _told() == ["carol", "dana"]
        for notice in _notices():
            data = notice.data
            assert (data["viewer"]["username"], data["viewer"]["role"]) == ("bob", "responder")
            assert data["viewer"]["agency"]["code"] == "ambulance"
            assert (data["person"], data["flag"]) == (str(world.baby.pk), str(world.flags["ucpp"].pk))
            assert data["incident"] == str(incident.pk)
            assert datetime.datetime.fromisoformat(data["at"]) >= before
            assert "Bob" in notice.body
            assert "Ambulance service" in notice.body
            assert str(incident.pk) in notice.body

    def test_it_is_in_the_owners_inbox(self, world, incident):
        world.client("bob").get(f"/api/v1/incidents/{incident.pk}/")
        inbox = world.client("dana").get("/api/v1/notifications/").json()["results"]
        assert [n["data"]["viewer"]["username"] for n in inbox if n["kind"] == NOTICE] == ["bob"]

    @pytest.mark.parametrize(
        "path",
        [
            lambda w: f"/api/v1/people/{w.kerry.pk}/network/",
            lambda w: f"/api/v1/people/{w.baby.pk}/network/",
            lambda w: f"/api/v1/addresses/{w.home.pk}/network/",
        ],
        ids=["mothers picture", "babys picture", "address picture"],
    )
    def test_a_control_room_opening_a_picture_with_a_reason_is_told_of_with_the_reason(self, world, path):
        response = world.client("alice", reason=PURPOSE).get(path(world))
        assert response.status_code == 200, response.content
        assert _told() == ["carol", "dana"]
        for notice in _notices():
            assert notice.data["viewer"]["agency"]["code"] == "police"
            assert (notice.data["reason"], notice.data["incident"]) == (PURPOSE, None)
            assert PURPOSE in notice.body

    def test_a_picture_opened_under_an_incident_names_the_incident(self, world, incident):
        response = world.client("hale").get(
            f"/api/v1/people/{world.kerry.pk}/network/", {"incident": incident.pk}
        )
        assert response.status_code == 200, response.content
        assert {n.data["incident"] for n in _notices()} == {str(incident.pk)}

    def test_a_break_glass_viewer_is_told_of_with_their_reason(self, world):
        reason = "Called by A&E: Kerry Vale in labour, history unknown"
        sam = world.client("sam")
        assert (
            sam.post(f"/api/v1/people/{world.kerry.pk}/break-glass/", {"reason": reason}).status_code == 201
        )
        assert sam.get(f"/api/v1/people/{world.kerry.pk}/network/").status_code == 200
        assert _told() == ["carol", "dana"]
        assert {n.data["viewer"]["agency"]["code"] for n in _notices()} == {"csc2"}
        assert {n.data["reason"] for n in _notices()} == {reason}


class TestWhoIsNotTold:
    def test_not_when_the_viewer_is_in_the_owning_agency(self, world, incident):
        for name in ("dana", "carol"):
            client = world.client(name)
            assert client.get(f"/api/v1/people/{world.kerry.pk}/network/").status_code == 200
            assert client.get(f"/api/v1/addresses/{world.home.pk}/network/").status_code == 200
        assert not _notices().exists()

    def test_not_for_other_flag_categories_but_for_a_child_protection_plan(self, world):
        # Leo, South council's child, is looked after: sensitive, but not what CP-IS tells of.
        factories.flag(world.sam, on=world.leo, category="looked_after_child", severity="high")
        alice = world.client("alice", reason=PURPOSE)
        assert alice.get(f"/api/v1/people/{world.leo.pk}/network/").status_code == 200
        assert not _notices().exists()

        factories.flag(world.sam, on=world.leo, category="child_protection_plan", severity="high")
        assert alice.get(f"/api/v1/people/{world.leo.pk}/network/").status_code == 200
        assert _told() == ["max", "sam"]
        assert {n.data["person"] for n in _notices()} == {str(world.leo.pk)}

    def test_once_per_viewer_and_child_per_hour(self, world, incident):
        bob, hale = world.client("bob"), world.client("hale")
        snapshot, picture = f"/api/v1/incidents/{incident.pk}/", f"/api/v1/people/{world.kerry.pk}/network/"
        for _ in range(3):
            assert bob.get(snapshot).status_code == 200
        assert bob.get(picture).status_code == 200
        assert _told() == ["carol", "dana"]

        # Another viewer is another disclosure.
        assert hale.get(snapshot).status_code == 200
        assert _told() == ["carol", "carol", "dana", "dana"]

        # An hour on, Bob's next look is told of again (time moved by moving the notices, and the cache's
        # memory of them expired as it would be after the hour).
        Notification.objects.filter(kind=NOTICE).update(
            created_at=Notification.objects.get(
                kind=NOTICE, user=world.dana, data__viewer__username="bob"
            ).created_at
            - datetime.timedelta(minutes=61)
        )
        assert bob.get(snapshot).status_code == 200
        assert _told() == ["carol"] * 2 + ["dana"] * 2  # within the hour as far as the cache knows
        cache.clear()
        assert bob.get(snapshot).status_code == 200
        assert _told() == ["carol"] * 3 + ["dana"] * 3

    def test_the_database_still_decides_when_the_cache_has_forgotten(self, world, incident):
        """A restart empties a local cache: the inbox is the record, so no second notice within the hour."""
        bob = world.client("bob")
        assert bob.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200
        cache.clear()
        assert bob.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200
        assert _told() == ["carol", "dana"]

    def test_a_refused_picture_tells_nobody(self, world):
        # Sam cannot see the Vales: nothing was disclosed, so there is nothing to tell.
        assert world.client("sam").get(f"/api/v1/people/{world.kerry.pk}/network/").status_code == 404
        assert world.client("alice").get(f"/api/v1/people/{world.kerry.pk}/network/").status_code == 400
        assert not _notices().exists()


class TestTheFeedHearsIt:
    def test_the_owning_agencys_feed_hears_the_notice(
        self, world, incident, monkeypatch, django_capture_on_commit_callbacks
    ):
        feeds = FeedRecorder(monkeypatch)
        with django_capture_on_commit_callbacks(execute=True):
            assert world.client("bob").get(f"/api/v1/incidents/{incident.pk}/").status_code == 200
        heard = [m for m in feeds.heard_by_agency(world.agencies["csc"]) if m["event"] == NOTICE]
        assert len(heard) == 1
        assert heard[0]["data"]["viewer"]["username"] == "bob"
        assert heard[0]["data"]["incident"] == str(incident.pk)
        for agency in ("ambulance", "csc2", "police"):
            assert feeds.heard_by_agency(world.agencies[agency]) == [], agency


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_feed_socket_of_the_owning_agency_receives_the_notice(settings):
    """End to end over the ASGI stack: Carol's feed socket hears that Bob opened the incident."""
    settings.WS_RESYNC_SECONDS = 60  # the notice comes through the channel layer
    world = await sync_to_async(build_world)()
    incident = await sync_to_async(open_vale_incident)(world)
    feed, connected, _ = await connect("/ws/v1/feed/", await sync_to_async(token_for)(world.carol))
    assert connected
    assert (await receive(feed))["type"] == "hello"

    bob = await sync_to_async(world.client)("bob")
    response = await sync_to_async(bob.get)(f"/api/v1/incidents/{incident.pk}/")
    assert response.status_code == 200, response.content
    message = await receive(feed)
    assert (message["type"], message["event"]) == ("feed", NOTICE)
    assert message["data"]["viewer"]["agency"]["code"] == "ambulance"
    assert json.dumps(message["data"]["incident"]) == json.dumps(str(incident.pk))
    await feed.disconnect()
