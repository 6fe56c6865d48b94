"""The load test's seed, in a child process on the environment's DATABASE_URL (a benchmark database that
holds a generated population): run again, it replaces its own users and incidents, never the population.

    DATABASE_URL=postgres://.../ooh_bench python -m tests.benchmarks.harness.load_seed --incidents 50 --readers 128 --writers 32

Incidents are opened by a police call handler on real families of the population (a person with two to
six relationships, and the baby-and-parents shape the service exists for), each with the ambulance
service asked to attend. Readers are police responders (their agency is on every incident: they read
its snapshot); writers are ambulance responders (they answer the attendance request, again and again).
Prints {"incidents": [...], "readers": [tokens], "writers": [tokens], "subjects": [...]} as JSON.
"""

import argparse
import json
import os
import sys

from .locations import BASE_DIR

PREFIX = "loadbench"

FAMILIES_SQL = """
SELECT from_person_id FROM people_relationship TABLESAMPLE SYSTEM (2) REPEATABLE (7)
GROUP BY from_person_id HAVING count(*) BETWEEN 2 AND 6 ORDER BY from_person_id LIMIT %s
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, required=True)
    parser.add_argument("--readers", type=int, required=True)
    parser.add_argument("--writers", type=int, required=True)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")
    import django

    django.setup()

    from django.db import connection, transaction

    from ooh.accounts.actions import issue_token, upsert_agency
    from ooh.accounts.models import AgencyKind, Membership, Role, User
    from ooh.incidents.actions import open_incident, request_attendance
    from ooh.incidents.models import IncidentKind
    from ooh.people.models import Person

    with transaction.atomic():
        User.objects.filter(username__startswith=f"{PREFIX}-").update(is_active=False)  # earlier runs' users
        police, _ = upsert_agency(code=f"{PREFIX}-police", name="Load test police", kind=AgencyKind.POLICE)
        ambulance, _ = upsert_agency(
            code=f"{PREFIX}-ambulance", name="Load test ambulance", kind=AgencyKind.AMBULANCE
        )
        run = os.urandom(3).hex()
        handler = User.objects.create(username=f"{PREFIX}-{run}-handler", display_name="Load call handler")
        Membership.objects.create(user=handler, agency=police, role=Role.CALL_HANDLER)
        readers = User.objects.bulk_create(
            [
                User(username=f"{PREFIX}-{run}-r{i:04d}", display_name=f"Officer {i}")
                for i in range(args.readers)
            ]
        )
        Membership.objects.bulk_create(
            [Membership(user=u, agency=police, role=Role.RESPONDER) for u in readers]
        )
        writers = User.objects.bulk_create(
            [
                User(username=f"{PREFIX}-{run}-w{i:04d}", display_name=f"Paramedic {i}")
                for i in range(args.writers)
            ]
        )
        Membership.objects.bulk_create(
            [Membership(user=u, agency=ambulance, role=Role.RESPONDER) for u in writers]
        )
    with connection.cursor() as cursor:
        cursor.execute(FAMILIES_SQL, [args.incidents])
        subjects = [row[0] for row in cursor.fetchall()]
    if len(subjects) < args.incidents:
        raise SystemExit(f"only {len(subjects)} families found; is the population generated?")
    handler = User.objects.select_related("membership__agency").get(pk=handler.pk)
    incidents = []
    for subject in subjects:
        incident = open_incident(
            actor=handler,
            kind=IncidentKind.OTHER,
            summary="Load test: welfare check at a family's home",
            subjects=[Person.objects.get(pk=subject)],
        )
        request_attendance(actor=handler, incident=incident, agency=ambulance, respond_within_minutes=24 * 60)
        incidents.append(str(incident.pk))
    with transaction.atomic():
        reader_tokens = [issue_token(user=u, device_name="load test")[1] for u in readers]
        writer_tokens = [issue_token(user=u, device_name="load test")[1] for u in writers]
    json.dump(
        {
            "incidents": incidents,
            "readers": reader_tokens,
            "writers": writer_tokens,
            "subjects": [str(s) for s in subjects],
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
