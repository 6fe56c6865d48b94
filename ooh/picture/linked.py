"""The linked picture: who is linked to this person or address, and every flag that matters about them.

Its cost grows with the family, never with the database: a fixed number of indexed queries
(edges per hop, people, identifiers, current addresses, flags, birth plans), whatever the family's size.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db.models import Q
from django.utils import timezone

from ooh.flags.models import SEVERITY_RANK, Flag, flag_sort_key
from ooh.people.links import Edge, Id, Reached, walk
from ooh.people.models import Address, Person, PersonIdentifier, PersonStatus, Residence

from .plans import plans_in_picture

# How `from_person` reads from its own side (Dean father_of the baby: Dean is "father").
ROLE_FORWARD = {
    "mother_of": "mother",
    "father_of": "father",
    "parent_of": "parent",
    "partner_of": "partner",
    "ex_partner_of": "ex-partner",
    "sibling_of": "sibling",
    "household_member_of": "household member",
    "carer_of": "carer",
    "associate_of": "associate",
}
# How `to_person` reads (Kerry mother_of the baby: the baby is Kerry's "child").
ROLE_INVERSE = {
    "mother_of": "child",
    "father_of": "child",
    "parent_of": "child",
    "partner_of": "partner",
    "ex_partner_of": "ex-partner",
    "sibling_of": "sibling",
    "household_member_of": "household member",
    "carer_of": "person cared for",
    "associate_of": "associate",
}


def role_of(person: Person, edge_from_id: uuid.UUID, kind: str) -> str:
    """What `person` is to the other end of an edge, read from `person`'s side."""
    return role(person.pk == edge_from_id, kind, person.status)


def role(is_from: bool, kind: str, status: str) -> str:
    """'father' (Dean father_of the baby, from Dean's side); 'unborn child' from the baby's side."""
    if is_from:
        return ROLE_FORWARD[kind]
    inverse = ROLE_INVERSE[kind]
    return f"unborn {inverse}" if inverse == "child" and status == PersonStatus.UNBORN else inverse


def describe(person: Person) -> str:
    return describe_subject(person.status, person.full_name)


def describe_subject(status: str, full_name: str) -> str:
    return "the unborn child" if status == PersonStatus.UNBORN else full_name


@dataclass
class Member:
    person: Person
    relation: str
    path: list[uuid.UUID]
    distance: int


@dataclass
class Network:
    subject: Person | Address | list[Person]
    generated_at: datetime
    members: list[Member] = field(default_factory=list)
    addresses: list[tuple[Address, list[uuid.UUID]]] = field(default_factory=list)  # with resident ids
    flags: list[Flag] = field(default_factory=list)
    birth_plans: list[dict[str, Any]] = field(default_factory=list)
    identifiers: dict[uuid.UUID, list[PersonIdentifier]] = field(default_factory=dict)  # by person id
    edges: list[Edge[uuid.UUID]] = field(default_factory=list)  # among the people shown

    @property
    def subjects(self) -> list[Person]:
        if isinstance(self.subject, list):
            return self.subject
        return [self.subject] if isinstance(self.subject, Person) else []

    @property
    def person_ids(self) -> list[uuid.UUID]:
        return [p.pk for p in self.subjects] + [m.person.pk for m in self.members]

    @property
    def highest_severity(self) -> str | None:
        return max((f.severity for f in self.flags), key=SEVERITY_RANK.__getitem__, default=None)


def _finish(network: Network, people: Mapping[uuid.UUID, Person], now: datetime) -> Network:
    """Current addresses, identifiers, flags and birth plans for the subject and members (7 queries)."""
    person_ids = list(people)
    residences = (
        Residence.objects.filter(person_id__in=person_ids, current=True)
        .select_related("address")
        .order_by("id")
    )
    residents: defaultdict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    addresses: dict[uuid.UUID, Address] = {}
    if isinstance(network.subject, Address):
        addresses[network.subject.pk] = network.subject
    for residence in residences:
        addresses.setdefault(residence.address_id, residence.address)
        residents[residence.address_id].append(residence.person_id)
    network.addresses = [(address, residents[address.pk]) for address in addresses.values()]
    for identifier in PersonIdentifier.objects.filter(person_id__in=person_ids).order_by("scheme", "value"):
        network.identifiers.setdefault(identifier.person_id, []).append(identifier)
    flags = (
        Flag.objects.in_force(now)
        .filter(Q(subject_person_id__in=person_ids) | Q(subject_address_id__in=list(addresses)))
        .select_related("source_agency", "owner")
        .only(
            *(f.name for f in Flag._meta.concrete_fields if f.name not in ("source_agency", "owner")),
            "source_agency__id",
            "source_agency__code",
            "source_agency__name",
            "source_agency__kind",
            "owner__id",
            "owner__username",
            "owner__display_name",
        )
    )
    network.flags = sorted(flags, key=flag_sort_key)
    network.birth_plans = plans_in_picture(person_ids)
    return network


