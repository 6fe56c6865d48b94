"""Scale-out: two ASGI server processes on one PostgreSQL and Redis. A change written through one
reaches a websocket held by the other, through the Redis channel layer (the periodic database
re-check is set to 30 s here, so it cannot be what delivers it)."""

import datetime

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_a_change_through_one_server_reaches_a_socket_on_the_other(stack):
    first, second = stack.web("web-a"), stack.web("web-b")
    carl_on_a = first.login("carl")
    hale_on_b = second.login("hale")
    omar_on_a = first.login("omar")
    agencies = {a["code"]: a["id"] for a in carl_on_a.get("/agencies/").json()["results"]}

    feed_on_b = hale_on_b.socket("/ws/v1/feed/")
    assert feed_on_b.next()["type"] == "hello"
    incident = carl_on_a.post(
        "/incidents/", {"kind": "welfare_concern", "summary": "Check on a newborn"}
    ).json()
    assert feed_on_b.next_event(timeout=2)["incident"] == incident["id"]  # opened for police: hale's agency

    socket_on_b = hale_on_b.socket(f"/ws/v1/incidents/{incident['id']}/?after=1")
    assert socket_on_b.next()["type"] == "hello"
    carl_on_a.post(
        f"/incidents/{incident['id']}/attendance-requests/",
        {"agency": agencies["northshire-edt"], "respond_within_minutes": 10},
    )
    eta = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=25)).isoformat()
    assert (
        omar_on_a.post(
            f"/incidents/{incident['id']}/attendance/", {"status": "attending", "eta": eta}
        ).status_code
        == 200
    )
    received = [socket_on_b.next_event(timeout=2), socket_on_b.next_event(timeout=2)]
    assert [(m["seq"], m["event"]) for m in received] == [
        (2, "attendance.requested"),
        (3, "attendance.updated"),
    ]
    socket_on_b.close()
    feed_on_b.close()
