"""Telling the open incidents a change touches: a flag raised or revoked, a birth plan put in force,
changed or closed for someone in an incident's picture reaches its phones as an event on that incident.

An incident's picture is its subjects and everyone one link from them, and where those people live
(ooh/picture). So a change about a person touches the open incidents with a subject within one link of
them; a change about an address touches those with a subject within one link of someone living there,
and the incidents at that address.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db.models import Q

from ooh.accounts.models import User
from ooh.flags.models import Flag
from ooh.people.links import linked_ids
from ooh.people.models import Residence
from ooh.plans.models import BirthPlan
from ooh.plans.queries import with_summary
from ooh.shapes import flag_row, plan_summary_row

from .events import append_event
from .models import Incident, IncidentStatus


def open_incidents_touching(
    person_ids: Iterable[uuid.UUID] = (), address_ids: Iterable[uuid.UUID] = ()
) -> list[uuid.UUID]:
    """Ids of the open incidents whose picture holds any of these people or addresses (3-4 queries)."""
    address_ids = list(address_ids)
    people = set(person_ids)
    if address_ids:
        people |= set(
            Residence.objects.filter(address_id__in=address_ids, current=True).values_list(
                "person_id", flat=True
            )
        )
    near = linked_ids(people, depth=1) if people else []
    if not near and not address_ids:
        return []
    return list(
        Incident.objects.filter(status=IncidentStatus.OPEN)
        .filter(Q(subjects__person_id__in=near) | Q(address_id__in=address_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def announce(
    *,
    type: str,
    actor: User | None,
    at: datetime,
    data: Mapping[str, object],
    person_ids: Iterable[uuid.UUID] = (),
    address_ids: Iterable[uuid.UUID] = (),
) -> int:
    """Append the event to every open incident the change touches, locked in id order (so two changes
    never wait on each other's incidents crosswise). Returns how many incidents were told."""
    ids = open_incidents_touching(person_ids, address_ids)
    for incident in Incident.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        append_event(incident=incident, type=type, actor=actor, at=at, data=data)
    return len(ids)


def on_flag_changed(
    sender: type[Flag], *, flag: Flag, change: str, actor: User, at: datetime, **kwargs: object
) -> None:
    """flag.added or flag.revoked on every open incident whose picture holds the flag's subject."""
    flag = Flag.objects.select_related("source_agency", "owner").get(pk=flag.pk)
    announce(
        type=f"flag.{change}",
        actor=actor,
        at=at,
        data=flag_row(flag, at),
        person_ids=[flag.subject_person_id] if flag.subject_person_id else [],
        address_ids=[flag.subject_address_id] if flag.subject_address_id else [],
    )


def on_plan_in_force_changed(
    sender: type[BirthPlan], *, plan: BirthPlan, change: str, actor: User, at: datetime, **kwargs: object
) -> None:
    """birth_plan.updated on every open incident whose picture holds the mother or the child: their
    phones read the new version (or that none is in force) tonight, not tomorrow."""
    plan = with_summary(BirthPlan.objects.all()).get(pk=plan.pk)
    announce(
        type="birth_plan.updated",
        actor=actor,
        at=at,
        data={"change": change, "plan": plan_summary_row(plan)},
        person_ids=[plan.mother_id, plan.unborn_child_id],
    )
