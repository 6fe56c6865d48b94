"""The one write path for people, addresses, residences and relationships."""

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ooh.accounts.models import Agency, Membership, User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict

from .models import (
    UK_POSTCODE,
    Address,
    Person,
    PersonIdentifier,
    PersonStatus,
    Relationship,
    Residence,
    normalise_postcode,
)

# An identifier as given: {"scheme": ..., "value": ...}.
Identifier = Mapping[str, str]
PERSON_FIELDS = ("given_name", "family_name", "aliases", "date_of_birth", "expected_date", "status", "sex")


def _check_person(person: Person) -> None:
    if person.status == PersonStatus.UNBORN:
        if person.date_of_birth is not None:
            raise ValidationError(
                {"date_of_birth": "An unborn person has no date of birth; give expected_date."}
            )
        if person.expected_date is None:
            raise ValidationError({"expected_date": "An unborn person needs an expected_date."})
    elif person.date_of_birth and person.date_of_birth > timezone.localdate():
        raise ValidationError({"date_of_birth": "A date of birth cannot be in the future."})


def _check_identifiers(identifiers: Iterable[Identifier], person: Person | None = None) -> None:
    seen: set[tuple[str, str]] = set()
    for index, identifier in enumerate(identifiers):
        key = (identifier["scheme"], identifier["value"])
        if key in seen:
            raise ValidationError({f"identifiers.{index}.value": "Given twice."})
        seen.add(key)
        clash = PersonIdentifier.objects.filter(scheme=key[0], value=key[1])
        if person is not None:
            clash = clash.exclude(person=person)
        if clash.exists():
            raise ValidationError(
                {f"identifiers.{index}.value": f"{key[0]} {key[1]} already belongs to another person."}
            )


def _agency_of(actor: User) -> Agency | None:
    membership: Membership | None = getattr(actor, "membership", None)
    return membership.agency if membership is not None else None


def _set_current_address(person: Person, address: Address | None) -> None:
    current = Residence.objects.filter(person=person, current=True).first()
    if current is not None and address is not None and current.address_id == address.pk:
        return
    if current is not None:
        Residence.objects.filter(pk=current.pk).update(current=False, until=timezone.localdate())
    if address is not None:
        Residence.objects.create(person=person, address=address, current=True, since=timezone.localdate())


@transaction.atomic
def create_person(
    *,
    actor: User,
    identifiers: Sequence[Identifier] = (),
    current_address: Address | None = None,
    external_id: str | None = None,
    **fields: Any,  # the person's own fields (PERSON_FIELDS), as the serializer or the import read them
) -> Person:
    """Record a person (or an unborn child) with their identifiers and current address."""
    person = Person(
        created_by=actor,
        recorded_by_agency=_agency_of(actor),
        external_id=external_id,
        **{k: fields[k] for k in fields if k in PERSON_FIELDS},
    )
    _check_person(person)
    _check_identifiers(identifiers)
    person.refresh_search_text()
    person.save()
    PersonIdentifier.objects.bulk_create(
        [PersonIdentifier(person=person, scheme=i["scheme"], value=i["value"]) for i in identifiers]
    )
    _set_current_address(person, current_address)
    record_access(
        action=AccessAction.CREATE,
        object_type="person",
        object_ids=[person.pk],
        person_ids=[person.pk],
        actor=actor,
    )
    return person


class _Unset(Enum):
    """No current address given: the one on record stays (None would end it)."""

    UNSET = "unset"


_UNSET = _Unset.UNSET


