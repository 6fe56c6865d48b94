"""Escalations: from a deadline passing to the notification in the inbox, and the sweeper's cost.

A whole deployment on its own PostgreSQL database and a private redis-server (tests/e2e's Stack):
uvicorn, `celery -A ooh worker` on every queue and `celery -A ooh beat` sweeping every 30 s, the
production defaults except that an unanswered request escalates at respond_by itself
(OOH_ATTENDANCE_NOT_ANSWERED_MINUTES=0).

1. Latency: the control room asks OOH_BENCH_DEADLINES agencies (two per incident, each with a duty
   manager) to answer within 30-45 s, through the API, so each deadline is scheduled on the broker
   exactly as in production. Nobody answers. Latency = the first inbox entry's created_at minus the
   escalation's due_at (respond_by), both written by the service. Every deadline must be raised exactly
   once; target p99 <= 5 s. The check is scheduled one second after the deadline on purpose (never
   early, whatever the clocks), so about 1 s is the design floor.
2. The sweeper with OOH_BENCH_OPEN_DEADLINES (100,000) open deadlines and OOH_BENCH_OVERDUE_RAISED
   overdue ones already raised (sweep_probe.py, run inside the deployment's database).

Figures go to var/bench/escalations.json and var/bench/escalations.md. The database and the redis-server
are the benchmark's own and are removed afterwards; ooh_bench is not touched.
"""

import json
import math
import os
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.conftest import PYTHON, ROOT, PrivateRedis, Stack

OUT_DIR = Path(settings.BASE_DIR) / "var" / "bench"
DEADLINES = int(os.environ.get("OOH_BENCH_DEADLINES", "300"))
TARGET_P99_S = 5.0


def percentile(values, q):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summarise(seconds):
    return {
        "n": len(seconds),
        "p50_s": round(percentile(seconds, 50), 3),
        "p95_s": round(percentile(seconds, 95), 3),
        "p99_s": round(percentile(seconds, 99), 3),
        "mean_s": round(statistics.fmean(seconds), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
    }


@pytest.fixture
def deployment(tmp_path, django_db_blocker):
    redis = PrivateRedis(tmp_path)
    redis.start()
    with django_db_blocker.unblock():
        stack = Stack(
            tmp_path / "stack",
            redis_url=redis.url,
            OOH_ATTENDANCE_NOT_ANSWERED_MINUTES="0",
            OOH_NO_DECISION_MAKER_MINUTES="15",
            OOH_ESCALATION_LEVEL_WAIT_MINUTES="60",
            OOH_SWEEP_SECONDS="30",
        )
    try:
        yield stack
    finally:
        with django_db_blocker.unblock():
            stack.stop()
        redis.stop()


def _request_deadlines(web, count):
    """Incidents opened by the ambulance control room, each asking EDT and the police to answer."""
    asha = web.login("asha")
    agencies = {a["code"]: a["id"] for a in asha.get("/agencies/", page_size=100).json()["results"]}
    asked = [agencies["northshire-edt"], agencies["northshire-police"]]

    def one(n):
        incident = asha.post("/incidents/", {"kind": "welfare_concern", "summary": f"Deadline {n}"})
        assert incident.status_code == 201, incident.text
        for agency in asked:
            response = asha.post(
                f"/incidents/{incident.json()['id']}/attendance-requests/",
                # 30-45 s ahead: every request is in before the first falls due
                {"agency": agency, "respond_within_minutes": 0.5 + (n % 16) / 64},
            )
            assert response.status_code == 201, response.text

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(math.ceil(count / len(asked)))))
    return math.ceil(count / len(asked)) * len(asked)


def _wait_for_escalations(stack, expected, timeout):
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        [(count,)] = stack.sql(
            "SELECT count(*) FROM alerts_escalation WHERE rule = 'attendance_not_answered' AND level = 1"
        )
        if count >= expected:
            return count
        time.sleep(1)  # polling the deployment from outside, as an operator would
    return count


def _latencies(stack):
    rows = stack.sql(
        """
        SELECT e.subject_key, e.due_at, e.raised_at, min(n.created_at), count(n.id)
        FROM alerts_escalation e LEFT JOIN alerts_notification n ON n.escalation_id = e.id
        WHERE e.rule = 'attendance_not_answered' AND e.level = 1
        GROUP BY e.id
        """
    )
    return rows


