"""Birth plans: need to know the mother or the baby; the lead professional's agency keeps them."""

import datetime

from django.utils import timezone

from .cast import MEMBERS, PLAN_KEEPERS, SEES_MOTHER_AND_BABY, creates, lists, members, need_to_know
from .rows import Row


def plan_body(ids, me):
    """A complete plan for the Vale baby, naming the caller as lead professional (it must be one of the
    drafting agency's members)."""
    today = timezone.localdate()
    return {
        "mother": ids["kerry"],
        "unborn_child": ids["baby"],
        "expected_date": str(today + datetime.timedelta(days=7)),
        "planned_place_of_birth": "hospital",
        "hospital": "Northshire General",
        "lead_professional": ids[f"user_{me}"] if me else None,
        "child_protection_status": "unborn_child_protection_plan",
        "legal_status": "pre_proceedings",
        "plan_at_birth": "Baby to remain in hospital with mother.",
        "home_birth_contingency": "Ambulance to take mother and baby to Northshire General.",
        "out_of_hours_instructions": "Call the EDT duty manager.",
        "parents_aware_of_plan": True,
        "key_contacts": [
            {"agency": ids["agency_police"], "name": "DS Roe", "phone_out_of_hours": "01632 960101"},
            {"agency": ids["agency_edt"], "name": "EDT duty", "phone_out_of_hours": "01632 960004"},
        ],
    }


ROWS = [
    Row(
        "api:birth-plan-list",
        "GET",
        "/api/v1/birth-plans/",
        members(200, alice=400, amy=400),
        "need to know the mother or the baby; a control room's list states a purpose",
        returns=lists(**{name: {"plan", "draft"} for name in SEES_MOTHER_AND_BABY - {"alice", "amy"}}),
    ),
    Row(
        "api:birth-plan-list",
        "POST",
        "/api/v1/birth-plans/",
        # Only Dana's agency has a case and keeps the plans in force; everyone else who sees the family is
        # refused (403), and whoever cannot see the mother is told she does not exist (400).
        creates(201, allowed={"dana"}, blind=MEMBERS - SEES_MOTHER_AND_BABY),
        "a social worker or midwife whose agency has a case on mother or baby, and keeps any live plan",
        body=plan_body,
    ),
    Row(
        "api:birth-plan-detail",
        "GET",
        "/api/v1/birth-plans/{plan}/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the mother or the baby",
        target="plan",
    ),
    Row(
        "api:birth-plan-detail",
        "PATCH",
        "/api/v1/birth-plans/{plan}/",
        need_to_know(200, allowed=PLAN_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "social workers, midwives, managers of the lead professional's agency",
        target="plan",
        body=lambda ids, me: {"hospital": "Northshire General, delivery suite"},
        headers={"HTTP_IF_MATCH": '"{plan_version}"'},
    ),
    Row(
        "api:birth-plan-acknowledge",
        "POST",
        "/api/v1/birth-plans/{plan}/acknowledge/",
        need_to_know(200, allowed={"mia"}, sees=SEES_MOTHER_AND_BABY),
        "members of an agency it is shared with",
        target="plan",
        body=lambda ids, me: {},
    ),
    Row(
        "api:birth-plan-activate",
        "POST",
        "/api/v1/birth-plans/{draft}/activate/",
        need_to_know(200, allowed=PLAN_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "the lead professional's agency (superseding the plan in force, which it keeps)",
        target="draft",
        body=lambda ids, me: {"agreed_on": str(timezone.localdate())},
    ),
    Row(
        "api:birth-plan-close",
        "POST",
        "/api/v1/birth-plans/{plan}/close/",
        need_to_know(200, allowed=PLAN_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "the lead professional's agency",
        target="plan",
        body=lambda ids, me: {"reason": "Baby born; plan carried out"},
    ),
    Row(
        "api:birth-plan-share",
        "POST",
        "/api/v1/birth-plans/{plan}/share/",
        need_to_know(200, allowed=PLAN_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "the lead professional's agency",
        target="plan",
        body=lambda ids, me: {"agencies": [ids["agency_health"]]},
    ),
    Row(
        "api:birth-plan-versions",
        "GET",
        "/api/v1/birth-plans/{plan}/versions/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the mother or the baby",
        target="plan",
    ),
    Row(
        "api:birth-plan-version",
        "GET",
        "/api/v1/birth-plans/{plan}/versions/1/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the mother or the baby",
        target="plan",
    ),
]
