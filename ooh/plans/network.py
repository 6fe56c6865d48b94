"""Birth plans in the linked picture: the plans in force for anyone in it, what the on-scene reader needs first."""

from django.db.models import Prefetch, Q

from .models import BirthPlan, KeyContact, PlanStatus


def plan_summary(plan) -> dict:
    lead = plan.lead_professional
    return {
        "id": str(plan.pk),
        "status": plan.status,
        "version": plan.version,
        "expected_date": plan.expected_date.isoformat(),
        "mother": str(plan.mother_id),
        "unborn_child": str(plan.unborn_child_id),
        "plan_at_birth": plan.plan_at_birth,
        "home_birth_contingency": plan.home_birth_contingency,
        "out_of_hours_instructions": plan.out_of_hours_instructions,
        "parents_aware_of_plan": plan.parents_aware_of_plan,
        "parents_not_aware_reason": plan.parents_not_aware_reason,
        "legal_status": plan.legal_status,
        "child_protection_status": plan.child_protection_status,
        "hospital": plan.hospital,
        "lead_professional": (
            {"id": str(lead.pk), "username": lead.username, "display_name": lead.display_name}
            if lead
            else None
        ),
        "key_contacts_out_of_hours": [
            {
                "agency": {
                    "id": str(c.agency.pk),
                    "code": c.agency.code,
                    "name": c.agency.name,
                    "kind": c.agency.kind,
                },
                "name": c.name,
                "role": c.role,
                "phone_out_of_hours": c.phone_out_of_hours or c.phone_in_hours,
            }
            for c in plan.key_contacts.all()
        ],
    }


def active_plans_for(person_ids):
    """The plans in force where any of these people is the mother or the child (2 queries at most)."""
    return (
        BirthPlan.objects.filter(
            Q(mother_id__in=person_ids) | Q(unborn_child_id__in=person_ids), status=PlanStatus.ACTIVE
        )
        .select_related("lead_professional")
        .prefetch_related(Prefetch("key_contacts", queryset=KeyContact.objects.select_related("agency")))
        .order_by("expected_date")
    )


def add_birth_plans(network, person_ids, now):
    network.birth_plans = [plan_summary(plan) for plan in active_plans_for(person_ids)]
