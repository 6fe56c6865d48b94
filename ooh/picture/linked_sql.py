"""The linked picture of a person in ONE PostgreSQL statement that returns the payload's parts as JSON.

This is the API's hot path (a call handler opens it on every call at 3 a.m.): PostgreSQL walks the two
hops, reads the people, identifiers, current addresses, flags in force with their agency and owner, and
every registered extension (birth plans) and renders them as JSON in the shapes of payload.py. Python
then does only what must match the ORM path exactly: the breadth-first walk that chooses each member's
path, the human relation labels and the ordering of members.

The ORM path (network.py + payload.py) stays the reference: it serves SQLite, address networks and the
incident snapshot, and tests/people/test_network_sql.py proves both give the same payload on PostgreSQL.
"""

from functools import cache

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.utils import timezone

from ooh.accounts.models import Agency, User
from ooh.flags.models import SEVERITY_RANK, Flag, FlagGroup

from .models import Address, Person, PersonIdentifier, Relationship, Residence
from .network import describe_subject, path_to, person_network, relation_label, walk
from .payload import iso_datetime, network_payload

# Extensions add a key to the payload: {key: SQL expression over the CTE `reached(id)`} (birth plans).
network_sql_extensions = {}


def iso_utc(expr: str) -> str:
    """SQL rendering a timestamptz exactly as payload.iso_datetime does ('...T01:02:03.000450Z', or
    without a fraction when it is zero, as Python's isoformat)."""
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL "
        f"WHEN extract(microseconds FROM {expr})::bigint %% 1000000 = 0 "
        f"""THEN to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') """
        f"""ELSE to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END"""
    )


def agency_json(alias: str) -> str:
    return f"json_build_object('id', {alias}.id, 'code', {alias}.code, 'name', {alias}.name, 'kind', {alias}.kind)"


def user_json(alias: str) -> str:
    return f"json_build_object('id', {alias}.id, 'username', {alias}.username, 'display_name', {alias}.display_name)"


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
def statement(depth: int, extensions: tuple) -> str:
    person, identifier = Person._meta.db_table, PersonIdentifier._meta.db_table
    residence, address = Residence._meta.db_table, Address._meta.db_table
    flag, agency, user = Flag._meta.db_table, Agency._meta.db_table, User._meta.db_table
    in_force = "f.status = 'active' AND f.valid_from <= %(now)s AND (f.valid_until IS NULL OR f.valid_until > %(now)s)"
    rank = " ".join(f"WHEN '{severity}' THEN {n}" for severity, n in SEVERITY_RANK.items())
    extra = "".join(f", '{key}', {network_sql_extensions[key]}" for key in extensions)
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
            SELECT json_agg(json_build_object(
                'id', p.id, 'given_name', p.given_name, 'family_name', p.family_name, 'aliases', p.aliases,
                'date_of_birth', p.date_of_birth, 'expected_date', p.expected_date, 'status', p.status,
                'sex', p.sex,
                'identifiers', (
                    SELECT coalesce(json_agg(json_build_object('scheme', i.scheme, 'value', i.value)
                                             ORDER BY i.scheme, i.value), '[]')
                    FROM {identifier} i WHERE i.person_id = p.id
                )
            ))
            FROM {person} p JOIN reached ON p.id = reached.id
        ),
        'addresses', (
            SELECT coalesce(json_agg(json_build_object(
                'address', json_build_object(
                    'id', a.id, 'line1', a.line1, 'line2', a.line2, 'town', a.town, 'postcode', a.postcode,
                    'uprn', a.uprn, 'created_at', {iso_utc("a.created_at")}
                ),
                'residents', h.residents
            ) ORDER BY h.first), '[]')
            FROM (
                SELECT address_id, min(rid) AS first, json_agg(person_id ORDER BY rid) AS residents
                FROM homes GROUP BY address_id
            ) h JOIN {address} a ON a.id = h.address_id
        ),
        'flags', (
            SELECT coalesce(json_agg(json_build_object(
                'id', f.id, 'subject_person', f.subject_person_id, 'subject_address', f.subject_address_id,
                'category', f.category, 'group', f."group", 'severity', f.severity, 'summary', f.summary,
                'handling_instructions', f.handling_instructions,
                'source_agency', {agency_json("ag")}, 'owner', {user_json("u")},
                'valid_from', {iso_utc("f.valid_from")}, 'valid_until', {iso_utc("f.valid_until")},
                'review_by', f.review_by, 'status', 'active', 'version', f.version,
                'created_at', {iso_utc("f.created_at")}
            ) ORDER BY (f."group" <> '{FlagGroup.OFFICER_SAFETY}'), (CASE f.severity {rank} END) DESC,
                       f.created_at DESC, f.id), '[]')
            FROM flags f JOIN {agency} ag ON ag.id = f.source_agency_id JOIN {user} u ON u.id = f.owner_id
        ){extra}
    )
    FROM subject
    """


def _server_binding_cursor():
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


def person_network_json(person_id, *, depth: int, now=None) -> tuple[dict, list] | None:
    """(payload, ids of every person disclosed) for a person's linked picture, or None if no such person.

    One statement; the payload equals network_payload(person_network(person, depth=depth, now=now)).
    """
    now = now or timezone.now()
    extensions = tuple(sorted(network_sql_extensions))
    with _server_binding_cursor() as cursor:
        cursor.execute(statement(depth, extensions), {"subject": person_id, "now": now})
        row = cursor.fetchone()
    if row is None:
        return None
    parts = row[0]
    subject_id = str(person_id)
    people = {p["id"]: p for p in parts["people"]}
    edges = [tuple(edge) for edge in parts["edges"]]

    def touching(frontier):
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
        "birth_plans": parts.get("birth_plans", []),
    }
    return payload, [subject_id, *(m["person"]["id"] for m in payload["members"])]


def _full_name(person: dict) -> str:
    return " ".join(p for p in (person["given_name"], person["family_name"]) if p)


def person_network_payload(person_id, *, depth: int, now=None) -> tuple[dict, list] | None:
    """The linked picture of a person as the API returns it, with the ids of everyone it discloses;
    None if there is no such person. One statement on PostgreSQL; the ORM path elsewhere."""
    if connection.vendor == "postgresql":
        return person_network_json(person_id, depth=depth, now=now)
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return None
    network = person_network(person, depth=depth, now=now)
    return network_payload(network), [str(pk) for pk in network.person_ids]
