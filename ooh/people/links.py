"""Who is linked to whom: the walk over current relationships that the linked picture, the escalation
rules and opening an incident all share. Labels and shapes are the read model's (ooh/picture)."""

import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from django.db.models import Q

from .models import Relationship, Residence

# A person id: a UUID from the ORM, or its string where PostgreSQL's JSON gave it (picture/linked_sql.py).
Id = TypeVar("Id", uuid.UUID, str)
Edge = tuple[Id, Id, str]  # (from person id, to person id, kind)
# {person id: (reached from id, edge) | None for a starting person}
Reached = dict[Id, tuple[Id, Edge[Id]] | None]


def edges_touching(person_ids: Iterable[uuid.UUID]) -> list[Edge[uuid.UUID]]:
    """One query: every current relationship with either end in person_ids, oldest first (stable paths)."""
    ids = list(person_ids)
    return list(
        Relationship.objects.current()
        .filter(Q(from_person_id__in=ids) | Q(to_person_id__in=ids))
        .order_by("created_at", "id")
        .values_list("from_person_id", "to_person_id", "kind")
    )


@overload
def walk(
    start_ids: Iterable[uuid.UUID], depth: int, *, seen_edges: set[Edge[uuid.UUID]] | None = None
) -> Reached[uuid.UUID]: ...
@overload
def walk(
    start_ids: Iterable[Id],
    depth: int,
    touching: Callable[[list[Id]], Iterable[Edge[Id]]],
    seen_edges: set[Edge[Id]] | None = None,
) -> Reached[Id]: ...
def walk(
    start_ids: Iterable[Any],
    depth: int,
    touching: Callable[[list[Any]], Iterable[Edge[Any]]] = edges_touching,
    seen_edges: set[Edge[Any]] | None = None,
) -> Reached[Any]:
    """Breadth-first over relationships: {person id: (reached from id, edge) | None} within `depth` hops.

    `touching(ids)` gives every (from id, to id, kind) with either end in ids, oldest first: the ORM
    path queries them hop by hop, the PostgreSQL path filters the ones its one statement read.
    """
    reached: Reached[Any] = dict.fromkeys(start_ids)
    frontier = list(reached)
    for _ in range(depth):
        if not frontier:
            break
        in_frontier = set(frontier)
        next_frontier: list[Any] = []
        for edge in touching(frontier):
            if seen_edges is not None:
                seen_edges.add(edge)
            from_id, to_id, _kind = edge
            for here, there in ((from_id, to_id), (to_id, from_id)):
                if here in in_frontier and there not in reached:
                    reached[there] = (here, edge)
                    next_frontier.append(there)
        frontier = next_frontier
    return reached


def linked_ids(person_ids: Iterable[uuid.UUID], depth: int = 1) -> list[uuid.UUID]:
    """These people and everyone linked to them within `depth` hops (`depth` queries)."""
    return list(walk(list(person_ids), depth))


def current_address_ids(person_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Where these people live now (one query)."""
    return list(
        Residence.objects.filter(person_id__in=list(person_ids), current=True)
        .values_list("address_id", flat=True)
        .distinct()
    )
