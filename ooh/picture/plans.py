"""Birth plans in the linked picture: the plans in force for anyone in it, what the on-scene reader
needs first. The ORM rendering and the SQL rendering come from the one PLAN_SUMMARY shape."""

import uuid
from collections.abc import Iterable
from typing import Any

from ooh.accounts.models import Agency, User
from ooh.plans.models import BirthPlan, KeyContact, PlanStatus
from ooh.plans.queries import active_plans_for
from ooh.shapes import AGENCY, KEY_CONTACT, PLAN_SUMMARY, USER, plan_summary_row


def plans_in_picture(person_ids: Iterable[uuid.UUID]) -> list[dict[str, Any]]:
    """The summaries of every plan in force for these people (3 queries)."""
    return [plan_summary_row(plan) for plan in active_plans_for(person_ids)]


def plans_sql() -> str:
    """The same list as plans_in_picture, as one SQL expression over the CTE `reached(id)` of
    linked_sql.py (the linked picture's single PostgreSQL statement)."""
    plan, contact = BirthPlan._meta.db_table, KeyContact._meta.db_table
    agency, user = Agency._meta.db_table, User._meta.db_table
    contacts = KEY_CONTACT.sql(
        "c",
        agency=AGENCY.sql("ca"),
        phone_out_of_hours="coalesce(nullif(c.phone_out_of_hours, ''), c.phone_in_hours)",
    )
    summary = PLAN_SUMMARY.sql(
        "bp",
        lead_professional=f"CASE WHEN lp.id IS NULL THEN NULL ELSE {USER.sql('lp')} END",
        key_contacts_out_of_hours=f"""(
                SELECT coalesce(json_agg({contacts} ORDER BY c.id), '[]')
                FROM {contact} c JOIN {agency} ca ON ca.id = c.agency_id WHERE c.plan_id = bp.id
            )""",
    )
    return f"""(
        SELECT coalesce(json_agg({summary} ORDER BY bp.expected_date, bp.created_at, bp.id), '[]')
        FROM {plan} bp LEFT JOIN {user} lp ON lp.id = bp.lead_professional_id
        WHERE bp.status = '{PlanStatus.ACTIVE}'
          AND (bp.mother_id IN (SELECT id FROM reached) OR bp.unborn_child_id IN (SELECT id FROM reached))
    )"""