def person_network(person: Person, *, depth: int = 1, now: datetime | None = None) -> Network:
    """The linked picture of a person: family and associates within `depth` (1 or 2) hops."""
    return _people_network([person], subject=person, depth=depth, now=now)


def subjects_network(persons: Iterable[Person], *, depth: int = 1, now: datetime | None = None) -> Network:
    """The linked picture of several people at once (an incident's subjects): each member is labelled
    from the subject it is nearest to, so a father who is not a named subject still shows."""
    return _people_network(list(persons), subject=list(persons), depth=depth, now=now)


def _people_network(
    persons: list[Person], *, subject: Person | list[Person], depth: int, now: datetime | None
) -> Network:
    now = now or timezone.now()
    edges: set[Edge[uuid.UUID]] = set()
    reached = walk([p.pk for p in persons], depth, seen_edges=edges)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[pid for pid, via in reached.items() if via])}
    people.update({p.pk: p for p in persons})
    network = Network(subject=subject, generated_at=now)
    network.edges = [e for e in edges if e[0] in reached and e[1] in reached]
    for pid, via in reached.items():
        if via is None or pid not in people:
            continue
        path = path_to(pid, reached)
        network.members.append(
            Member(
                person=people[pid],
                relation=relation_label(path, reached, lambda p: people[p].status, describe(people[path[0]])),
                path=path,
                distance=len(path) - 1,
            )
        )
    network.members.sort(key=lambda m: (m.distance, m.person.family_name, m.person.given_name))
    return _finish(network, people, now)


def path_to(pid: Id, reached: Reached[Id]) -> list[Id]:
    """[subject id, ..., pid]: how the walk reached this person."""
    path = [pid]
    step = reached[pid]
    while step is not None:
        path.append(step[0])
        step = reached[step[0]]
    path.reverse()
    return path


def relation_label(path: list[Id], reached: Reached[Id], status_of: Callable[[Id], str], subject: str) -> str:
    """'father of the unborn child'; 'partner of the mother of the unborn child' at distance 2.

    `status_of(person id)` gives a person's status; `subject` is how the subject reads (describe()).
    """
    roles = []
    for pid in reversed(path[1:]):
        # Everyone after the subject on a path was reached from someone: never None here.
        _via, (edge_from, _to, kind) = cast(tuple[Id, Edge[Id]], reached[pid])
        roles.append(role(pid == edge_from, kind, status_of(pid)))
    return " of the ".join(roles) + f" of {subject}"


def address_network(address: Address, *, now: datetime | None = None) -> Network:
    """The linked picture of an address: its current residents and the people linked to each of them."""
    now = now or timezone.now()
    resident_ids = list(
        Residence.objects.filter(address=address, current=True)
        .order_by("created_at")
        .values_list("person_id", flat=True)
    )
    edges: set[Edge[uuid.UUID]] = set()
    reached = walk(resident_ids, 1, seen_edges=edges)
    people = {p.pk: p for p in Person.objects.filter(pk__in=list(reached))}
    network = Network(subject=address, generated_at=now)
    network.edges = [e for e in edges if e[0] in reached and e[1] in reached]
    for pid, via in reached.items():
        if pid not in people:
            continue
        if via is None:
            network.members.append(
                Member(person=people[pid], relation="lives at this address", path=[pid], distance=0)
            )
        else:
            resident = people[via[0]]
            role = role_of(people[pid], via[1][0], via[1][2])
            network.members.append(
                Member(
                    person=people[pid],
                    relation=f"{role} of {resident.full_name}, who lives here",
                    path=[via[0], pid],
                    distance=1,
                )
            )
    network.members.sort(key=lambda m: (m.distance, m.person.family_name, m.person.given_name))
    return _finish(network, people, now)
