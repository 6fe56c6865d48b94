"""Who a user is to the policy: their membership, role and agency, and the sets of roles the rules use."""

import hmac
import uuid
from datetime import timedelta
from typing import Any, TypeAlias, TypeGuard

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models

from ooh.accounts.models import CONTROL_ROOM_ROLES, MANAGER_ROLES, AgencyKind, Membership, Role, User

# Whoever the policy is asked about: a signed-in user, Django's anonymous user, or none (a task).
AnyUser: TypeAlias = User | AnonymousUser | None

# Control rooms (CONTROL_ROOM_ROLES) of the emergency services see everyone, with a purpose: they take
# the 999 call.
CONTROL_ROOM_AGENCY_KINDS = frozenset({AgencyKind.POLICE, AgencyKind.AMBULANCE})
# Roles that hold cases: their agency's records are theirs to see (an out-of-hours team's cases are the
# people it recorded and the plans it is a key contact on).
CASE_ROLES = frozenset(
    {Role.SOCIAL_WORKER, Role.OOH_SOCIAL_WORKER, Role.MIDWIFE, Role.PRACTITIONER, Role.MANAGER}
)
# Roles that do casework of any kind; `admin` administers its agency and sees no family's records.
CASEWORK_ROLES = frozenset(
    {
        Role.CALL_HANDLER,
        Role.CONTROL_ROOM_SUPERVISOR,
        Role.RESPONDER,
        Role.SOCIAL_WORKER,
        Role.OOH_SOCIAL_WORKER,
        Role.MIDWIFE,
        Role.PRACTITIONER,
        Role.MANAGER,
    }
)
# Birth plans are drafted by the professionals who write them, and kept by their agency.
PLAN_AUTHOR_ROLES = frozenset({Role.SOCIAL_WORKER, Role.MIDWIFE})
PLAN_KEEPER_ROLES = PLAN_AUTHOR_ROLES | {Role.MANAGER}
# Managers (MANAGER_ROLES) see their agency's audit and review break-glass.
# Involvement that lets an agency's members see an incident (a flag raised long ago does not).
INCIDENT_VISIBLE_REASONS = ("opened", "requested", "declared", "appointed", "stakeholder")
# How long after an incident closes its responders may still read its family's records.
INCIDENT_RECORDS_GRACE = timedelta(hours=24)
MIN_REASON_LENGTH = 10

# Who may write what: (record, change, who, the rule in this module). The README's "Security model"


def _model(label: str) -> type[Any]:
    """A model of the core by its label. The policy may not import the apps it reads (they import it),
    so the checker knows their rows as Any."""
    return apps.get_model(label)


def _objects(label: str) -> "models.Manager[Any]":
    """The `objects` manager of a model of the core, by its label (see _model)."""
    manager: models.Manager[Any] = _model(label).objects
    return manager


def membership_of(user: AnyUser) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    membership: Membership | None = getattr(user, "membership", None)
    return membership


def role_of(user: AnyUser) -> str | None:
    membership = membership_of(user)
    return membership.role if membership else None


def agency_id_of(user: AnyUser) -> uuid.UUID | None:
    membership = membership_of(user)
    return membership.agency_id if membership else None


def does_casework(user: AnyUser) -> TypeGuard[User]:
    """True only for a signed-in user with a casework role (so the checker then knows a User)."""
    return role_of(user) in CASEWORK_ROLES


def is_control_room(user: AnyUser) -> bool:
    """A call handler or control room supervisor of a police or ambulance service."""
    membership = membership_of(user)
    return membership is not None and is_control_room_membership(membership.role, membership.agency.kind)


def is_control_room_membership(role: str, agency_kind: str) -> bool:
    """The same, from a membership's role and its agency's kind (many users at once: api/resync.py)."""
    return role in CONTROL_ROOM_ROLES and agency_kind in CONTROL_ROOM_AGENCY_KINDS


def is_manager(user: AnyUser) -> bool:
    return role_of(user) in MANAGER_ROLES


def may_scrape_metrics(presented: str | None) -> bool:
    """/metrics: only a scraper holding the deployment's metrics token (OOH_METRICS_TOKEN), never a
    member's login. The figures carry no record, but how busy a force's night is, is nobody else's."""
    expected = settings.METRICS_TOKEN
    return (
        bool(expected)
        and presented is not None
        and hmac.compare_digest(presented.encode(), expected.encode())
    )
