"""The reconnect storm's seed, in a child process on the environment's DATABASE_URL (the storm's own
database, dropped, created and migrated just before by seeding.prepare_database):

    DATABASE_URL=postgres://.../ooh_storm python -m tests.benchmarks.harness.storm_seed --tokens 10000 --incidents 500 --events 5

Two agencies, as the fan-out's seed: police (the phones, and the call handler who opens the incidents)
and ambulance (asked to attend every incident, so its paramedic may answer: the storm's writer). Each
phone is a police responder with a knox token of its own (issued with ooh.accounts.actions.issue_token,
as a login does): the police agency opened the incidents, so it is on each of them and ooh's access
policy lets every phone see every incident. Each incident gets `--events` events: incident.opened,
attendance.requested, then the paramedic's answers (attendance.updated), so a phone that holds an older
seq has a few events to replay.

Prints {"incidents": [...], "tokens": [...], "poster_token": ...} as JSON on stdout.
"""

import argparse
import json
import os
import sys

from .locations import BASE_DIR

SEED_MODULE = "tests.benchmarks.harness.storm_seed"
OPENING_EVENTS = 2  # incident.opened, attendance.requested


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, required=True, help="phones (one police responder each)")
    parser.add_argument("--incidents", type=int, required=True)
    parser.add_argument("--events", type=int, default=5, help="events per incident (at least 2)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")
    import django

    django.setup()

    from django.db import transaction

    from ooh.accounts.actions import issue_token, upsert_agency
    from ooh.accounts.models import AgencyKind, Membership, Role, User
    from ooh.incidents.actions import open_incident, request_attendance, update_attendance
    from ooh.incidents.models import IncidentKind

    with transaction.atomic():
        police, _ = upsert_agency(code="storm-police", name="Storm bench police", kind=AgencyKind.POLICE)
        ambulance, _ = upsert_agency(
            code="storm-ambulance", name="Storm bench ambulance", kind=AgencyKind.AMBULANCE
        )
        handler = User.objects.create(username="storm-handler", display_name="Storm call handler")
        Membership.objects.create(user=handler, agency=police, role=Role.CALL_HANDLER)
        poster = User.objects.create(username="storm-paramedic", display_name="Storm paramedic")
        Membership.objects.create(user=poster, agency=ambulance, role=Role.RESPONDER)
        phones = User.objects.bulk_create(
            [User(username=f"storm-{i:05d}", display_name=f"Officer {i}") for i in range(args.tokens)]
        )
        Membership.objects.bulk_create(
            [Membership(user=u, agency=police, role=Role.RESPONDER) for u in phones]
        )
    handler = User.objects.select_related("membership__agency").get(pk=handler.pk)
    poster = User.objects.select_related("membership__agency").get(pk=poster.pk)
    incidents = []
    for i in range(args.incidents):
        incident = open_incident(actor=handler, kind=IncidentKind.OTHER, summary=f"Reconnect storm #{i}")
        request_attendance(actor=handler, incident=incident, agency=ambulance, respond_within_minutes=24 * 60)
        for n in range(args.events - OPENING_EVENTS):  # en_route again is a legal repeat
            update_attendance(actor=poster, incident=incident, status="en_route", note=f"seed {n}")
        incidents.append(str(incident.pk))
    with transaction.atomic():  # one commit, not one per token
        tokens = [issue_token(user=u, device_name="storm-bench")[1] for u in phones]
        poster_token = issue_token(user=poster, device_name="storm-bench-writer")[1]
    json.dump({"incidents": incidents, "tokens": tokens, "poster_token": poster_token}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
