"""The linked picture at depth 2 on a million people: the API in-process against one hand-written SQL floor.

Figures go to var/bench/network.json and var/bench/network.md (and a cProfile of 200 requests to
var/bench/network-profile.txt). Run with `make bench` and a PostgreSQL DATABASE_URL. OOH_BENCH_REQUESTS (default 2000) timed requests, round robin over OOH_BENCH_FAMILIES
(default 200) families whose depth-2 network has 5 to 30 members. Audit rows are written on every read,
as in production: they are part of what is measured.
"""

import cProfile
import io
import json
import math
import os
import platform
import pstats
import statistics
import sys
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.benchmarks.harness.locations import OUT_DIR
from tests.benchmarks.harness.results import write_result
from tests.benchmarks.harness.stats import summarise

FAMILIES = int(os.environ.get("OOH_BENCH_FAMILIES", "200"))
REQUESTS = int(os.environ.get("OOH_BENCH_REQUESTS", "2000"))
WARMUP_ROUNDS = 1
PROFILE_REQUESTS = 200
MIN_MEMBERS, MAX_MEMBERS = 5, 30
# The API's own latency, and (restated for production scale) its p50 and p99 against the one-statement
# floor measured in the same run.
TARGETS = {"api_p50_ms": 5.0, "api_p99_ms": 15.0, "ratio_p50": 3.0, "ratio_p99": 5.0}

# The floor: ONE statement returning what the linked picture shows - everyone within two hops
# (relationships read both ways), their current addresses, and every flag in force on any of them.
FLOOR_SQL = """
WITH hop1 AS (
    SELECT r.to_person_id AS id FROM people_relationship r WHERE r.from_person_id = %(subject)s
    UNION
    SELECT r.from_person_id FROM people_relationship r WHERE r.to_person_id = %(subject)s
), hop2 AS (
    SELECT r.to_person_id AS id FROM people_relationship r JOIN hop1 h ON r.from_person_id = h.id
    UNION
    SELECT r.from_person_id FROM people_relationship r JOIN hop1 h ON r.to_person_id = h.id
), reached AS (
    SELECT %(subject)s::uuid AS id UNION SELECT id FROM hop1 UNION SELECT id FROM hop2
), members AS (
    SELECT p.id, p.given_name, p.family_name, p.status, p.date_of_birth
    FROM people_person p JOIN reached USING (id)
), homes AS (
    SELECT DISTINCT s.address_id AS id FROM people_residence s JOIN members m ON s.person_id = m.id
    WHERE s.current
), flags AS (
    SELECT f.* FROM alerts_flag f JOIN members m ON f.subject_person_id = m.id
    WHERE f.status = 'active' AND f.valid_from <= now() AND (f.valid_until IS NULL OR f.valid_until > now())
    UNION ALL
    SELECT f.* FROM alerts_flag f JOIN homes h ON f.subject_address_id = h.id
    WHERE f.status = 'active' AND f.valid_from <= now() AND (f.valid_until IS NULL OR f.valid_until > now())
)
SELECT 'person' AS kind, m.id, m.given_name::text AS a, m.family_name::text AS b, m.status::text AS c,
       m.date_of_birth::text AS d, NULL::text AS e, NULL::text AS f
FROM members m
UNION ALL
SELECT 'address', a.id, a.line1, a.line2, a.town, a.postcode, a.uprn::text, NULL
FROM people_address a JOIN homes h USING (id)
UNION ALL
SELECT 'flag', f.id, f.category, f.severity, f.summary, f.handling_instructions, ag.code, u.username
FROM flags f
JOIN accounts_agency ag ON ag.id = f.source_agency_id
JOIN accounts_user u ON u.id = f.owner_id
"""

# Candidates: people with at least one link, a repeatable sample spread over the whole table.
CANDIDATES_SQL = """
SELECT p.id FROM people_person p TABLESAMPLE BERNOULLI (%(percent)s) REPEATABLE (42)
WHERE p.status <> 'deceased'
  AND (EXISTS (SELECT 1 FROM people_relationship r WHERE r.from_person_id = p.id)
       OR EXISTS (SELECT 1 FROM people_relationship r WHERE r.to_person_id = p.id))
ORDER BY md5(p.id::text)
"""


