"""Who is reading: the picture is written for the caller's service and role. A paramedic is not told to
attend with two officers; police are told when the power to remove a baby sits with them."""

from dataclasses import dataclass
from typing import Any

from ooh.accounts.models import CONTROL_ROOM_ROLES, AgencyKind

POLICE, AMBULANCE, SOCIAL_CARE, MIDWIFERY, HEALTH, OTHER = (
    "police",
    "ambulance",
    "social_care",
    "midwifery",
    "health",
    "other",
)
SERVICE_OF_KIND = {
    AgencyKind.POLICE: POLICE,
    AgencyKind.AMBULANCE: AMBULANCE,
    AgencyKind.CHILDRENS_SOCIAL_CARE: SOCIAL_CARE,
    AgencyKind.OOH_SOCIAL_CARE: SOCIAL_CARE,
    AgencyKind.MIDWIFERY: MIDWIFERY,
    AgencyKind.HEALTH: HEALTH,
    AgencyKind.OTHER: OTHER,
}


@dataclass(frozen=True)
class Audience:
    service: str  # POLICE, AMBULANCE, SOCIAL_CARE, MIDWIFERY, HEALTH or OTHER
    control_room: bool  # a call handler or control room supervisor: sends others rather than goes
    agency_id: str | None = None
    user_id: str | None = None

    @property
    def police(self) -> bool:
        return self.service == POLICE


def audience_of(user: Any) -> Audience:
    """The reader's service (from its agency's kind) and whether it works in a control room."""
    membership = getattr(user, "membership", None)
    if membership is None:
        return Audience(OTHER, False, None, str(user.pk) if getattr(user, "pk", None) else None)
    return Audience(
        SERVICE_OF_KIND.get(membership.agency.kind, OTHER),
        membership.role in CONTROL_ROOM_ROLES,
        str(membership.agency_id),
        str(user.pk),
    )


def how_to_go_in(audience: Audience) -> str:
    """Officer safety, in the reader's words: officers attend in pairs; everyone else waits for police."""
    if audience.police:
        return "Send two officers." if audience.control_room else "Attend with two officers."
    if audience.service == AMBULANCE:
        if audience.control_room:
            return "Crews wait for police before going in."
        return "Wait for police before going in."
    return "Do not go in alone: go with police."
