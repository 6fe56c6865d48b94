"""Faults survived, each on servers of the test's own: a private PostgreSQL (initdb, pg_ctl) stopped and
started under the running service; a private Redis stopped and started under phones holding sockets; a
phone that stops reading while the night goes on. The machine's shared PostgreSQL and Redis are never
stopped. (A worker SIGKILLed mid-escalation: tests/e2e/test_reliability.py.)
"""

import socket
import subprocess
import threading
import time

import pytest
import requests

from tests.e2e.conftest import PrivatePostgres, Stack, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
def postgres():
    server = PrivatePostgres()
    server.start()
    yield server
    server.destroy()


def open_night_incident(web, carl):
    """A new birth incident on the demo's Vale family (markers in its picture, so it escalates)."""
    [night] = carl.get("/incidents/").json()["results"]
    subjects = [subject["id"] for subject in carl.get(f"/incidents/{night['id']}/").json()["subjects"]]
    opened = carl.post("/incidents/", {"kind": "birth", "summary": "Baby born at home", "subjects": subjects})
    assert opened.status_code == 201, opened.text
    return opened.json()["id"]


@pytest.mark.timeout(240)
def test_postgresql_restarted_under_the_service_answers_503_then_recovers_with_no_restart(
    tmp_path, redis, postgres, django_db_blocker
):
    with django_db_blocker.unblock():
        stack = Stack(
            tmp_path / "stack",
            redis_url=redis.url,
            database_url=postgres.url,
            night=True,
            DATABASE_POOL_TIMEOUT_SECONDS="2",  # a phone hears "try again" within seconds, not after ten
        )
    try:
        web = stack.web()
        carl = web.login("carl")
        incident = open_night_incident(web, carl)
        before = carl.get(f"/incidents/{incident}/").json()["last_seq"]
        agencies = {a["code"]: a["id"] for a in carl.get("/agencies/").json()["results"]}

        postgres.stop()
        read = carl.get(f"/incidents/{incident}/")
        assert read.status_code == 503, read.text
        assert read.headers["Retry-After"] == "5"
        assert read.json() == {
            "type": "server_error",
            "errors": [
                {
                    "code": "database_unavailable",
                    "detail": "The records are not reachable just now; nothing was changed. "
                    "Try again in a few seconds.",
                    "attr": None,
                }
            ],
        }
        write = carl.post(
            f"/incidents/{incident}/attendance-requests/",
            {"agency": agencies["northshire-edt"], "respond_within_minutes": 10},
        )
        assert write.status_code == 503, write.text
        assert write.json()["errors"][0]["code"] == "database_unavailable"
        assert requests.get(f"{web.http}/healthz", timeout=5).status_code == 200  # alive: do not restart it
        ready = requests.get(f"{web.http}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("error")

        postgres.start()
        wait_for(lambda: carl.get(f"/incidents/{incident}/").status_code == 200, 30, "the service to recover")
        assert web.process.poll() is None  # the same process: it recovered by itself
        assert requests.get(f"{web.http}/readyz", timeout=10).status_code == 200
        retried = carl.post(
            f"/incidents/{incident}/attendance-requests/",
            {"agency": agencies["northshire-edt"], "respond_within_minutes": 10},
        )
        assert retried.status_code == 201, retried.text
        # The write refused during the outage left nothing behind: the retry is the next seq.
        assert carl.get(f"/incidents/{incident}/").json()["last_seq"] == before + 1
    finally:
        with django_db_blocker.unblock():
            stack.stop()


@pytest.mark.timeout(240)
def test_redis_restarted_writes_succeed_phones_reconnect_and_replay_escalations_once(
    tmp_path, redis, django_db_blocker
):
    with django_db_blocker.unblock():
        stack = Stack(tmp_path / "stack", redis_url=redis.url, night=True)
    try:
        web = stack.web()
        stack.celery()
        carl, hale = web.login("carl"), web.login("hale")
        incident = open_night_incident(web, carl)
        phone = hale.socket(f"/ws/v1/incidents/{incident}/?after=0")
        assert phone.next()["type"] == "hello"
        seen = [phone.next_event()["seq"]]

        redis.stop()  # before "no decision maker" falls due (3 s after opening): it falls due while Redis is away
        agencies = {a["code"]: a["id"] for a in carl.get("/agencies/").json()["results"]}
        for code in ("northshire-edt", "northshire-ambulance"):
            response = carl.post(
                f"/incidents/{incident}/attendance-requests/",
                {"agency": agencies[code], "respond_within_minutes": 30},
            )
            assert response.status_code == 201, response.text  # the record is the database, not Redis
        time.sleep(6)  # Redis stays away past the deadline: nothing can sweep, nothing can publish
        assert stack.sql("SELECT 1 FROM alerts_escalation WHERE incident_id = %s", (incident,)) == []
        redis.start()

        # The phone's socket may have survived (the re-check fills it in) or closed: either way it ends
        # with every seq once, reconnecting with the last one it holds.
        raised = None
        deadline = time.monotonic() + 60
        while raised is None and time.monotonic() < deadline:
            try:
                message = phone.next_event(timeout=max(deadline - time.monotonic(), 0.1))
            except Exception:  # closed while Redis was away: come back after the last seq held
                phone.close()
                time.sleep(1)  # the phone's back-off
                phone = hale.socket(f"/ws/v1/incidents/{incident}/?after={seen[-1]}")
                assert phone.next()["type"] == "hello"
                continue
            seen.append(message["seq"])
            if message["event"] == "escalation.raised":
                raised = message
        assert raised is not None, seen
        assert raised["data"]["rule"] == "no_decision_maker"
        assert seen == list(range(1, seen[-1] + 1)), seen
        time.sleep(3)  # three more sweeps: none may raise it again
        rows = stack.sql("SELECT rule, level FROM alerts_escalation WHERE incident_id = %s", (incident,))
        assert rows == [("no_decision_maker", 1)]
        phone.close()
    finally:
        with django_db_blocker.unblock():
            stack.stop()


class StuckPhone:
    """A websocket client that completes the handshake, then never reads another byte (its receive
    window as small as the kernel allows): a phone in a pocket on a dead network."""

    def __init__(self, server, token, path):
        host, port = server.address.split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((host, int(port)))
        self.local_port = self.sock.getsockname()[1]
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {server.address}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Sec-WebSocket-Version: 13\r\nAuthorization: Token {token}\r\n\r\n"
            ).encode()
        )
        answer = self.sock.recv(1024)  # the handshake's answer only; then it stops reading
        assert answer.startswith(b"HTTP/1.1 101"), answer

    def backlog(self, server_port) -> int:
        """Bytes the server has queued for this phone and could not send (its socket's Send-Q)."""
        out = subprocess.run(
            [
                "ss",
                "-tnH",
                "state",
                "established",
                f"( sport = :{server_port} and dport = :{self.local_port} )",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        return int(out[1]) if len(out) > 1 else 0

    def close(self):
        self.sock.close()


@pytest.mark.timeout(300)
def test_a_phone_that_stops_reading_never_stalls_the_others(tmp_path, redis, django_db_blocker):
    with django_db_blocker.unblock():
        stack = Stack(tmp_path / "stack", redis_url=redis.url)
    try:
        web = stack.web()
        carl, hale = web.login("carl"), web.login("hale")
        opened = carl.post(
            "/incidents/", {"kind": "welfare_concern", "summary": "Newborn, no answer at door"}
        )
        incident = opened.json()["id"]
        assert (
            carl.post(
                f"/incidents/{incident}/decision-maker/", {"user": hale.user["id"], "reason": "On scene"}
            ).status_code
            == 201
        )
        assert hale.post(f"/incidents/{incident}/decision-maker/accept/").status_code == 200
        last = carl.get(f"/incidents/{incident}/").json()["last_seq"]

        stuck = StuckPhone(web, hale.token, f"/ws/v1/incidents/{incident}/?after={last}")
        reader = hale.socket(f"/ws/v1/incidents/{incident}/?after={last}")
        assert reader.next()["type"] == "hello"
        arrivals: dict[int, float] = {}

        def read_all(count):
            for _ in range(count):
                message = reader.next_event(timeout=30)
                arrivals[message["seq"]] = time.monotonic()

        # Each decision's event is about 6 KB: 800 of them are far more than the stuck phone's socket
        # buffers hold, so its consumer ends up waiting on a full socket while the night goes on.
        decisions, posted = 800, {}
        text = "Police protection considered; baby to hospital with mother by ambulance. " * 26
        thread = threading.Thread(target=read_all, args=(decisions,))
        thread.start()
        lock = threading.Lock()

        def post_decisions(indices):
            session = requests.Session()
            session.headers["Authorization"] = f"Token {hale.token}"
            for i in indices:
                response = session.post(
                    f"{web.http}/api/v1/incidents/{incident}/decisions/",
                    json={"decision": f"Decision {i}: {text[:1900]}", "rationale": text[:3900]},
                    timeout=30,
                )
                assert response.status_code == 201, response.text
                with lock:
                    posted[i] = time.monotonic()

        writers = [threading.Thread(target=post_decisions, args=(range(k, decisions, 4),)) for k in range(4)]
        started = time.monotonic()
        for writer in writers:
            writer.start()
        peak_backlog = 0
        while any(w.is_alive() for w in writers):
            peak_backlog = max(peak_backlog, stuck.backlog(web.address.split(":")[1]))
            health = time.monotonic()
            assert requests.get(f"{web.http}/healthz", timeout=5).status_code == 200
            assert time.monotonic() - health < 1.0  # the process answers while the stuck phone waits
            time.sleep(0.5)
        for writer in writers:
            writer.join()
        thread.join(timeout=60)
        elapsed = time.monotonic() - started

        assert len(posted) == decisions
        assert sorted(arrivals) == list(range(last + 1, last + decisions + 1))  # every event, once, in order
        assert peak_backlog > 1_000_000, peak_backlog  # the stuck phone really stopped reading
        # The reader got the last event within a couple of seconds of the last POST answering.
        assert arrivals[last + decisions] - max(posted.values()) < 2.0, elapsed
        reader.close()
        stuck.close()
    finally:
        with django_db_blocker.unblock():
            stack.stop()