def pick_families(people_count):
    """FAMILIES subjects, one per family, whose depth-2 network has 5 to 30 members."""
    from ooh.people.models import Person
    from ooh.picture.linked import person_network

    percent = min(100.0, max(0.05, 100.0 * FAMILIES * 40 / max(people_count, 1)))
    with connection.cursor() as cursor:
        cursor.execute(CANDIDATES_SQL, {"percent": percent})
        candidates = [row[0] for row in cursor.fetchall()]
    chosen, taken, tried = [], set(), 0
    for pk in candidates:
        if pk in taken:
            continue
        tried += 1
        person = Person.objects.get(pk=pk)
        network = person_network(person, depth=2)
        if MIN_MEMBERS <= len(network.members) <= MAX_MEMBERS:
            chosen.append(
                {
                    "id": pk,
                    "members": len(network.members),
                    "flags": len(network.flags),
                    "addresses": len(network.addresses),
                }
            )
            taken.update(network.person_ids)  # one subject per family
            if len(chosen) == FAMILIES:
                break
    assert len(chosen) == FAMILIES, f"only {len(chosen)} families of {MIN_MEMBERS}-{MAX_MEMBERS} members"
    return chosen, tried


def bench_user_client():
    from knox.models import AuthToken

    from api.throttles import PictureThrottle
    from ooh.accounts.actions import issue_token, upsert_agency, upsert_user
    from ooh.accounts.models import AgencyKind, Role

    # One user reading thousands of pictures a minute: its per-user budget is lifted for the benchmark;
    # the throttle itself (a cache read and write per request) still runs and is measured.
    PictureThrottle.THROTTLE_RATES = {**PictureThrottle.THROTTLE_RATES, "picture": "1000000/min"}
    agency, _ = upsert_agency(code="bench", name="Benchmark control room", kind=AgencyKind.POLICE)
    user, _ = upsert_user(username="bench", agency=agency, role=Role.CALL_HANDLER, display_name="Bench")
    AuthToken.objects.filter(user=user).delete()  # tokens of earlier runs
    _, token = issue_token(user=user, device_name="benchmark")
    client = APIClient()
    # A control room opening pictures outside its own incidents states why (ooh.access): as on the night.
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_ACCESS_REASON="999 call: welfare check")
    return client


def time_api(client, urls, rounds):
    durations = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for url in urls:
            started = clock()
            response = client.get(url)
            durations.append(clock() - started)
            assert response.status_code == 200, response.content[:500]
    return durations


def time_sql(subjects, rounds, *, prepared=False):
    """The floor as a plain statement (client-side binding, planned on every run, as the ORM sends
    queries), or prepared (server-side binding, planned once: the way ooh sends its one statement)."""
    import psycopg

    durations = []
    clock = time.perf_counter_ns
    connection.ensure_connection()
    raw = connection.connection  # the psycopg connection Django uses, autocommit as in a request
    with psycopg.Cursor(raw) if prepared else raw.cursor() as cursor:
        for _ in range(rounds):
            for subject in subjects:
                started = clock()
                if prepared:
                    cursor.execute(FLOOR_SQL, {"subject": subject}, prepare=True)
                else:
                    cursor.execute(FLOOR_SQL, {"subject": subject})
                cursor.fetchall()
                durations.append(clock() - started)
    return durations


def floor_rows(subject):
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"subject": subject})
        rows = cursor.fetchall()
    return {kind: {str(r[1]) for r in rows if r[0] == kind} for kind in ("person", "address", "flag")}


def check_floor_is_honest(client, families):
    """The floor returns exactly the API's people, addresses and flags (else its figure means nothing)."""
    for family in families:
        body = client.get(f"/api/v1/people/{family['id']}/network/?depth=2").json()
        api = {
            "person": {body["subject"]["id"], *(m["person"]["id"] for m in body["members"])},
            "address": {a["address"]["id"] for a in body["addresses"]},
            "flag": {f["id"] for f in body["flags"]},
        }
        assert floor_rows(family["id"]) == api, family["id"]


def profile_api(client, urls):
    profiler = cProfile.Profile()
    profiler.enable()
    for url in urls:
        client.get(url)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    return text.getvalue()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine():
    cpu = cpu_model()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('shared_buffers')")
        server_version, shared_buffers = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        (db_size,) = cursor.fetchone()
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": server_version,
        "shared_buffers": shared_buffers,
        "database_size": db_size,
    }


