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
        .order_by("expected_date", "created_at", "id")
    )


def add_birth_plans(network, person_ids, now):
    network.birth_plans = [plan_summary(plan) for plan in active_plans_for(person_ids)]


def plans_sql() -> str:
    """The same list as add_birth_plans, as one SQL expression over the CTE `reached(id)` of
    ooh.people.network_sql (the linked picture's single PostgreSQL statement)."""
    from ooh.accounts.models import Agency, User
    from ooh.people.network_sql import agency_json, user_json

    plan, contact = BirthPlan._meta.db_table, KeyContact._meta.db_table
    agency, user = Agency._meta.db_table, User._meta.db_table
    return f"""(
        SELECT coalesce(json_agg(json_build_object(
            'id', bp.id, 'status', bp.status, 'version', bp.version, 'expected_date', bp.expected_date,
            'mother', bp.mother_id, 'unborn_child', bp.unborn_child_id,
            'plan_at_birth', bp.plan_at_birth, 'home_birth_contingency', bp.home_birth_contingency,
            'out_of_hours_instructions', bp.out_of_hours_instructions,
            'parents_aware_of_plan', bp.parents_aware_of_plan,
            'parents_not_aware_reason', bp.parents_not_aware_reason, 'legal_status', bp.legal_status,
            'child_protection_status', bp.child_protection_status, 'hospital', bp.hospital,
            'lead_professional', CASE WHEN lp.id IS NULL THEN NULL ELSE {user_json("lp")} END,
            'key_contacts_out_of_hours', (
                SELECT coalesce(json_agg(json_build_object(
                    'agency', {agency_json("ca")}, 'name', c.name, 'role', c.role,
                    'phone_out_of_hours', coalesce(nullif(c.phone_out_of_hours, ''), c.phone_in_hours)
                ) ORDER BY c.id), '[]')
                FROM {contact} c JOIN {agency} ca ON ca.id = c.agency_id WHERE c.plan_id = bp.id
            )
        ) ORDER BY bp.expected_date, bp.created_at, bp.id), '[]')
        FROM {plan} bp LEFT JOIN {user} lp ON lp.id = bp.lead_professional_id
        WHERE bp.status = '{PlanStatus.ACTIVE}'
          AND (bp.mother_id IN (SELECT id FROM reached) OR bp.unborn_child_id IN (SELECT id FROM reached))
    )"""
