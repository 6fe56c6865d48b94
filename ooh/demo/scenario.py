"""A fictional night modelled on scenario S1 (Family C19), and the professionals of scenario S2 (Baby A):
the agencies on call, one user per role.

Everything here is invented: names, places and the 01632 960xxx drama numbers. Loading is idempotent,
so `make demo` can run it on every start.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from ooh.accounts.actions import upsert_agency, upsert_user
from ooh.accounts.models import AgencyKind, Role

from .night import load_night

AGENCIES = [
    ("northshire-police", "Northshire Police", AgencyKind.POLICE, "01632 960001"),
    ("northshire-ambulance", "Northshire Ambulance Service", AgencyKind.AMBULANCE, "01632 960002"),
    ("northshire-csc", "Northshire Children's Social Care", AgencyKind.CHILDRENS_SOCIAL_CARE, "01632 960003"),
    ("northshire-edt", "Northshire Emergency Duty Team", AgencyKind.OOH_SOCIAL_CARE, "01632 960004"),
    ("northshire-midwifery", "Northshire Community Midwifery", AgencyKind.MIDWIFERY, "01632 960005"),
    ("northshire-health", "Northshire GP Out-of-Hours", AgencyKind.HEALTH, "01632 960006"),
    ("northshire-hospital", "Northshire General Hospital", AgencyKind.HEALTH, "01632 960007"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    agency: str
    role: str
    does: str


USERS = [
    DemoUser(
        "asha",
        "Asha Patel",
        "northshire-ambulance",
        Role.CALL_HANDLER,
        "ambulance call handler: opens the incident",
    ),
    DemoUser("carl", "Carl Moss", "northshire-police", Role.CALL_HANDLER, "police call handler"),
    DemoUser(
        "priya",
        "Insp Priya Shah",
        "northshire-police",
        Role.CONTROL_ROOM_SUPERVISOR,
        "police control room supervisor",
    ),
    DemoUser("hale", "Sgt Tom Hale", "northshire-police", Role.RESPONDER, "police sergeant on scene"),
    DemoUser("nina", "Nina Okafor", "northshire-ambulance", Role.RESPONDER, "paramedic"),
    DemoUser(
        "dana",
        "Dana Reid",
        "northshire-csc",
        Role.SOCIAL_WORKER,
        "day social worker: wrote the birth plan and leads it",
    ),
    DemoUser("omar", "Omar Fitz", "northshire-edt", Role.OOH_SOCIAL_WORKER, "out-of-hours social worker"),
    DemoUser("mia", "Mia Clarke", "northshire-midwifery", Role.MIDWIFE, "community midwife"),
    DemoUser("grace", "Dr Grace Lin", "northshire-health", Role.PRACTITIONER, "out-of-hours GP"),
    DemoUser("morgan", "Morgan Bell", "northshire-edt", Role.MANAGER, "out-of-hours social care manager"),
    # Scenario S2 (Baby A): the consultant who raises a concern, and the manager who allocates referrals.
    DemoUser(
        "ravi",
        "Dr Ravi Kumar",
        "northshire-hospital",
        Role.PRACTITIONER,
        "consultant physician: raises concerns, owns them until he refers",
    ),
    DemoUser(
        "carol",
        "Carol Dunn",
        "northshire-csc",
        Role.MANAGER,
        "children's social care manager: allocates referrals",
    ),
    # After the night: subject access requests, legal holds and retention.
    DemoUser(
        "dora",
        "Dora Price",
        "northshire-csc",
        Role.DATA_PROTECTION_OFFICER,
        "data protection officer: subject access, legal holds",
    ),
    DemoUser("admin", "Service Admin", "northshire-police", Role.ADMIN, "administrator (Django admin too)"),
]


def demo_password() -> str:
    """One random password for every demo user, kept under var/ so it survives restarts."""
    path = settings.VAR_DIR / "demo_password"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(f"demo-{secrets.token_urlsafe(9)}")
        path.chmod(0o600)
    return path.read_text().strip()


@transaction.atomic
def load(password: str, *, night: bool = True) -> list[DemoUser]:
    """Create or refresh the demo agencies and users, and the demo night once (night.py); returns the
    users for the caller to print."""
    agencies, users = {}, {}
    for code, name, kind, phone in AGENCIES:
        agencies[code], _ = upsert_agency(code=code, name=name, kind=kind, out_of_hours_phone=phone)
    for demo in USERS:
        user, _ = upsert_user(
            username=demo.username,
            agency=agencies[demo.agency],
            role=demo.role,
            display_name=demo.display_name,
            password=password,
        )
        if demo.role == Role.ADMIN and not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        users[demo.username] = user
    if night:
        load_night(agencies, users)
    return USERS
