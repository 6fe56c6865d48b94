"""Graceful shutdown, as a deploy or a scale-in does it (SIGTERM, then a grace period):

- an ASGI process stops taking connections, closes every websocket with 1012 (service restart: the
  phone reconnects, to another process behind the load balancer, with the last seq it holds, after its
  jittered back-off) and exits cleanly; the phone then misses nothing;
- a Celery worker finishes the task it is running (warm shutdown) before it exits, so an escalation
  half-way through is raised exactly once; a task it had not started goes back to the queue.
"""

import os
import signal
import time

import psycopg
import pytest
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import Stack, wait_for

pytestmark = pytest.mark.e2e

SERVICE_RESTART = 1012


@pytest.fixture
def stack(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        deployment = Stack(tmp_path / "stack")
    yield deployment
    with django_db_blocker.unblock():
        deployment.stop()


def test_sigterm_closes_every_socket_with_service_restart_and_the_phones_resume_elsewhere(stack):
    draining, survivor = stack.web("draining"), stack.web("survivor")
    carl = survivor.login("carl")
    incident = carl.post("/incidents/", {"kind": "welfare_concern", "summary": "Newborn, no answer"}).json()[
        "id"
    ]
    hale = draining.login("hale")
    sockets = [hale.socket(f"/ws/v1/incidents/{incident}/?after=0") for _ in range(3)]
    feed = hale.socket("/ws/v1/feed/")
    for socket in sockets:
        assert socket.next()["type"] == "hello"
        assert socket.next_event()["seq"] == 1
    assert feed.next()["type"] == "hello"

    asked = time.monotonic()
    draining.process.send_signal(signal.SIGTERM)
    for socket in [*sockets, feed]:
        with pytest.raises(ConnectionClosed) as closed:
            socket.next(timeout=10)
        assert closed.value.rcvd is not None, "closed without a close frame"
        assert closed.value.rcvd.code == SERVICE_RESTART
    assert time.monotonic() - asked < 5
    # A clean exit well inside the grace period: uvicorn, once shut down, re-raises the SIGTERM it caught.
    assert draining.process.wait(timeout=30) == -signal.SIGTERM
    log = stack.log_lines("draining")
    server_lines = [line["message"] for line in log if line["logger"].startswith("uvicorn")]
    assert "Shutting down" in server_lines
    assert server_lines[-1] == f"Finished server process [{draining.process.pid}]"
    # Under a loaded machine one connection's task has been seen to outlive the 20 s bound, which uvicorn
    # then cancels (its one ERROR line); the phones were closed with 1012 at once all the same.
    errors = [line for line in log if line["level"] in ("ERROR", "CRITICAL")]
    assert all(line["message"].startswith("Cancel 1 running task(s)") for line in errors), errors
    accepted = [line["message"] for line in log if "[accepted]" in line["message"]]
    assert len(accepted) == 4
    assert all("?…" in m or "/feed/" in m for m in accepted), accepted  # paths without query strings

    # Meanwhile the incident went on; each phone comes back to the survivor after the seq it holds.
    agencies = {a["code"]: a["id"] for a in carl.get("/agencies/").json()["results"]}
    assert (
        carl.post(
            f"/incidents/{incident}/attendance-requests/",
            {"agency": agencies["northshire-edt"], "respond_within_minutes": 10},
        ).status_code
        == 201
    )
    hale_again = survivor.login("hale")
    resumed = hale_again.socket(f"/ws/v1/incidents/{incident}/?after=1")
    assert resumed.next()["last_seq"] == 2
    assert [resumed.next_event()["seq"]] == [2]
    resumed.close()


@pytest.mark.postgres
def test_sigterm_lets_a_worker_finish_the_escalation_it_is_raising(tmp_path, redis, django_db_blocker):
    with django_db_blocker.unblock():
        deployment = Stack(tmp_path / "stack", redis_url=redis.url, OOH_ATTENDANCE_NOT_ANSWERED_MINUTES="0")
    try:
        web = deployment.web()
        worker = deployment.worker("finishing")
        carl = web.login("carl")
        agencies = {a["code"]: a["id"] for a in carl.get("/agencies/").json()["results"]}
        incident = carl.post("/incidents/", {"kind": "welfare_concern", "summary": "Newborn"}).json()["id"]
        assert (
            carl.post(
                f"/incidents/{incident}/attendance-requests/",
                {"agency": agencies["northshire-edt"], "respond_within_minutes": 0.05},  # due in 3 s
            ).status_code
            == 201
        )
        # Hold the incident row: the worker's escalation inserts its row, then waits on this lock.
        holder = psycopg.connect(deployment.env["DATABASE_URL"])
        holder.execute("SELECT 1 FROM incidents_incident WHERE id = %s FOR UPDATE", (incident,))
        wait_for(
            lambda: deployment.sql(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s",
                ("%incidents_incident%FOR UPDATE%",),
            ),
            60,
            "the worker to be mid-escalation, waiting on the incident row",
        )
        os.kill(worker.pid, signal.SIGTERM)  # the main process: warm shutdown
        time.sleep(2)  # the worker is shutting down while its task still waits on the lock
        assert worker.poll() is None, "the worker left before its task finished"
        holder.rollback()
        holder.close()
        assert worker.wait(timeout=60) == 0
        rows = deployment.sql("SELECT rule, level FROM alerts_escalation WHERE incident_id = %s", (incident,))
        assert rows == [("attendance_not_answered", 1)]
        log = (deployment.tmp / "finishing.log").read_text()
        assert "Warm shutdown" in log
        assert "succeeded" in log
    finally:
        with django_db_blocker.unblock():
            deployment.stop()
