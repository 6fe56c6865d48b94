"""Line management: who manages whom in an agency, for the rungs of an escalation and for notices.

An agency may record line management (Membership.reports_to). Its first-line managers are its managers
and control room supervisors whom no other manager of the same agency reports to; when it records none,
all of them. Only active users count.
"""

import uuid
from collections.abc import Iterable

from .models import MANAGER_ROLES, Membership

ManagerRow = tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]  # (user, agency, reports_to)


def manager_rows(agency_ids: Iterable[uuid.UUID]) -> list[ManagerRow]:
    """Every active manager of these agencies, with whom they report to (one query)."""
    return list(
        Membership.objects.filter(
            agency_id__in=list(agency_ids), role__in=MANAGER_ROLES, user__is_active=True
        ).values_list("user_id", "agency_id", "reports_to_id")
    )


def first_line_among(rows: Iterable[ManagerRow]) -> set[uuid.UUID]:
    """The first-line managers among these rows, agency by agency."""
    rows = list(rows)
    found: set[uuid.UUID] = set()
    for agency in {agency for _user, agency, _head in rows}:
        managers = {user for user, a, _head in rows if a == agency}
        heads = {head for _user, a, head in rows if a == agency and head is not None}
        found |= (managers - heads) or managers
    return found


def first_line_managers(agency_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The first-line managers of each of these agencies (one query)."""
    return first_line_among(manager_rows(agency_ids))
