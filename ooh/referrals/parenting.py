"""Parental vulnerability: a learning disability or a mental health need recorded on a parent of an
unborn baby calls for specialist advice on parenting capacity (the Baby A review).

The birth plan, the pre-birth milestones and the incident picture (ooh/picture/guidance.py) say it in
the same words, naming each parent and the need in plain words, never a category's code.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.utils import timezone

from ooh.flags.models import Flag, FlagCategory
from ooh.people.models import Person, Relationship
from ooh.plans.models import BirthPlan, PlanStatus

# The flags that call for the advice, and the links that make someone a parent.
VULNERABILITIES = (FlagCategory.LEARNING_DISABILITY, FlagCategory.MENTAL_HEALTH)
PARENT_KINDS = ("mother_of", "father_of", "parent_of")


def advice_line(needs: Iterable[tuple[str, str]]) -> str:
    """'Seek specialist advice on parenting capacity: Kyle Ash (learning disability).' from (name,
    category) pairs; '' when there are none."""
    named = sorted({f"{name} ({FlagCategory(category).label.lower()})" for name, category in needs})
    return f"Seek specialist advice on parenting capacity: {', '.join(named)}." if named else ""


def _parents_of(
    ids: list[uuid.UUID], mothers: Mapping[uuid.UUID, uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """{baby id: its parents' ids}: current parent links, the mother of any plan not closed, and the
    mothers given (2 queries)."""
    parents: dict[uuid.UUID, set[uuid.UUID]] = {pk: set() for pk in ids}
    for baby, mother in mothers.items():
        parents[baby].add(mother)
    for parent, child in (
        Relationship.objects.current()
        .filter(to_person_id__in=ids, kind__in=PARENT_KINDS)
        .values_list("from_person_id", "to_person_id")
    ):
        parents[child].add(parent)
    for mother, child in (
        BirthPlan.objects.filter(unborn_child_id__in=ids)
        .exclude(status=PlanStatus.CLOSED)
        .values_list("mother_id", "unborn_child_id")
    ):
        parents[child].add(mother)
    return parents


def parenting_capacity_advice_for(
    baby_ids: Iterable[uuid.UUID],
    *,
    mothers: Mapping[uuid.UUID, uuid.UUID] | None = None,
    now: datetime | None = None,
) -> dict[uuid.UUID, list[str]]:
    """{baby id: the advice lines} for many babies at once (3 queries however many)."""
    ids = list(dict.fromkeys(baby_ids))
    if not ids:
        return {}
    parents = _parents_of(ids, mothers or {})
    everyone = set().union(*parents.values())
    needs: dict[uuid.UUID, list[tuple[str, str]]] = {}
    if everyone:
        for flag in (
            Flag.objects.in_force(now or timezone.now())
            .filter(subject_person_id__in=everyone, category__in=VULNERABILITIES)
            .select_related("subject_person")
        ):
            person = flag.subject_person
            if person is not None:
                needs.setdefault(person.pk, []).append((person.full_name, flag.category))
    return {pk: _lines(parents[pk], needs) for pk in ids}


def _lines(parents: set[uuid.UUID], needs: Mapping[uuid.UUID, list[tuple[str, str]]]) -> list[str]:
    line = advice_line(need for parent in parents for need in needs.get(parent, ()))
    return [line] if line else []


def parenting_capacity_advice(baby: Person, *, now: datetime | None = None) -> list[str]:
    """The advice for one unborn baby: a learning disability or mental health flag in force on a parent
    (linked as mother, father or parent, or the mother of its plan) -> one line naming each."""
    return parenting_capacity_advice_for([baby.pk], now=now)[baby.pk]


def advice_by_plan(plans: Iterable[BirthPlan], *, now: datetime | None = None) -> dict[uuid.UUID, list[str]]:
    """{plan id: the advice for its baby, the plan's mother counted}: a list of plans in 3 queries."""
    plans = list(plans)
    advice = parenting_capacity_advice_for(
        [plan.unborn_child_id for plan in plans],
        mothers={plan.unborn_child_id: plan.mother_id for plan in plans},
        now=now,
    )
    return {plan.pk: advice.get(plan.unborn_child_id, []) for plan in plans}
