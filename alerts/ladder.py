"""The rungs of a casework chain: whom each level of a concern's or a referral's escalation tells.

An agency may record line management (Membership.reports_to). A user's manager is their line manager,
or else their agency's first-line managers. An agency's first-line managers are its managers (and
control room supervisors) that no other manager of it reports to; its next level is whom those managers
report to, or else its admins. Only active users are ever told.
"""

import uuid
from collections.abc import Iterable

from ooh.accounts.lines import first_line_among, first_line_managers, manager_rows
from ooh.accounts.models import MANAGER_ROLES, Membership, Role

UserIds = set[uuid.UUID]


def next_level(agency_ids: Iterable[uuid.UUID]) -> UserIds:
    """Above the agencies' first-line managers: whom they report to, or else the agencies' admins."""
    ids = list(agency_ids)
    rows = manager_rows(ids)
    first_line = first_line_among(rows)
    heads = {
        reports_to for user, _agency, reports_to in rows if reports_to is not None and user in first_line
    }
    active_heads = set(
        Membership.objects.filter(user_id__in=heads, user__is_active=True).values_list("user_id", flat=True)
    )
    return active_heads or _admins(ids)


def _admins(agency_ids: Iterable[uuid.UUID]) -> UserIds:
    return set(
        Membership.objects.filter(
            agency_id__in=list(agency_ids), role=Role.ADMIN, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def managers_of_users(user_ids: Iterable[uuid.UUID]) -> UserIds:
    """Each user's line manager if recorded and active; else, for someone who manages nobody, their
    agency's first-line managers; for a first-line manager, the agency's next level; for a manager
    above them (the head of service), the agency's admins. Never the user themselves, never downwards."""
    ids = set(user_ids)
    found: UserIds = set()
    rows = list(
        Membership.objects.filter(user_id__in=ids).values_list(
            "user_id", "agency_id", "role", "reports_to_id"
        )
    )
    active_heads = set(
        Membership.objects.filter(
            user_id__in=[r for *_rest, r in rows if r is not None], user__is_active=True
        ).values_list("user_id", flat=True)
    )
    for user_id, agency_id, role, reports_to in rows:
        if reports_to in active_heads:
            found.add(reports_to)
        elif role not in MANAGER_ROLES:
            found |= first_line_managers([agency_id])
        elif user_id in first_line_managers([agency_id]):
            found |= next_level([agency_id])
        else:
            found |= _admins([agency_id])
    return found - ids
