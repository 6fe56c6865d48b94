"""Seed the websocket fan-out benchmark's own database: run as a child process, prints JSON on stdout.

    DATABASE_URL=postgres://.../ooh_wsbench python -m tests.benchmarks.ws_seed --tokens 2000 --incidents 102

Creates two agencies (police: the watchers; ambulance: the one answering attendance), one responder per
watcher token with a knox token each (issued with ooh.accounts.actions.issue_token, as a login does),
one ambulance responder who POSTs the attendance updates, and the incidents (opened by a police call
handler through ooh.incidents.actions.open_incident, then the ambulance service asked to attend, so each
has its incident.opened and attendance.requested events at seqs 1 and 2 and the paramedic may answer).
Used by test_ws_fanout.py; not a test itself.
"""

import argparse
import json
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
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
