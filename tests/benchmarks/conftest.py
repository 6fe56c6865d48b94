"""Benchmarks run on PostgreSQL against a persistent database holding a synthetic population.

Not the throwaway test database: the session uses `ooh_bench` (OOH_BENCH_DB) on the DATABASE_URL
server, creates it if missing, migrates it, and fills it with OOH_BENCH_PEOPLE people (1,000,000 by
default) with generate_population only when it holds fewer - so a rerun starts measuring at once.
Nothing here wraps a test in a transaction: requests commit as they do in production.
"""

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from tests.benchmarks.harness.locations import OUT_DIR, with_db_path

BENCH_DB = os.environ.get("OOH_BENCH_DB", "ooh_bench")
BENCH_PEOPLE = int(os.environ.get("OOH_BENCH_PEOPLE", "1000000"))
GENERATION_FILE = "generation-{db}.json"


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _bench_database_url() -> str:
    return with_db_path(os.environ["DATABASE_URL"], f"/{BENCH_DB}")


def _create_database_if_missing(db):
    with db._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {db.ops.quote_name(BENCH_DB)}")


def _free_seed(first_id_of, start: int) -> int:
    from ooh.people.models import Person

    seed = start
    while Person.objects.filter(pk=first_id_of(seed)).exists():
        seed += 1
    return seed


def _generate(missing: int, seed: int) -> dict:
    """generate_population in a child process, timed, with its peak RSS from /usr/bin/time -v."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    time_file = OUT_DIR / "generation.time"
    command = [
        sys.executable,
        "manage.py",
        "generate_population",
        "--people",
        str(missing),
        "--seed",
        str(seed),
    ]
    gnu_time = shutil.which("time", path="/usr/bin")
    wrapped = [gnu_time, "-v", "-o", str(time_file), *command] if gnu_time else command
    env = {**os.environ, "DATABASE_URL": _bench_database_url()}
    print(
        f"\n[bench] {BENCH_DB}: generating {missing:,} people (seed {seed}); this takes minutes", flush=True
    )
    started = time.perf_counter()
    # stderr stays on the terminal so the progress bar shows; the summary on stdout is kept.
    done = subprocess.run(
        wrapped, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    seconds = time.perf_counter() - started
    print(done.stdout, flush=True)
    if done.returncode != 0:
        pytest.fail(f"generate_population failed ({done.returncode}):\n{done.stdout}")
    peak_kib = None
    if gnu_time and time_file.exists():
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_file.read_text())
        peak_kib = int(match.group(1)) if match else None
    if peak_kib is None:
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rows = {
        m.group(1): int(m.group(2).replace(",", ""))
        for m in re.finditer(r"^\s+(\w+)\s+([\d,]+) rows", done.stdout, re.MULTILINE)
    }
    return {
        "people_added": missing,
        "seed": seed,
        "seconds": round(seconds, 1),
        "peak_rss_kib": peak_kib,
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "rows_written": rows,
        "rows_per_second": round(sum(v for k, v in rows.items() if k != "total") / seconds),
        "command": " ".join(["manage.py", *command[2:]]),
        "measured_with": "/usr/bin/time -v" if gnu_time else "getrusage(RUSAGE_CHILDREN)",
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    """Point the session at the persistent benchmark database instead of a throwaway test database."""
    if not _is_postgres():
        pytest.skip(
            "benchmarks need PostgreSQL: run with DATABASE_URL=postgres://... "
            "(they measure the production database, never SQLite)"
        )
    db = connections["default"]
    original = db.settings_dict["NAME"]
    with django_db_blocker.unblock():
        _create_database_if_missing(db)
        db.close()
        db.settings_dict["NAME"] = BENCH_DB
        call_command("migrate", interactive=False, verbosity=0)
    yield
    with django_db_blocker.unblock():
        db.close()
    db.settings_dict["NAME"] = original


@pytest.fixture(scope="session")
def bench_population(django_db_setup, django_db_blocker):
    """The population in the benchmark database; generated (once) when it holds too few people."""
    from ooh.people.management.commands.generate_population import Population
    from ooh.people.models import Person

    info_path = OUT_DIR / GENERATION_FILE.format(db=BENCH_DB)
    with django_db_blocker.unblock():
        people = Person.objects.count()
        generation = None
        if people < BENCH_PEOPLE:
            seed = _free_seed(Population.first_id, 1 if people == 0 else 1000 + people)
            generation = _generate(BENCH_PEOPLE - people, seed)
            generation["people_before"] = people
            info_path.write_text(json.dumps(generation, indent=2))
            connections["default"].close()
            people = Person.objects.count()
        elif info_path.exists():
            generation = {**json.loads(info_path.read_text()), "reused": True}
    return {"database": BENCH_DB, "people": people, "target_people": BENCH_PEOPLE, "generation": generation}
