"""The websocket fan-out's own database: dropped, created, migrated and seeded at the start of every run.

prepare_database runs in the test process; the seed itself runs as a child process against that
database and prints JSON on stdout:

    DATABASE_URL=postgres://.../ooh_wsbench python -m tests.benchmarks.harness.seeding --tokens 2000 --incidents 102

It creates two agencies (police: the watchers; ambulance: the one answering attendance), one responder
per watcher token with a knox token each (issued with ooh.accounts.actions.issue_token, as a login
does), one ambulance responder who POSTs the attendance updates, and the incidents (opened by a police
call handler through ooh.incidents.actions.open_incident, then the ambulance service asked to attend, so
each has its incident.opened and attendance.requested events at seqs 1 and 2 and the paramedic may
answer).
"""

import argparse
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

from .locations import BASE_DIR, VENV_BIN

SEED_MODULE = "tests.benchmarks.harness.seeding"  # run by its path from BASE_DIR, whatever imported it


def prepare_database(
    database_url: str,
    env: dict,
    bench_db: str,
    tokens: int,
    incidents: int,
    *,
    module: str = SEED_MODULE,
    extra_args: tuple[str, ...] = (),
) -> dict:
    """Drop, create, migrate and seed bench_db (ours alone); returns the seed (tokens, incident ids).
    `module` is the seed to run (this one by default; another benchmark's takes the same two counts and
    its own `extra_args`)."""
    import psycopg

    parts = urlsplit(database_url)
    admin = psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{bench_db}"')
    python = str(VENV_BIN / "python")
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
    done = subprocess.run(
        [python, "-m", module, "--tokens", str(tokens), "--incidents", str(incidents), *extra_args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout)


def main(argv=None) -> int:
    """The seed, in the child process: Django set up on the environment's DATABASE_URL."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, required=True, help="watcher tokens (one user each)")
    parser.add_argument("--incidents", type=int, required=True)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")
    import django

    django.setup()

    from django.db import transaction

    from ooh.accounts.actions import issue_token, upsert_agency
    from ooh.accounts.models import AgencyKind, Membership, Role, User
    from ooh.incidents.actions import open_incident, request_attendance
    from ooh.incidents.models import IncidentKind

    with transaction.atomic():
        police, _ = upsert_agency(code="wsbench-police", name="WS bench police", kind=AgencyKind.POLICE)
        ambulance, _ = upsert_agency(
            code="wsbench-ambulance", name="WS bench ambulance", kind=AgencyKind.AMBULANCE
        )
        handler = User.objects.create(username="wsb-handler", display_name="WS bench call handler")
        Membership.objects.create(user=handler, agency=police, role=Role.CALL_HANDLER)
        poster = User.objects.create(username="wsb-paramedic", display_name="WS bench paramedic")
        Membership.objects.create(user=poster, agency=ambulance, role=Role.RESPONDER)
        watchers = User.objects.bulk_create(
            [User(username=f"wsb-{i:05d}", display_name=f"Watcher {i}") for i in range(args.tokens)]
        )
        Membership.objects.bulk_create(
            [Membership(user=u, agency=police, role=Role.RESPONDER) for u in watchers]
        )
    handler = User.objects.select_related("membership__agency").get(pk=handler.pk)
    incidents = []
    for i in range(args.incidents):
        incident = open_incident(
            actor=handler, kind=IncidentKind.OTHER, summary=f"Websocket fan-out benchmark #{i}"
        )
        # The ambulance service is asked to attend, so its paramedic may answer on the incident (need to know).
        request_attendance(actor=handler, incident=incident, agency=ambulance, respond_within_minutes=24 * 60)
        incidents.append(str(incident.pk))
    with transaction.atomic():  # one commit, not one per token
        tokens = [issue_token(user=u, device_name="ws-bench")[1] for u in watchers]
        poster_token = issue_token(user=poster, device_name="ws-bench-poster")[1]
    json.dump({"incidents": incidents, "tokens": tokens, "poster_token": poster_token}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
