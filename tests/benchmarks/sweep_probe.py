"""The sweeper's cost with many open deadlines, measured inside a deployment's own database.

Run by test_escalation_benchmark.py as `manage.py shell -c "from tests.benchmarks.sweep_probe import main;
main()"` with the deployment's environment; prints one JSON line. It seeds OPEN deadlines (attendance
requests not answered, respond_by ahead) in bulk, plus OVERDUE requests that were already raised and are
still unanswered (the agency that never answers), then times the sweeper: the due-finding (all_due) and
a whole sweep, with their SQL query counts, and EXPLAIN ANALYZE of the deadline query.
"""

import json
import os
import statistics
import time
from datetime import timedelta

OPEN = int(os.environ.get("OOH_BENCH_OPEN_DEADLINES", "100000"))
OVERDUE_RAISED = int(os.environ.get("OOH_BENCH_OVERDUE_RAISED", "500"))
AGENCIES = 100
REPEATS = 15


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def _summary(seconds):
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(_percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
    }


def _seed(now):
    from django.db import transaction

    from ooh.accounts.models import Agency, AgencyKind, Membership, Role, User
    from ooh.incidents import actions
    from ooh.incidents.models import Attendance, AttendanceStatus

    carl = User.objects.get(username="carl")
    agencies = Agency.objects.bulk_create(
        [
            Agency(code=f"bench-{n}", name=f"Benchmark agency {n}", kind=AgencyKind.OOH_SOCIAL_CARE)
            for n in range(AGENCIES)
        ]
    )
    managers = User.objects.bulk_create([User(username=f"bench-manager-{n}") for n in range(AGENCIES)])
    Membership.objects.bulk_create(
        [Membership(user=u, agency=a, role=Role.MANAGER) for u, a in zip(managers, agencies, strict=True)]
    )
    incidents = [
        actions.open_incident(actor=carl, kind="welfare_concern", summary=f"Benchmark {n}", now=now)
        for n in range(-(-(OPEN + OVERDUE_RAISED) // AGENCIES))
    ]
    rows, n = [], 0
    for incident in incidents:
        for agency in agencies:
            if n == OPEN + OVERDUE_RAISED:
                break
            overdue = n >= OPEN
            rows.append(
                Attendance(
                    incident=incident,
                    agency=agency,
                    status=AttendanceStatus.REQUESTED,
                    requested_at=now,
                    requested_by=carl,
                    # Open: due over the next 24 hours. Overdue: an hour ago.
                    respond_by=now - timedelta(hours=1)
                    if overdue
                    else now + timedelta(seconds=60 + n % 86_000),
                    updated_at=now,
                    updated_by=carl,
                )
            )
            n += 1
    with transaction.atomic():
        Attendance.objects.bulk_create(rows, batch_size=5000)
    return len(incidents)


def main():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from alerts import escalation_rules, escalations
    from alerts.models import Escalation
    from ooh.incidents.models import Attendance, AttendanceStatus, IncidentStatus

    started = time.perf_counter()
    now = timezone.now()
    incidents = _seed(now)
    seeded_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    first = escalations.sweep(now=now)  # raises the overdue ones, once
    raised_before = Escalation.objects.filter(rule="attendance_not_answered").count()

    due_times, sweep_times = [], []
    for _ in range(REPEATS):
        connection.queries_log.clear()  # a full log (9,000 entries after seeding) would count nothing
        with CaptureQueriesContext(connection) as due_queries:
            t = time.perf_counter()
            due = escalation_rules.all_due(now)
            due_times.append(time.perf_counter() - t)
        assert due == [], due
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as sweep_queries:
            t = time.perf_counter()
            result = escalations.sweep(now=now)
            sweep_times.append(time.perf_counter() - t)
        assert result["raised"] == 0, result

    deadline_query = Attendance.objects.filter(
        status=AttendanceStatus.REQUESTED,
        respond_by__lte=now - escalation_rules.minutes("attendance_not_answered"),
        incident__status=IncidentStatus.OPEN,
    ).select_related("agency", "incident")
    plan = deadline_query.explain(analyze=True)
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        list(deadline_query.values_list("pk", flat=True))
        times.append(time.perf_counter() - t)
    print(
        json.dumps(
            {
                "open_deadlines": Attendance.objects.filter(
                    status=AttendanceStatus.REQUESTED, respond_by__gt=now
                ).count(),
                "overdue_already_raised": raised_before,
                "incidents": incidents,
                "seed_seconds": round(seeded_seconds, 1),
                "first_sweep": first,
                "deadline_query": _summary(times),
                "deadline_query_plan": plan,
                "index_used": "attendance_status_" in plan or "Index" in plan,
                "all_due": {**_summary(due_times), "queries": len(due_queries)},
                "sweep": {**_summary(sweep_times), "queries": len(sweep_queries)},
                "sweep_sql": [q["sql"][:300] for q in sweep_queries.captured_queries],
            }
        )
    )
