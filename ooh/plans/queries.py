"""Which plans are in force for a family, and which agencies they give a stake in a night."""

import uuid
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .models import BirthPlan, KeyContact, PlanShare, PlanStatus


def _in_force_for(person_ids: Iterable[uuid.UUID]) -> QuerySet[BirthPlan]:
    """The plans in force where any of these people is the mother or the child."""
    ids = list(person_ids)
    return BirthPlan.objects.filter(
        Q(mother_id__in=ids) | Q(unborn_child_id__in=ids), status=PlanStatus.ACTIVE
    )


def active_plans_for(person_ids: Iterable[uuid.UUID]) -> QuerySet[BirthPlan]:
    """The plans in force for these people, with lead and contacts (3 queries when read)."""
    return (
        _in_force_for(person_ids)
        .select_related("lead_professional")
        .prefetch_related(Prefetch("key_contacts", queryset=KeyContact.objects.select_related("agency")))
        .order_by("expected_date", "created_at", "id")
    )


def with_summary(plans: QuerySet[BirthPlan]) -> QuerySet[BirthPlan]:
    """What ooh.shapes.plan_summary_row reads: the lead, the key contacts and the agencies shared with
    (each with its agency), and the acknowledgements (4 queries when read)."""
    return plans.select_related("lead_professional").prefetch_related(
        Prefetch("key_contacts", queryset=KeyContact.objects.select_related("agency")),
        Prefetch("shares", queryset=PlanShare.objects.select_related("agency")),
        "acknowledgements",
    )


def _for_the_night(person_ids: Iterable[uuid.UUID]) -> QuerySet[BirthPlan]:
    """Every plan in force for these people, and every draft of theirs already shared."""
    ids = list(person_ids)
    shared = PlanShare.objects.filter(plan_id=OuterRef("pk"))
    return BirthPlan.objects.filter(Q(mother_id__in=ids) | Q(unborn_child_id__in=ids)).filter(
        Q(status=PlanStatus.ACTIVE) | Q(Exists(shared), status=PlanStatus.DRAFT)
    )


def plans_for_the_night(person_ids: Iterable[uuid.UUID]) -> QuerySet[BirthPlan]:
    """The plans a responder must see for these people: every plan in force, and a draft once it has
    been shared (marked as a draft, never silently dropped because nobody has agreed it yet)."""
    return with_summary(_for_the_night(person_ids).order_by("expected_date", "created_at", "id"))


def agencies_with_a_stake(person_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Agencies holding a birth plan for any of these people (writing it, shared with it, a key contact
    on it), in force or a shared draft: the plan was written for this night. Raising a flag makes no
    stake: a flag is disclosed through the picture, not by making its agency a party to every later
    incident."""
    plans = list(_for_the_night(person_ids).values_list("pk", "authoring_agency_id"))
    if not plans:
        return set()
    plan_ids = [pk for pk, _authoring in plans]
    agencies = {authoring for _pk, authoring in plans}
    agencies |= set(PlanShare.objects.filter(plan_id__in=plan_ids).values_list("agency_id", flat=True))
    agencies |= set(KeyContact.objects.filter(plan_id__in=plan_ids).values_list("agency_id", flat=True))
    return agencies
