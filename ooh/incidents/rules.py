"""Incident rules: the attendance state machine and who may do what."""

from django.db.models import Q

from ooh.access import policy

from .models import AttendanceStatus as S
from .models import IncidentAgency

# Every allowed `from -> to` of an agency's attendance (None: the agency has no row yet).
TRANSITIONS = {
    None: {S.REQUESTED, S.ATTENDING, S.EN_ROUTE, S.ON_SCENE, S.CANNOT_ATTEND},
    S.REQUESTED: {S.ACKNOWLEDGED, S.ATTENDING, S.EN_ROUTE, S.ON_SCENE, S.CANNOT_ATTEND, S.STOOD_DOWN},
    S.ACKNOWLEDGED: {S.ATTENDING, S.EN_ROUTE, S.ON_SCENE, S.CANNOT_ATTEND, S.STOOD_DOWN},
    S.ATTENDING: {S.ATTENDING, S.EN_ROUTE, S.ON_SCENE, S.CANNOT_ATTEND, S.STOOD_DOWN},
    S.EN_ROUTE: {S.EN_ROUTE, S.ON_SCENE, S.CANNOT_ATTEND, S.STOOD_DOWN},
    S.ON_SCENE: {S.LEFT},
    S.CANNOT_ATTEND: {S.ATTENDING, S.EN_ROUTE, S.STOOD_DOWN, S.CANNOT_ATTEND},
    S.LEFT: {S.REQUESTED},
    S.STOOD_DOWN: {S.REQUESTED},
}
# Only the control room asks an agency to attend or stands it down; agencies answer for themselves.
CONTROL_ROOM_ONLY = frozenset({S.REQUESTED, S.STOOD_DOWN})
# The statuses in which an agency still owes an answer, and in which it is on its way.
AWAITING_ANSWER = frozenset({S.REQUESTED})
COMING = frozenset({S.ATTENDING, S.EN_ROUTE})


def may_move(current: str | None, new: str) -> bool:
    return new in TRANSITIONS[current]


def visible_incidents_filter(user) -> Q:
    """Incidents the user may see: the one rule, from ooh.access."""
    return policy.incident_visibility(user)


def visible_pairs(incident_ids, agency_ids) -> set:
    """The same rule for many sockets at once: each (incident id, agency id) among those given where the
    agency's members may see the incident through its involvement (control rooms see every incident:
    the caller adds that)."""
    if not incident_ids or not agency_ids:
        return set()
    return set(
        IncidentAgency.objects.filter(
            incident_id__in=incident_ids, agency_id__in=agency_ids, reason__in=policy.INCIDENT_VISIBLE_REASONS
        ).values_list("incident_id", "agency_id")
    )
