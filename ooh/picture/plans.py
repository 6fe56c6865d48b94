"""Birth plans in the linked picture: every plan in force for anyone in it, and a shared draft (marked
as one), with what the on-scene reader needs first. The ORM rendering and the SQL rendering come from
the one PLAN_SUMMARY shape."""

import uuid
from collections.abc import Iterable
from typing import Any

from ooh.accounts.models import Agency, User
from ooh.plans.models import Acknowledgement, BirthPlan, KeyContact, PlanShare, PlanStatus
from ooh.plans.queries import plans_for_the_night
from ooh.shapes import (
    AGENCY,
    AGENCY_CONTACT,
    KEY_CONTACT,
    PLAN_SHARE,
    PLAN_SUMMARY,
    USER,
    iso_utc,
    plan_summary_row,
)


def plans_in_picture(person_ids: Iterable[uuid.UUID]) -> list[dict[str, Any]]:
    """The summaries of the night's plans for these people (5 queries)."""
    return [plan_summary_row(plan) for plan in plans_for_the_night(person_ids)]


def plans_sql() -> str:
    """The same list as plans_in_picture, as one SQL expression over the CTE `reached(id)` of
    linked_sql.py (the linked picture's single PostgreSQL statement)."""
    plan, contact, share = BirthPlan._meta.db_table, KeyContact._meta.db_table, PlanShare._meta.db_table
    read, agency, user = Acknowledgement._meta.db_table, Agency._meta.db_table, User._meta.db_table
    contacts = KEY_CONTACT.sql(
        "c",
        agency=AGENCY_CONTACT.sql("ca"),
        call_out_of_hours="coalesce(nullif(c.phone_out_of_hours, ''), ca.out_of_hours_phone)",
    )
    shares = PLAN_SHARE.sql("s", agency=AGENCY.sql("sa"), read_version="r.version", read_at=iso_utc("r.at"))
    summary = PLAN_SUMMARY.sql(
        "bp",
        lead_professional=f"CASE WHEN lp.id IS NULL THEN NULL ELSE {USER.sql('lp')} END",
        key_contacts_out_of_hours=f"""(
                SELECT coalesce(json_agg({contacts} ORDER BY c.phone_out_of_hours = '', c.id), '[]')
                FROM {contact} c JOIN {agency} ca ON ca.id = c.agency_id WHERE c.plan_id = bp.id
            )""",
        shared_with=f"""(
                SELECT coalesce(json_agg({shares} ORDER BY sa.code), '[]')
                FROM {share} s JOIN {agency} sa ON sa.id = s.agency_id
                LEFT JOIN LATERAL (
                    SELECT a.version, a.at FROM {read} a WHERE a.plan_id = bp.id AND a.agency_id = s.agency_id
                    ORDER BY a.version DESC, a.at DESC LIMIT 1
                ) r ON true
                WHERE s.plan_id = bp.id
            )""",
    )
    return f"""(
        SELECT coalesce(json_agg({summary} ORDER BY bp.expected_date, bp.created_at, bp.id), '[]')
        FROM {plan} bp LEFT JOIN {user} lp ON lp.id = bp.lead_professional_id
        WHERE (bp.mother_id IN (SELECT id FROM reached) OR bp.unborn_child_id IN (SELECT id FROM reached))
          AND (bp.status = '{PlanStatus.ACTIVE}'
               OR (bp.status = '{PlanStatus.DRAFT}' AND EXISTS (SELECT 1 FROM {share} x WHERE x.plan_id = bp.id)))
    )"""