def command_line() -> str:
    """How this run was started, without credentials: `DATABASE_URL=... make bench` runs this pytest."""
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    host = url.hostname or ""
    where = f"postgres://{url.username or ''}@{host}:{url.port or 5432}{url.path}" if host else "?"
    people = os.environ.get("OOH_BENCH_PEOPLE")
    extra = f" OOH_BENCH_PEOPLE={people}" if people else ""
    pytest_args = " ".join(sys.argv[1:])
    return f"DATABASE_URL={where}{extra} make bench  (python -m pytest {pytest_args})"


def table_counts():
    from ooh.flags.models import Flag
    from ooh.people.models import Address, Person, PersonIdentifier, Relationship, Residence

    return {
        model._meta.db_table: model.objects.count()
        for model in (Person, Relationship, Address, Residence, PersonIdentifier, Flag)
    }


def write_markdown(figures):
    api, sql, gen = figures["api"], figures["sql_floor"], figures["generation"] or {}
    prep = figures["sql_floor_prepared"]
    counts, m = figures["counts"], figures["machine"]
    people = counts["people_person"]
    targets = figures["targets"]
    met = figures["targets_met"]

    def tick(key):
        return "met" if met[key] else "**missed**"

    lines = [
        "# Linked picture benchmark: GET /api/v1/people/{id}/network/?depth=2",
        "",
        f"{figures['date']} - `{figures['command']}`",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, PostgreSQL {m['postgresql']} "
        f"(shared_buffers {m['shared_buffers']}), database `{figures['database']}` {m['database_size']}.",
        "",
        "## Population",
        "",
        "| table | rows | per person |",
        "|---|---:|---:|",
        *(f"| {table} | {n:,} | {n / people:.2f} |" for table, n in counts.items()),
        "",
        (
            f"Generated {gen.get('people_added', 0):,} people in {gen.get('seconds')} s "
            f"({gen.get('rows_per_second', 0):,} rows/s), peak RSS {gen.get('peak_rss_mib')} MiB "
            f"({gen.get('measured_with')}){' - reused from an earlier run' if gen.get('reused') else ''}."
            if gen
            else "Population generation: not recorded (database filled before figures were kept)."
        ),
        "",
        "## Families measured",
        "",
        f"{figures['families']['count']} subjects (one per family) whose depth-2 network has "
        f"{MIN_MEMBERS}-{MAX_MEMBERS} members: members mean {figures['families']['members_mean']}, "
        f"flags in force mean {figures['families']['flags_mean']}, addresses mean "
        f"{figures['families']['addresses_mean']} ({figures['families']['candidates_tried']} candidates tried).",
        "",
        "## Latency (ms)",
        "",
        "| | n | p50 | p95 | p99 | mean | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| API in-process (APIClient, knox token, audit rows) | {api['n']} | {api['p50_ms']} | "
        f"{api['p95_ms']} | {api['p99_ms']} | {api['mean_ms']} | {api['max_ms']} |",
        f"| SQL floor (one statement, execute + fetchall) | {sql['n']} | {sql['p50_ms']} | "
        f"{sql['p95_ms']} | {sql['p99_ms']} | {sql['mean_ms']} | {sql['max_ms']} |",
        f"| SQL floor, prepared (planned once) | {prep['n']} | {prep['p50_ms']} | "
        f"{prep['p95_ms']} | {prep['p99_ms']} | {prep['mean_ms']} | {prep['max_ms']} |",
        "",
        f"Ratio p50 API / p50 SQL: **{figures['ratio_p50']}x** "
        f"({figures['ratio_p50_prepared_floor']}x against the prepared floor). "
        f"Queries per API request: {figures['queries_per_request']}.",
        "",
        "## Targets",
        "",
        f"- API p50 <= {targets['api_p50_ms']} ms: {api['p50_ms']} ms - {tick('api_p50_ms')}",
        f"- API p99 <= {targets['api_p99_ms']} ms: {api['p99_ms']} ms - {tick('api_p99_ms')}",
        f"- p50 ratio <= {targets['ratio_p50']}x: {figures['ratio_p50']}x - {tick('ratio_p50')}",
        f"- p99 ratio <= {targets['ratio_p99']}x: {figures['ratio_p99']}x - {tick('ratio_p99')}",
        "",
        "The SQL floor was checked to return the same people, addresses and flags as the API "
        f"for {figures['floor_checked_families']} families. cProfile of {PROFILE_REQUESTS} requests: "
        "var/bench/network-profile.txt.",
        "",
    ]
    (OUT_DIR / "network.md").write_text("\n".join(lines))


