"""The linked picture of a person in ONE PostgreSQL statement that returns the payload's parts as JSON.

This is the API's hot path (a call handler opens it on every call at 3 a.m.): PostgreSQL walks the two
hops, reads the people, identifiers, current addresses, flags in force with their agency and owner, and
the birth plans in force (plans.py) and renders them as JSON in the shapes of ooh/shapes.py. Python
then does only what must match the ORM path exactly: the breadth-first walk that chooses each member's
path, the human relation labels and the ordering of members.

The ORM path (linked.py + payload.py) stays the reference: it serves SQLite, address pictures and the
incident snapshot, and tests/picture/test_linked_sql.py proves both give the same payload on PostgreSQL.
"""

import uuid
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection
from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]  # psycopg 3's, not in django-stubs
    ServerBindingCursor,
)
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from ooh.accounts.models import Agency, User
from ooh.flags.models import SEVERITY_RANK, Flag, FlagGroup
from ooh.people.links import Edge, walk
from ooh.people.models import Address, Person, PersonIdentifier, Relationship, Residence
from ooh.shapes import ADDRESS, AGENCY, FLAG, IDENTIFIER, PERSON, USER, iso_datetime

from .described import describe_payload
from .linked import describe_subject, path_to, person_network, relation_label
from .payload import network_payload
from .plans import plans_sql


def _edges_cte(depth: int) -> str:
    relationship = Relationship._meta.db_table
    columns = "r.id, r.from_person_id, r.to_person_id, r.kind, r.created_at"
    hop1 = f"""
    e1 AS (
        SELECT {columns} FROM {relationship} r WHERE r.from_person_id = %(subject)s AND r.ended_at IS NULL
        UNION ALL
        SELECT {columns} FROM {relationship} r WHERE r.to_person_id = %(subject)s AND r.ended_at IS NULL
    )"""
    if depth == 1:
        return hop1 + ", edges AS (SELECT * FROM e1)"
    return (
        hop1
        + f""",
    hop1 AS (
        SELECT DISTINCT CASE WHEN from_person_id = %(subject)s THEN to_person_id ELSE from_person_id END AS id
        FROM e1
    ),
    e2 AS (
        SELECT {columns} FROM {relationship} r JOIN hop1 h ON r.from_person_id = h.id WHERE r.ended_at IS NULL
        UNION
        SELECT {columns} FROM {relationship} r JOIN hop1 h ON r.to_person_id = h.id WHERE r.ended_at IS NULL
    ),
    edges AS (SELECT * FROM e1 UNION SELECT * FROM e2)"""
    )


@cache
def statement(depth: int) -> str:
    person, identifier = Person._meta.db_table, PersonIdentifier._meta.db_table
    residence, address = Residence._meta.db_table, Address._meta.db_table
    flag, agency, user = Flag._meta.db_table, Agency._meta.db_table, User._meta.db_table
    in_force = "f.status = 'active' AND f.valid_from <= %(now)s AND (f.valid_until IS NULL OR f.valid_until > %(now)s)"
    rank = " ".join(f"WHEN '{severity}' THEN {n}" for severity, n in SEVERITY_RANK.items())
    flag_json = FLAG.sql(
        "f", source_agency=AGENCY.sql("ag"), owner=USER.sql("u"), status="'active'"
    )  # in force, so active
    identifiers = f"""(
                    SELECT coalesce(json_agg({IDENTIFIER.sql("i")} ORDER BY i.scheme, i.value), '[]')
                    FROM {identifier} i WHERE i.person_id = p.id
                )"""
    return f"""
    WITH subject AS (SELECT p.id FROM {person} p WHERE p.id = %(subject)s),
    {_edges_cte(depth)},
    reached AS (
        SELECT id FROM subject
        UNION SELECT from_person_id FROM edges
        UNION SELECT to_person_id FROM edges
    ),
    homes AS (
        SELECT s.id AS rid, s.person_id, s.address_id FROM {residence} s JOIN reached ON s.person_id = reached.id
        WHERE s.current
    ),
    flags AS (
        SELECT f.* FROM {flag} f JOIN reached ON f.subject_person_id = reached.id WHERE {in_force}
        UNION ALL
        SELECT f.* FROM {flag} f JOIN (SELECT DISTINCT address_id FROM homes) h ON f.subject_address_id = h.address_id
        WHERE {in_force}
    )
    SELECT json_build_object(
        'edges', (
            SELECT coalesce(json_agg(json_build_array(e.from_person_id, e.to_person_id, e.kind)
                                     ORDER BY e.created_at, e.id), '[]')
            FROM edges e
        ),
        'people', (
            SELECT json_agg({PERSON.sql("p", identifiers=identifiers)})
            FROM {person} p JOIN reached ON p.id = reached.id
        ),
        'addresses', (
            SELECT coalesce(json_agg(json_build_object(
                'address', {ADDRESS.sql("a")},
                'residents', h.residents
            ) ORDER BY h.first), '[]')
            FROM (
                SELECT address_id, min(rid) AS first, json_agg(person_id ORDER BY rid) AS residents
                FROM homes GROUP BY address_id
            ) h JOIN {address} a ON a.id = h.address_id
        ),
        'flags', (
            SELECT coalesce(json_agg({flag_json} ORDER BY (f."group" <> '{FlagGroup.OFFICER_SAFETY}'), (CASE f.severity {rank} END) DESC,
                       f.created_at DESC, f.id), '[]')
            FROM flags f JOIN {agency} ag ON ag.id = f.source_agency_id JOIN {user} u ON u.id = f.owner_id
        ),
        'birth_plans', {plans_sql()}
    )
    FROM subject
    """


