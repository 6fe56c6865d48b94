"""Rules about birth plans, as small functions over a plan and its key contacts."""

import datetime
from collections.abc import Iterable

from ooh.accounts.models import AgencyKind

from .models import BirthPlan, KeyContact

# Key contacts a plan cannot be activated without: who the night's responders will call.
REQUIRED_CONTACT_KINDS = {
    AgencyKind.POLICE: "a police key contact",
    AgencyKind.OOH_SOCIAL_CARE: "an out-of-hours social care key contact",
}


def activation_gaps(
    plan: BirthPlan, contacts: Iterable[KeyContact], *, agreed_on: datetime.date | None
) -> dict[str, str]:
    """Every part the template still lacks before the plan can be active: {field: what is missing}."""
    gaps: dict[str, str] = {}
    if plan.lead_professional_id is None:
        gaps["lead_professional"] = "Name the lead professional."
    for name, label in [
        ("plan_at_birth", "the plan at birth"),
        ("home_birth_contingency", "what happens if the baby is born at home or before the due date"),
        ("out_of_hours_instructions", "instructions for the out-of-hours team"),
    ]:
        if not getattr(plan, name).strip():
            gaps[name] = f"Write {label}."
    kinds = {contact.agency.kind for contact in contacts}
    for kind, label in REQUIRED_CONTACT_KINDS.items():
        if kind not in kinds:
            gaps[f"key_contacts.{kind}"] = f"Add {label}."
    if plan.parents_aware_of_plan is None:
        gaps["parents_aware_of_plan"] = "Say whether the parents are aware of the plan."
    elif plan.parents_aware_of_plan is False and not plan.parents_not_aware_reason.strip():
        gaps["parents_not_aware_reason"] = "Say why the parents are not aware of the plan."
    if agreed_on is None:
        gaps["agreed_on"] = "Give the date the plan was agreed at the professionals' meeting."
    return gaps
