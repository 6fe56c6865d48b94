"""The linked picture as the API returns it: plain dicts built in one pass from ooh/shapes.py (the
picture is read on every call at 3 a.m.; DRF field machinery would cost more than the queries).
api/serializers/people.NetworkSerializer documents the same shape for the schema."""

from typing import Any

from ooh.people.models import Person
from ooh.shapes import address_row, flag_row, iso_datetime, person_row

from .described import describe_payload
from .linked import Network


def members_payload(network: Network) -> list[dict[str, Any]]:
    ids = network.identifiers
    return [
        {
            "person": person_row(m.person, ids.get(m.person.pk, ())),
            "relation": m.relation,
            "path": [str(p) for p in m.path],
            "distance": m.distance,
        }
        for m in network.members
    ]


def addresses_payload(network: Network) -> list[dict[str, Any]]:
    return [
        {"address": address_row(a), "residents": [str(r) for r in residents]}
        for a, residents in network.addresses
    ]


def network_payload(network: Network) -> dict[str, Any]:
    """The picture as the API returns it, its flags labelled and its plans described (described.py)."""
    subject = network.subject
    is_person = isinstance(subject, Person)
    payload = {
        "subject": person_row(subject, network.identifiers.get(subject.pk, ()))
        if isinstance(subject, Person)
        else address_row(subject),
        "subject_type": "person" if is_person else "address",
        "generated_at": iso_datetime(network.generated_at),
        "highest_severity": network.highest_severity,
        "members": members_payload(network),
        "addresses": addresses_payload(network),
        "flags": [flag_row(f, network.generated_at) for f in network.flags],
        "birth_plans": list(network.birth_plans),
    }
    describe_payload(payload)
    return payload
