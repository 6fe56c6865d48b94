"""The rungs of a casework chain: whom each level of a concern's or a referral's escalation tells.

An agency may record line management (Membership.reports_to). A user's manager is their line manager,
or else their agency's first-line managers. An agency's first-line managers are its managers (and
control room supervisors) that no other manager of it reports to; its next level is whom those managers
report to, or else its admins. Only active users are ever told.
"""

import uuid
from collections.abc import Iterable

from ooh.accounts.lines import first_line_managers
from ooh.accounts.models import MANAGER_ROLES, Membership, Role

UserIds = set[uuid.UUID]


def _managers(agency_ids: Iterable[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]:
    """(user, agency, reports_to) of every active manager of these agencies."""
    return list(
        Membership.objects.filter(
            agency_id__in=list(agency_ids), role__in=MANAGER_ROLES, user__is_active=True
        ).values_list("user_id", "agency_id", "reports_to_id")
    )


def next_level(agency_ids: Iterable[uuid.UUID]) -> UserIds:
    """Above the agencies' first-line managers: whom they report to, or else the agencies' admins."""
    ids = list(agency_ids)
    rows = _managers(ids)
    first_line = first_line_managers(ids)
    heads = {
        reports_to for user, _agency, reports_to in rows if reports_to is not None and user in first_line
    }
    active_heads = set(
        Membership.objects.filter(user_id__in=heads, user__is_active=True).values_list("user_id", flat=True)
    )
    if active_heads:
        return active_heads
    return set(
        Membership.objects.filter(agency_id__in=ids, role=Role.ADMIN, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )


def managers_of_users(user_ids: Iterable[uuid.UUID]) -> UserIds:
    """Each user's line manager if recorded and active, else their agency's first-line managers (for a
    first-line manager: the agency's next level). Never the user themselves."""
    ids = set(user_ids)
    found: UserIds = set()
    for user_id, agency_id, reports_to in Membership.objects.filter(user_id__in=ids).values_list(
        "user_id", "agency_id", "reports_to_id"
    ):
        if (
            reports_to is not None
            and Membership.objects.filter(user_id=reports_to, user__is_active=True).exists()
        ):
            found.add(reports_to)
            continue
        first_line = first_line_managers([agency_id])
        found |= (first_line - {user_id}) if user_id not in first_line else next_level([agency_id])
    return found - ids