def _sweep_probe(stack):
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", "from tests.benchmarks.sweep_probe import main; main()"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _markdown(figures) -> str:
    lat, sweep = figures["latency"], figures["sweeper"]
    met = "met" if figures["target_met"] else "**missed**"
    return "\n".join(
        [
            "# Escalation benchmark",
            "",
            f"{figures['date']} - `{figures['command']}`",
            "",
            "## Deadline to inbox (real worker, real Redis broker)",
            "",
            f"{figures['deadlines']} unanswered attendance requests (two per incident) through the API; "
            f"{figures['raised']} raised, {figures['duplicates']} duplicates, {figures['missed']} missed, "
            f"{figures['without_inbox']} without an inbox entry.",
            "",
            "| | n | p50 | p95 | p99 | mean | max |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| deadline -> inbox (s) | {lat['n']} | {lat['p50_s']} | {lat['p95_s']} | {lat['p99_s']} | "
            f"{lat['mean_s']} | {lat['max_s']} |",
            "",
            f"Target p99 <= {TARGET_P99_S} s: {lat['p99_s']} s - {met}. The check is scheduled 1 s after "
            "the deadline by design (never early), so about 1 s is the floor.",
            "",
            "## Sweeper",
            "",
            f"{sweep['open_deadlines']:,} open deadlines (requests not yet due) and "
            f"{sweep['overdue_already_raised']:,} overdue requests already raised, on "
            f"{sweep['incidents']:,} incidents.",
            "",
            "| | n | p50 ms | p99 ms | max ms | SQL queries |",
            "|---|---:|---:|---:|---:|---:|",
            f"| the deadline query alone | {sweep['deadline_query']['n']} | {sweep['deadline_query']['p50_ms']} "
            f"| {sweep['deadline_query']['p99_ms']} | {sweep['deadline_query']['max_ms']} | 1 |",
            f"| all_due (every rule: what is due and not yet raised) | {sweep['all_due']['n']} | "
            f"{sweep['all_due']['p50_ms']} | {sweep['all_due']['p99_ms']} | {sweep['all_due']['max_ms']} | "
            f"{sweep['all_due']['queries']} |",
            f"| a whole sweep (raise, climb, resolve) | {sweep['sweep']['n']} | {sweep['sweep']['p50_ms']} | "
            f"{sweep['sweep']['p99_ms']} | {sweep['sweep']['max_ms']} | {sweep['sweep']['queries']} |",
            "",
            "Deadline query plan (EXPLAIN ANALYZE):",
            "",
            "```",
            sweep["deadline_query_plan"],
            "```",
            "",
        ]
    )


@pytest.mark.timeout(3600)
def test_deadline_to_inbox_latency_and_the_sweepers_cost(deployment):
    stack = deployment
    web = stack.web()
    stack.celery()
    started = time.monotonic()
    asked = _request_deadlines(web, DEADLINES)
    requesting_seconds = time.monotonic() - started
    raised = _wait_for_escalations(stack, asked, timeout=120)
    time.sleep(3)  # anything raised twice would show by now (a late duplicate from the sweeper)
    rows = _latencies(stack)
    latencies = [(first - due).total_seconds() for _key, due, _raised, first, _n in rows if first]
    keys = [key for key, *_ in rows]
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "DATABASE_URL=postgres://... REDIS_URL=redis://... make bench PYTEST_ARGS='-k escalation'",
        "deadlines": asked,
        "requesting_seconds": round(requesting_seconds, 1),
        "raised": raised,
        "duplicates": len(keys) - len(set(keys)),
        "missed": asked - len(set(keys)),
        "without_inbox": sum(1 for *_rest, first, _n in rows if first is None),
        "latency": summarise(latencies),
    }
    figures["target_met"] = figures["latency"]["p99_s"] <= TARGET_P99_S
    figures["sweeper"] = _sweep_probe(stack)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "escalations.json").write_text(json.dumps(figures, indent=2, default=str))
    (OUT_DIR / "escalations.md").write_text(_markdown(figures))
    print("\n" + (OUT_DIR / "escalations.md").read_text())

    assert figures["duplicates"] == 0
    assert figures["missed"] == 0
    assert figures["without_inbox"] == 0
    assert figures["sweeper"]["index_used"]
    if os.environ.get("OOH_BENCH_ENFORCE_TARGETS", "1") == "1":
        assert figures["target_met"], figures["latency"]
