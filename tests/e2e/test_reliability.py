"""Reliability against the real Redis broker, on a private redis-server this test may kill and restart.

A worker killed (SIGKILL) in the middle of an escalation; Redis down while an incident changes. The
machine's shared Redis and PostgreSQL are never stopped.
"""

import os
import signal
import time

import psycopg
import pytest

from tests.e2e.conftest import Stack, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
def stack(tmp_path, redis, django_db_blocker):
    with django_db_blocker.unblock():
        deployment = Stack(
            tmp_path / "stack",
            redis_url=redis.url,
            OOH_BROKER_VISIBILITY_TIMEOUT_SECONDS="10",  # an unacknowledged task comes back quickly
            OOH_ATTENDANCE_NOT_ANSWERED_MINUTES="0",
        )
    yield deployment
    with django_db_blocker.unblock():
        deployment.stop()


def _incident_with_request(web, respond_within_minutes):
    carl = web.login("carl")
    agencies = {a["code"]: a["id"] for a in carl.get("/agencies/").json()["results"]}
    incident = carl.post(
        "/incidents/", {"kind": "welfare_concern", "summary": "Newborn, no answer at door"}
    ).json()
    row = carl.post(
        f"/incidents/{incident['id']}/attendance-requests/",
        {"agency": agencies["northshire-edt"], "respond_within_minutes": respond_within_minutes},
    )
    assert row.status_code == 201, row.text
    return carl, incident


def _escalations(stack, incident_id):
    return stack.sql(
        "SELECT level, (SELECT count(*) FROM alerts_notification n WHERE n.escalation_id = e.id) "
        "FROM alerts_escalation e WHERE incident_id = %s ORDER BY level",
        (incident_id,),
    )


def test_a_worker_killed_mid_escalation_is_replaced_and_the_escalation_raised_exactly_once(stack):
    web = stack.web()
    worker = stack.worker("doomed")
    _, incident = _incident_with_request(web, respond_within_minutes=0.05)  # due in 3 s
    # Hold the incident row: the worker's escalation will insert its row, then wait on this lock.
    holder = psycopg.connect(stack.env["DATABASE_URL"])
    holder.execute("SELECT 1 FROM incidents_incident WHERE id = %s FOR UPDATE", (incident["id"],))
    wait_for(
        lambda: stack.sql(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s",
            ("%incidents_incident%FOR UPDATE%",),
        ),
        60,
        "the worker to be mid-escalation, waiting on the incident row",
    )
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool children, mid-transaction
    worker.wait(timeout=10)
    holder.rollback()
    holder.close()
    assert _escalations(stack, incident["id"]) == []  # the killed transaction left nothing behind

    # A new worker, and beat beside it as in every deployment: the redelivered task or the sweeper raises it.
    stack.celery("replacement")
    rows = wait_for(
        lambda: _escalations(stack, incident["id"]), 60, "the escalation to be raised after the kill"
    )
    time.sleep(11)  # longer than the visibility timeout: any second delivery would have run by now
    rows = _escalations(stack, incident["id"])
    assert len(rows) == 1, rows
    level, notifications = rows[0]
    assert level == 1
    assert notifications >= 1
    events = stack.sql(
        "SELECT count(*) FROM incidents_event WHERE incident_id = %s AND type = 'escalation.raised'",
        (incident["id"],),
    )
    assert events == [(1,)]


def test_with_redis_down_writes_succeed_and_what_fell_due_is_raised_once_it_is_back(stack, redis):
    web = stack.web()
    stack.celery()
    carl, incident = _incident_with_request(web, respond_within_minutes=60)
    redis.stop()
    started = time.monotonic()
    hale = web.login("hale")  # the login throttle's cache is Redis: degraded, never down
    # The incident keeps changing while Redis is away; a new request falls due during the outage.
    agencies = {a["code"]: a["id"] for a in carl.get("/agencies/").json()["results"]}
    for code in ("northshire-ambulance",):
        response = carl.post(
            f"/incidents/{incident['id']}/attendance-requests/",
            {"agency": agencies[code], "respond_within_minutes": 0.05},
        )
        assert response.status_code == 201, response.text
    response = carl.post(
        f"/incidents/{incident['id']}/decision-maker/", {"user": hale.user["id"], "reason": "On scene"}
    )
    assert response.status_code == 201, response.text
    assert (time.monotonic() - started) < 25  # each write answered promptly, not after the broker's retries
    time.sleep(max(0, 30 - (time.monotonic() - started)))  # Redis stays down for 30 seconds
    assert _escalations(stack, incident["id"]) == []
    redis.start()
    rows = wait_for(lambda: _escalations(stack, incident["id"]), 60, "the sweeper to raise what fell due")
    assert [level for level, _ in rows] == [1]
    rules = stack.sql(
        "SELECT rule, subject_key FROM alerts_escalation WHERE incident_id = %s", (incident["id"],)
    )
    assert [r for r, _ in rules] == ["attendance_not_answered"]
