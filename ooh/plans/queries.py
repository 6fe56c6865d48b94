"""Which plans are in force for a family, and which agencies they give a stake in a night."""

import uuid
from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet

from .models import BirthPlan, KeyContact, PlanShare, PlanStatus


def active_plans_for(person_ids: Iterable[uuid.UUID]) -> QuerySet[BirthPlan]:
    """The plans in force where any of these people is the mother or the child (with lead and contacts,
    3 queries when read)."""
    ids = list(person_ids)
    return (
        BirthPlan.objects.filter(Q(mother_id__in=ids) | Q(unborn_child_id__in=ids), status=PlanStatus.ACTIVE)
        .select_related("lead_professional")
        .prefetch_related(Prefetch("key_contacts", queryset=KeyContact.objects.select_related("agency")))
        .order_by("expected_date", "created_at", "id")
    )


def agencies_with_a_stake(person_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Agencies holding a birth plan for any of these people (writing it, shared with it, a key contact
    on it): the plan was written for this night. Raising a flag makes no stake: a flag is disclosed
    through the picture, not by making its agency a party to every later incident."""
    plans = BirthPlan.objects.filter(
        Q(mother_id__in=list(person_ids)) | Q(unborn_child_id__in=list(person_ids)), status=PlanStatus.ACTIVE
    )
    plan_ids = list(plans.values_list("pk", flat=True))
    if not plan_ids:
        return set()
    agencies = set(plans.values_list("authoring_agency_id", flat=True))
    agencies |= set(PlanShare.objects.filter(plan_id__in=plan_ids).values_list("agency_id", flat=True))
    agencies |= set(KeyContact.objects.filter(plan_id__in=plan_ids).values_list("agency_id", flat=True))
    return agencies
