"""The linked picture as JSON: plain dicts built in one pass (the network is read on every call at 3 a.m.;
DRF field machinery would cost more than the queries). NetworkSerializer documents the same shape."""

from ooh.people.models import Address, Person
from ooh.people.network import Network


def _iso(value):
    return value.isoformat() if value is not None else None


def iso_datetime(value):
    """'2026-11-24T01:02:03.000450Z' (no fraction when it is zero); network_sql.iso_utc matches it."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def person_dict(person: Person, identifiers) -> dict:
    return {
        "id": str(person.pk),
        "given_name": person.given_name,
        "family_name": person.family_name,
        "aliases": list(person.aliases),
        "date_of_birth": _iso(person.date_of_birth),
        "expected_date": _iso(person.expected_date),
        "status": person.status,
        "sex": person.sex,
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in identifiers],
    }


def address_dict(address: Address) -> dict:
    return {
        "id": str(address.pk),
        "line1": address.line1,
        "line2": address.line2,
        "town": address.town,
        "postcode": address.postcode,
        "uprn": address.uprn,
        "created_at": iso_datetime(address.created_at),
    }


def flag_dict(flag, now) -> dict:
    agency, owner = flag.source_agency, flag.owner
    return {
        "id": str(flag.pk),
        "subject_person": str(flag.subject_person_id) if flag.subject_person_id else None,
        "subject_address": str(flag.subject_address_id) if flag.subject_address_id else None,
        "category": flag.category,
        "group": flag.group,
        "severity": flag.severity,
        "summary": flag.summary,
        "handling_instructions": flag.handling_instructions,
        "source_agency": {
            "id": str(agency.pk),
            "code": agency.code,
            "name": agency.name,
            "kind": agency.kind,
        },
        "owner": {"id": str(owner.pk), "username": owner.username, "display_name": owner.display_name},
        "valid_from": iso_datetime(flag.valid_from),
        "valid_until": iso_datetime(flag.valid_until),
        "review_by": _iso(flag.review_by),
        "status": flag.effective_status(now),
        "version": flag.version,
        "created_at": iso_datetime(flag.created_at),
    }


def network_payload(network: Network) -> dict:
    subject = network.subject
    ids = network.identifiers
    is_person = isinstance(subject, Person)
    return {
        "subject": person_dict(subject, ids.get(subject.pk, ())) if is_person else address_dict(subject),
        "subject_type": "person" if is_person else "address",
        "generated_at": iso_datetime(network.generated_at),
        "highest_severity": network.highest_severity,
        "members": [
            {
                "person": person_dict(m.person, ids.get(m.person.pk, ())),
                "relation": m.relation,
                "path": [str(p) for p in m.path],
                "distance": m.distance,
            }
            for m in network.members
        ],
        "addresses": [
            {"address": address_dict(a), "residents": [str(r) for r in residents]}
            for a, residents in network.addresses
        ],
        "flags": [flag_dict(f, network.generated_at) for f in network.flags],
        "birth_plans": list(network.birth_plans),
    }
