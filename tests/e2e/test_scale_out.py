"""Scale-out as production runs it: two ASGI processes, two Celery workers and one beat on one PostgreSQL
and one Redis (a private redis-server this test owns), with /metrics in prometheus-client's
multiprocess mode. The night is driven through one process while the phones hold their websockets on
the other; then that process and a worker are killed (SIGKILL) mid-night. The phones reconnect to the
survivor with the last seq they hold and miss nothing; every escalation is raised exactly once; one
request id follows a change from the POST through the event and the phones' sockets into the task it
scheduled; and /metrics, scraped from the survivor, adds up what every process did.
"""

import datetime
import os
import signal
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import Stack, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

METRICS_TOKEN = "scale-out-scrape-token"


class IncidentPhone:
    """A phone on one incident: it counts every seq it reads, and after a lost connection comes back to
    whichever server it is pointed at with the last seq it holds, as the API tells phones to."""

    def __init__(self, phone, incident):
        self.phone, self.incident = phone, incident
        self.seen: list[int] = []
        self.events: list[dict] = []
        self.connections = 0
        self.socket = None
        self.connect(phone)

    @property
    def last_seq(self):
        return self.seen[-1] if self.seen else 0

    def connect(self, phone):
        self.phone = phone
        self.socket = phone.socket(f"/ws/v1/incidents/{self.incident}/?after={self.last_seq}")
        self.connections += 1
        hello = self.socket.next()
        assert hello["type"] == "hello"
        return hello

    def read_until(self, seq, timeout=20):
        """Read events until `seq` has arrived; returns False if the connection was lost first."""
        deadline = time.monotonic() + timeout
        while self.last_seq < seq:
            try:
                message = self.socket.next(max(deadline - time.monotonic(), 0.01))
            except ConnectionClosed:
                return False
            if message["type"] == "event":
                self.seen.append(message["seq"])
                self.events.append(message)
        return True

    def lost(self, timeout=10) -> bool:
        """True once the server's side of the socket is gone (it was killed); what came before is kept."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.socket.next(max(deadline - time.monotonic(), 0.01))
            except ConnectionClosed:
                return True
            except TimeoutError:
                return False
            if message["type"] == "event":
                self.seen.append(message["seq"])
                self.events.append(message)
        return False


@pytest.fixture
def stack(tmp_path, redis, django_db_blocker):
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    with django_db_blocker.unblock():
        deployment = Stack(
            tmp_path / "stack",
            redis_url=redis.url,
            night=True,  # the Vale family, their markers and birth plan, as `make demo` loads them
            PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
            OOH_METRICS_TOKEN=METRICS_TOKEN,
            OOH_BROKER_VISIBILITY_TIMEOUT_SECONDS="10",
        )
    yield deployment
    with django_db_blocker.unblock():
        deployment.stop()


def scrape(server) -> dict[tuple, float]:
    response = requests.get(
        f"{server.http}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    samples = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name_labels, _, value = line.rpartition(" ")
            name, _, labels = name_labels.partition("{")
            samples[(name, tuple(sorted(x for x in labels.rstrip("}").split(",") if x)))] = float(value)
    return samples


def total(samples, name, **labels) -> float:
    wanted = {f'{k}="{v}"' for k, v in labels.items()}
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


@pytest.mark.timeout(300)
def test_two_servers_two_workers_a_beat_and_a_server_and_worker_killed_mid_night(stack):
    web_a = stack.web("web-a")
    web_b = stack.web("web-b", OOH_LOG_LEVEL="DEBUG")  # its deliveries are logged, with their request ids
    worker_1, _ = stack.worker("worker-1"), stack.worker("worker-2")
    stack.beat()

    carl = web_a.login("carl")  # the police call handler drives the night through web-a
    agencies = {a["code"]: a["id"] for a in carl.get("/agencies/").json()["results"]}
    hale_b, omar_b = (web_b.login(u) for u in ("hale", "omar"))  # phones on web-b

    [night] = carl.get("/incidents/").json()["results"]  # the demo's night: the Vale family's incident
    subjects = [subject["id"] for subject in carl.get(f"/incidents/{night['id']}/").json()["subjects"]]
    feed = hale_b.socket("/ws/v1/feed/")
    assert feed.next()["type"] == "hello"
    opened = carl.post(
        "/incidents/",
        {"kind": "birth", "summary": "Baby born at home, mother and baby at address", "subjects": subjects},
        **{"X-Request-ID": "scale-out-opened-0001"},
    )
    assert opened.status_code == 201, opened.text
    incident = opened.json()["id"]
    # Through Redis, from web-a to web-b. The feed also carries the demo night's own escalations, raised by
    # the beat and workers whenever their time comes; those are not this incident's and are passed over.
    deadline = time.monotonic() + 5
    while feed.next_event(timeout=max(deadline - time.monotonic(), 0.01))["incident"] != incident:
        pass

    phones = {"hale": IncidentPhone(hale_b, incident)}
    for code, minutes in (("northshire-edt", 10), ("northshire-ambulance", 0.05)):  # ambulance: 3 s
        response = carl.post(
            f"/incidents/{incident}/attendance-requests/",
            {"agency": agencies[code], "respond_within_minutes": minutes},
            **{"X-Request-ID": f"scale-out-request-{code}"},
        )
        assert response.status_code == 201, response.text
    phones["omar"] = IncidentPhone(omar_b, incident)  # asked to attend: out-of-hours sees it now
    cannot = omar_b.post(
        f"/incidents/{incident}/attendance/",
        {"status": "cannot_attend", "agreed_role": "phone advice to the decision maker"},
    )
    assert cannot.status_code == 200, cannot.text
    # No decision maker after 3 s and the ambulance's request unanswered after 3 s: both escalate.
    escalated = wait_for(
        lambda: (
            {
                rule
                for (rule,) in stack.sql(
                    "SELECT rule FROM alerts_escalation WHERE incident_id = %s AND level = 1", (incident,)
                )
            }
            >= {"no_decision_maker", "attendance_not_answered"}
        ),
        30,
        "both escalations",
    )
    assert escalated
    last_before = carl.get(f"/incidents/{incident}/").json()["last_seq"]
    for phone in phones.values():
        assert phone.read_until(last_before), "a phone lost its socket before the kill"

    # One request id, end to end: the POST that opened the incident, its event row, web-a's publication,
    # web-b's deliveries (live to a feed, replayed to the incident sockets), the task it scheduled.
    request_id = "scale-out-opened-0001"
    [(event_request_id,)] = stack.sql(
        "SELECT request_id FROM incidents_event WHERE incident_id = %s AND seq = 1", (incident,)
    )
    assert event_request_id == request_id
    web_a_lines = [line for line in stack.log_lines("web-a") if line.get("request_id") == request_id]
    assert any("published incident.opened" in line["message"] for line in web_a_lines)
    delivered = [
        line["message"]
        for line in stack.log_lines("web-b")
        if line.get("request_id") == request_id and "sent an event" in line["message"]
    ]
    # Hale's feed live; hale's and omar's incident sockets, replayed from 0. A socket that a loaded
    # machine dropped before its first read is replayed from 0 again on reconnecting (a new socket, so
    # never a duplicate for the phone, which the phones check above): at least these, nothing else.
    feed = delivered.count("sent an event down a socket (feed)")
    replayed = delivered.count("sent an event down a socket (incident)")
    assert feed >= 1, delivered
    assert replayed >= 2, delivered
    assert feed + replayed == len(delivered), delivered
    wait_for(  # the check of "no decision maker" it scheduled, run by a worker under the same id
        lambda: any(
            line.get("request_id") == request_id and "alerts.tasks.check_subject" in line["message"]
            for name in ("worker-1", "worker-2")
            for line in stack.log_lines(name)
        ),
        20,
        "the scheduled task's log line under the request's id",
    )

    # Mid-night: web-b and worker-1 killed outright (no graceful shutdown: a crash, an OOM kill).
    os.killpg(web_b.process.pid, signal.SIGKILL)
    os.killpg(worker_1.pid, signal.SIGKILL)
    web_b.process.wait(timeout=10)
    worker_1.wait(timeout=10)
    for phone in phones.values():
        assert phone.lost(), "the phone did not notice its server die"

    # The night goes on through web-a while the phones are away...
    appointed = carl.post(
        f"/incidents/{incident}/decision-maker/",
        {"user": hale_b.user["id"], "reason": "Sergeant on scene"},
        **{"X-Request-ID": "scale-out-decision-maker"},
    )
    assert appointed.status_code == 201, appointed.text
    eta = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=20)).isoformat()
    nina_a = web_a.login("nina")
    assert (
        nina_a.post(f"/incidents/{incident}/attendance/", {"status": "attending", "eta": eta}).status_code
        == 200
    )

    # ...and the phones come back to the survivor with the last seq they hold.
    hale_a, omar_a = web_a.login("hale"), web_a.login("omar")
    for name, phone in (("hale", hale_a), ("omar", omar_a)):
        phones[name].connect(phone)
    accepted = hale_a.post(f"/incidents/{incident}/decision-maker/accept/")
    assert accepted.status_code == 200, accepted.text
    last_seq = carl.get(f"/incidents/{incident}/").json()["last_seq"]
    for name, phone in phones.items():
        assert phone.read_until(last_seq), f"{name} lost the survivor too"
        assert phone.seen == list(range(1, last_seq + 1)), f"{name}: a gap or a duplicate: {phone.seen}"
        assert phone.connections == 2

    # Every escalation once, however many workers, sweeps and kills there were.
    time.sleep(11)  # past the broker's visibility timeout: a redelivered task would have run by now
    rows = stack.sql(
        "SELECT rule, subject_key, level FROM alerts_escalation WHERE incident_id = %s ORDER BY rule",
        (incident,),
    )
    rules = [rule for rule, _, _ in rows]
    assert sorted(set(rules)) == ["attendance_not_answered", "no_decision_maker"]
    assert len(rows) == len({(rule, key, level) for rule, key, level in rows})
    assert [r for r in rules if r == "no_decision_maker"] == ["no_decision_maker"]
    raised_events = stack.sql(
        "SELECT data->>'rule' FROM incidents_event WHERE incident_id = %s AND type = 'escalation.raised'",
        (incident,),
    )
    assert sorted(r for (r,) in raised_events) == sorted(rules)

    # /metrics from the survivor adds up every process of the host, the dead ones' counts included.
    samples = scrape(web_a)
    for rule, raised in stack.sql(
        "SELECT rule, count(*) FROM alerts_escalation WHERE level = 1 GROUP BY rule"
    ):
        assert total(samples, "ooh_escalations_raised_total", rule=rule) == raised, rule  # as the record says
    # Every incident event committed was published once, by whichever process wrote it (the demo's loader
    # too). (Escalations off any incident, a plan not ready, are published to feeds without an event row.)
    for event, written in stack.sql(
        "SELECT type, count(*) FROM incidents_event WHERE type LIKE 'incident.%%' OR type LIKE 'attendance.%%' "
        "OR type LIKE 'decision_maker.%%' GROUP BY type"
    ):
        assert total(samples, "ooh_events_published_total", event=event) == written, event
    assert total(samples, "ooh_events_delivered_total", route="incident") >= 2 * last_seq
    assert total(samples, "ooh_websocket_connections", route="incident") == 2  # the two phones, on web-a
    assert (
        total(samples, "ooh_http_requests_total", route="api/v1/incidents/", method="POST", status="201") == 1
    )
    open_now = stack.sql(
        "SELECT rule, level, count(*) FROM alerts_escalation WHERE status = 'open' GROUP BY rule, level"
    )
    assert {(f'level="{level}"', f'rule="{rule}"'): n for rule, level, n in open_now} == {
        labels: value for (name, labels), value in samples.items() if name == "ooh_escalations_open"
    }
    assert total(samples, "ooh_broker_up") == 1
    assert ("ooh_task_queue_depth", ('queue="escalations"',)) in samples