@transaction.atomic
def update_person(
    *,
    actor: User,
    person: Person,
    identifiers: Sequence[Identifier] | None = None,
    current_address: Address | _Unset | None = _UNSET,
    **fields: Any,  # as for create_person
) -> Person:
    """Change a person's details; an unborn child who is born becomes `living` with a date of birth (as
    the importer syncs a source system's record; a professional records a birth through
    ooh/referrals/birth.py, which tells the people the birth plan was written for)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    for name, value in fields.items():
        if name in PERSON_FIELDS:
            setattr(person, name, value)
    born_now = fields.get("status") == PersonStatus.LIVING and person.expected_date is not None
    if born_now and person.date_of_birth is None:
        raise ValidationError({"date_of_birth": "Give the date of birth of a child who has been born."})
    _check_person(person)
    if identifiers is not None:
        _check_identifiers(identifiers, person=person)
        person.identifiers.all().delete()
        PersonIdentifier.objects.bulk_create(
            [PersonIdentifier(person=person, scheme=i["scheme"], value=i["value"]) for i in identifiers]
        )
    person.refresh_search_text()
    person.save()
    if current_address is not _UNSET:
        _set_current_address(person, current_address)
    record_access(
        action=AccessAction.UPDATE,
        object_type="person",
        object_ids=[person.pk],
        person_ids=[person.pk],
        actor=actor,
        detail={"fields": sorted(fields)},
    )
    return person


@transaction.atomic
def create_address(
    *,
    actor: User,
    line1: str,
    postcode: str,
    line2: str = "",
    town: str = "",
    uprn: int | None = None,
    external_id: str | None = None,
) -> Address:
    """Record an address; the postcode is stored upper case with one space."""
    if uprn is not None and Address.objects.filter(uprn=uprn).exists():
        raise ValidationError({"uprn": f"UPRN {uprn} is already recorded."})
    address = Address(
        line1=line1.strip(),
        line2=line2.strip(),
        town=town.strip(),
        postcode=normalise_postcode(postcode),
        uprn=uprn,
        created_by=actor,
        recorded_by_agency=_agency_of(actor),
        external_id=external_id,
    )
    if not re.match(UK_POSTCODE, address.postcode):
        raise ValidationError({"postcode": "Enter a UK postcode, e.g. 'NE1 4ST'."})
    address.refresh_search_text()
    address.save()
    record_access(action=AccessAction.CREATE, object_type="address", object_ids=[address.pk], actor=actor)
    return address


@transaction.atomic
def link_people(
    *, actor: User, from_person: Person, to_person: Person, kind: str, external_id: str | None = None
) -> Relationship:
    """Link two people: `from_person` is `kind` `to_person` (Kerry mother_of the unborn child)."""
    if from_person.pk == to_person.pk:
        raise ValidationError({"to_person": "A person cannot be linked to themselves."})
    if (
        Relationship.objects.current()
        .filter(from_person=from_person, to_person=to_person, kind=kind)
        .exists()
    ):
        raise ValidationError({"kind": "These two people are already linked this way."})
    try:
        with transaction.atomic():
            relationship = Relationship.objects.create(
                from_person=from_person,
                to_person=to_person,
                kind=kind,
                created_by=actor,
                external_id=external_id,
            )
    except IntegrityError as exc:  # a concurrent duplicate
        raise ValidationError({"kind": "These two people are already linked this way."}) from exc
    record_access(
        action=AccessAction.CREATE,
        object_type="relationship",
        object_ids=[relationship.pk],
        person_ids=[from_person.pk, to_person.pk],
        actor=actor,
    )
    return relationship


@transaction.atomic
def end_link(
    *, actor: User, relationship: Relationship, reason: str, now: datetime | None = None
) -> Relationship:
    """End a link (recorded in error, or no longer true): it leaves the picture and stays as history."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Say why the link is ended (at least 10 characters)."})
    relationship = Relationship.objects.select_for_update().get(pk=relationship.pk)
    if relationship.ended_at is not None:
        raise Conflict("This link has already been ended.", code="link_ended")
    relationship.ended_at, relationship.ended_by, relationship.end_reason = (
        now or timezone.now(),
        actor,
        reason[:1000],
    )
    relationship.save(update_fields=["ended_at", "ended_by", "end_reason"])
    record_access(
        action=AccessAction.REVOKE,
        object_type="relationship",
        object_ids=[relationship.pk],
        person_ids=[relationship.from_person_id, relationship.to_person_id],
        actor=actor,
        reason=reason[:500],
        detail={"kind": relationship.kind},
    )
    return relationship


@transaction.atomic
def update_address(
    *,
    actor: User,
    address: Address,
    line1: str,
    postcode: str,
    line2: str = "",
    town: str = "",
    uprn: int | None = None,
) -> bool:
    """Correct an address; returns whether anything changed."""
    postcode = normalise_postcode(postcode)
    values = {
        "line1": line1.strip(),
        "line2": line2.strip(),
        "town": town.strip(),
        "postcode": postcode,
        "uprn": uprn,
    }
    if not re.match(UK_POSTCODE, postcode):
        raise ValidationError({"postcode": "Enter a UK postcode, e.g. 'NE1 4ST'."})
    if uprn is not None and Address.objects.filter(uprn=uprn).exclude(pk=address.pk).exists():
        raise ValidationError({"uprn": f"UPRN {uprn} is already recorded."})
    if all(getattr(address, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(address, name, value)
    address.refresh_search_text()
    address.save()
    record_access(action=AccessAction.UPDATE, object_type="address", object_ids=[address.pk], actor=actor)
    return True