def _server_binding_cursor() -> CursorWrapper:
    """A Django cursor (error wrapping, query logging) over a server-binding psycopg cursor, so the
    statement is prepared on its connection after DATABASE_PREPARE_THRESHOLD runs: PostgreSQL then
    reuses the plan instead of spending about a millisecond planning this statement on every read."""
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = ServerBindingCursor(connection.connection)
    return (
        connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
    )


def person_network_json(
    person_id: uuid.UUID | str, *, depth: int, now: datetime | None = None
) -> tuple[dict[str, Any], list[str]] | None:
    """(payload, ids of every person disclosed) for a person's linked picture, or None if no such person.

    One statement; the payload equals network_payload(person_network(person, depth=depth, now=now)).
    """
    now = now or timezone.now()
    with _server_binding_cursor() as cursor:
        cursor.execute(statement(depth), {"subject": person_id, "now": now})
        row = cursor.fetchone()
    if row is None:
        return None
    parts = row[0]
    subject_id = str(person_id)
    people = {p["id"]: p for p in parts["people"]}
    edges: list[Edge[str]] = [tuple(edge) for edge in parts["edges"]]

    def touching(frontier: list[str]) -> list[Edge[str]]:
        return [edge for edge in edges if edge[0] in frontier or edge[1] in frontier]

    reached = walk([subject_id], depth, touching)
    subject = people[subject_id]
    about = describe_subject(subject["status"], _full_name(subject))
    members = []
    for pid, via in reached.items():
        if via is None:
            continue
        path = path_to(pid, reached)
        person = people[pid]
        members.append(
            (
                (len(path) - 1, person["family_name"], person["given_name"]),
                {
                    "person": person,
                    "relation": relation_label(path, reached, lambda p: people[p]["status"], about),
                    "path": path,
                    "distance": len(path) - 1,
                },
            )
        )
    members.sort(key=lambda pair: pair[0])
    flags = parts["flags"]
    payload = {
        "subject": subject,
        "subject_type": "person",
        "generated_at": iso_datetime(now),
        "highest_severity": max((f["severity"] for f in flags), key=SEVERITY_RANK.__getitem__, default=None),
        "members": [member for _key, member in members],
        "addresses": parts["addresses"],
        "flags": flags,
        "birth_plans": parts["birth_plans"],
    }
    describe_payload(payload)
    return payload, [subject_id, *(m["person"]["id"] for m in payload["members"])]


def _full_name(person: dict[str, Any]) -> str:
    return " ".join(p for p in (person["given_name"], person["family_name"]) if p)


def person_network_payload(
    person_id: uuid.UUID | str, *, depth: int, now: datetime | None = None
) -> tuple[dict[str, Any], list[str]] | None:
    """The linked picture of a person as the API returns it, with the ids of everyone it discloses;
    None if there is no such person. One statement on PostgreSQL; the ORM path elsewhere."""
    if connection.vendor == "postgresql":
        return person_network_json(person_id, depth=depth, now=now)
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return None
    network = person_network(person, depth=depth, now=now)
    return network_payload(network), [str(pk) for pk in network.person_ids]
