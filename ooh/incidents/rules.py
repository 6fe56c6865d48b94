"""Incident rules: the attendance state machine (who may do what is ooh.access.policy)."""

from .models import AttendanceStatus as S

# Every allowed `from -> to` of an agency's attendance (None: the agency has no row yet).
TRANSITIONS: dict[str | None, set[str]] = {
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
# The statuses in which an agency is on its way.
COMING = frozenset({S.ATTENDING, S.EN_ROUTE})


def may_move(current: str | None, new: str) -> bool:
    return new in TRANSITIONS[current]