@pytest.mark.timeout(4 * 3600)  # the first run generates a million people
def test_linked_picture_depth_2_latency(bench_population, django_db_blocker):
    with django_db_blocker.unblock():
        families, tried = pick_families(bench_population["people"])
        subjects = [f["id"] for f in families]
        urls = [f"/api/v1/people/{pk}/network/?depth=2" for pk in subjects]
        client = bench_user_client()

        checked = families[:10]
        check_floor_is_honest(client, checked)
        with CaptureQueriesContext(connection) as queries:
            client.get(urls[0])
        queries_per_request = len(queries.captured_queries)

        rounds = max(1, math.ceil(REQUESTS / len(urls)))
        time_api(client, urls, WARMUP_ROUNDS)
        api = summarise(time_api(client, urls, rounds))
        time_sql(subjects, WARMUP_ROUNDS)
        sql = summarise(time_sql(subjects, rounds))
        time_sql(subjects, WARMUP_ROUNDS, prepared=True)
        sql_prepared = summarise(time_sql(subjects, rounds, prepared=True))
        profile = profile_api(client, urls[:PROFILE_REQUESTS])
        counts = table_counts()
        figures_machine = machine()

    ratio = round(api["p50_ms"] / sql["p50_ms"], 2)
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "database": bench_population["database"],
        "machine": figures_machine,
        "people": counts["people_person"],
        "counts": counts,
        "generation": bench_population["generation"],
        "families": {
            "count": len(families),
            "candidates_tried": tried,
            "members_mean": round(statistics.fmean(f["members"] for f in families), 1),
            "members_max": max(f["members"] for f in families),
            "flags_mean": round(statistics.fmean(f["flags"] for f in families), 1),
            "addresses_mean": round(statistics.fmean(f["addresses"] for f in families), 1),
        },
        "queries_per_request": queries_per_request,
        "api": api,
        "sql_floor": sql,
        "sql_floor_prepared": sql_prepared,
        "ratio_p50": ratio,
        "ratio_p99": round(api["p99_ms"] / sql["p99_ms"], 2),
        "ratio_p50_prepared_floor": round(api["p50_ms"] / sql_prepared["p50_ms"], 2),
        "floor_checked_families": len(checked),
        "targets": TARGETS,
        "targets_met": {
            "api_p50_ms": api["p50_ms"] <= TARGETS["api_p50_ms"],
            "api_p99_ms": api["p99_ms"] <= TARGETS["api_p99_ms"],
            "ratio_p50": ratio <= TARGETS["ratio_p50"],
            "ratio_p99": api["p99_ms"] / sql["p99_ms"] <= TARGETS["ratio_p99"],
        },
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "network.json").write_text(json.dumps(figures, indent=2, default=str))
    (OUT_DIR / "network-profile.txt").write_text(profile)
    write_markdown(figures)
    write_result(  # the published copy, beside the other benchmarks' results
        "network",
        {k: figures[k] for k in ("api", "sql_floor", "sql_floor_prepared", "ratio_p50", "ratio_p99")}
        | {k: figures[k] for k in ("queries_per_request", "targets", "targets_met", "families", "counts")},
        env_names=("OOH_BENCH_PEOPLE", "OOH_BENCH_REQUESTS"),
    )

    print("\n" + (OUT_DIR / "network.md").read_text())
    assert json.loads((OUT_DIR / "network.json").read_text())["api"]["n"] >= REQUESTS
    assert (OUT_DIR / "network.md").stat().st_size > 0
    # A missed target is stated in the figures, not a failure: OOH_BENCH_ENFORCE_TARGETS=1 fails on one.
    if os.environ.get("OOH_BENCH_ENFORCE_TARGETS", "0") == "1":
        assert all(figures["targets_met"].values()), figures["targets_met"]
