"""The legal position of a child with a birth plan, in plain words: its child protection status and
legal status with their dates, and what they mean tonight - who holds the power to remove the baby.

England and Wales: without a court order, only a police officer can remove a child at night (police
protection, Children Act 1989 s46, up to 72 hours); pre-proceedings (the Public Law Outline's letter
before proceedings) gives no power on its own; issued care proceedings give none until the court makes
an order; an interim care order (s38) gives the local authority parental responsibility and lets it act.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ooh.plans.models import ChildProtectionStatus, LegalStatus

POLICE_PROTECTION = "police_protection"
LOCAL_AUTHORITY = "local_authority"

# What each legal status means tonight: (a court order in force?, who can remove the baby, the meaning).
MEANING: dict[str, tuple[bool, str, str]] = {
    LegalStatus.NONE: (
        False,
        POLICE_PROTECTION,
        "no court order, so removing the baby tonight needs police protection powers",
    ),
    LegalStatus.PRE_PROCEEDINGS: (
        False,
        POLICE_PROTECTION,
        "pre-proceedings gives no power on its own, so removing the baby tonight needs police protection powers",
    ),
    LegalStatus.CARE_PROCEEDINGS_ISSUED: (
        False,
        POLICE_PROTECTION,
        "care proceedings are issued but no order is made, so removing the baby tonight needs police "
        "protection powers or an emergency protection order",
    ),
    LegalStatus.INTERIM_CARE_ORDER_GRANTED: (
        True,
        LOCAL_AUTHORITY,
        "an interim care order lets the local authority remove the baby tonight",
    ),
    LegalStatus.OTHER: (
        False,
        POLICE_PROTECTION,
        "another legal status is recorded (see the plan); unless an order says otherwise, removing the "
        "baby tonight needs police protection powers",
    ),
}


@dataclass(frozen=True)
class LegalPosition:
    child_protection_status: str
    child_protection_since: str | None
    legal_status: str
    legal_status_since: str | None
    court_order: bool
    removal_power: str  # POLICE_PROTECTION | LOCAL_AUTHORITY
    meaning: str

    @property
    def has_child_protection(self) -> bool:
        return self.child_protection_status != ChildProtectionStatus.NONE

    def status_words(self) -> str:
        """'Unborn child protection plan since 03 Oct 2026; pre-proceedings since 01 Nov 2026'."""
        parts = []
        if self.has_child_protection:
            parts.append(
                _since(
                    str(ChildProtectionStatus(self.child_protection_status).label),
                    self.child_protection_since,
                )
            )
        if self.legal_status != LegalStatus.NONE:
            label = str(LegalStatus(self.legal_status).label)
            parts.append(
                _since(label if not parts else label[0].lower() + label[1:], self.legal_status_since)
            )
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "child_protection_status": self.child_protection_status,
            "child_protection_status_label": str(ChildProtectionStatus(self.child_protection_status).label),
            "child_protection_since": self.child_protection_since,
            "legal_status": self.legal_status,
            "legal_status_label": str(LegalStatus(self.legal_status).label),
            "legal_status_since": self.legal_status_since,
            "court_order": self.court_order,
            "removal_power": self.removal_power,
            "meaning": _sentence(self.meaning),
        }


def _since(label: str, since: str | None) -> str:
    if not since:
        return f"{label} (date not recorded)"
    day = date.fromisoformat(since)
    return f"{label} since {day.day} {day:%b %Y}"


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def legal_position(plan: Mapping[str, Any]) -> LegalPosition:
    """The position a plan summary row records."""
    court_order, power, meaning = MEANING[plan["legal_status"]]
    return LegalPosition(
        child_protection_status=plan["child_protection_status"],
        child_protection_since=plan.get("child_protection_since"),
        legal_status=plan["legal_status"],
        legal_status_since=plan.get("legal_status_since"),
        court_order=court_order,
        removal_power=power,
        meaning=meaning,
    )
