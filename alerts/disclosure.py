"""Telling an agency when its most sensitive records are opened from outside it (the CP-IS pattern),
and telling a manager when one of their staff breaks glass.

NHS CP-IS notifies a child's local authority whenever unscheduled care views the child's protection
flag; here the agency that owns a child protection flag hears (inbox and feed) when anyone outside it
opens a picture that shows the flag: who, from which agency, when, and for which incident or reason.
"""

import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from ooh.access import policy
from ooh.access.models import BreakGlass
from ooh.accounts.models import User
from ooh.flags.models import FlagCategory
from ooh.incidents.events import agency_feed_group, send_to_groups, user_feed_group

from .escalation_rules import managers_of
from .models import Notification

logger = logging.getLogger(__name__)

CHILD_PROTECTION_CATEGORIES = frozenset({"child_protection_plan", "unborn_child_protection_plan"})
# One notice per viewer and child in this window: a phone re-reading the snapshot is one disclosure.
NOTICE_WINDOW = timedelta(hours=1)


def _viewer(user: User) -> dict[str, object]:
    membership = user.membership
    return {
        "id": str(user.pk),
        "username": user.username,
        "display_name": user.display_name,
        "role": membership.role,
        "agency": {
            "id": str(membership.agency_id),
            "code": membership.agency.code,
            "name": membership.agency.name,
        },
    }


def _inform(
    *,
    user_ids: Iterable[uuid.UUID | str],
    agency_ids: Iterable[uuid.UUID | str],
    kind: str,
    title: str,
    body: str,
    data: Mapping[str, object],
    now: datetime,
) -> None:
    """An inbox entry per user, written in the caller's transaction; the feeds hear after commit."""
    Notification.objects.bulk_create(
        [
            Notification(user_id=user_id, kind=kind, title=title, body=body, data=data, created_at=now)
            for user_id in sorted(set(user_ids), key=str)
        ]
    )
    message = json.dumps(
        {"type": "feed", "event": kind, "at": now, "data": {"title": title, "body": body, **data}},
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )
    groups = [agency_feed_group(a) for a in set(agency_ids)] + [user_feed_group(u) for u in set(user_ids)]
    sends = [(group, {"type": "feed.message", "text": message}) for group in groups]
    transaction.on_commit(lambda: send_to_groups(sends, what=kind))


def _told_lately(viewer_id: uuid.UUID, child_id: str) -> bool:
    """Whether this viewer's look at this child was told of within the window, as the cache remembers it
    (marking it now if not). The inbox stays the record: with the cache empty or down, the database is
    asked instead."""
    try:
        return not cache.add(f"disclosure:{viewer_id}:{child_id}", 1, timeout=NOTICE_WINDOW.total_seconds())
    except Exception:  # the cache is down: ask the database
        logger.warning("disclosure notice cache unavailable", exc_info=True)
        return False


def notify_if_disclosed(
    viewer: User,
    flags: Iterable[Mapping[str, Any]],  # flag rows (ooh/shapes.py), as the picture shows them
    *,
    purpose: Mapping[str, str | None],  # the incident, or the reason given
    now: datetime | None = None,
) -> int:
    """For each child protection flag in a picture the viewer opened, owned by another agency: its
    owner and the owning agency's managers are told (once per viewer and child per hour). Returns
    how many agencies were told."""
    now = now or timezone.now()
    agency_id = policy.agency_id_of(viewer)
    owned_elsewhere: dict[tuple[str, str], Mapping[str, Any]] = {}
    for flag in flags:
        owner_agency = str(flag["source_agency"]["id"])
        if flag["category"] in CHILD_PROTECTION_CATEGORIES and owner_agency != str(agency_id):
            owned_elsewhere.setdefault((owner_agency, flag["subject_person"]), flag)
    told = 0
    for (owner_agency, child_id), flag in owned_elsewhere.items():
        if _told_lately(viewer.pk, child_id):
            continue  # the phone re-reading the picture: one cache read, no query
        recent = Notification.objects.filter(
            kind="disclosure.notice",
            data__viewer__id=str(viewer.pk),
            data__person=child_id,
            created_at__gte=now - NOTICE_WINDOW,
        )
        if recent.exists():
            continue
        why = (
            f"for incident {purpose['incident']}" if purpose.get("incident") else purpose.get("reason") or ""
        )
        _inform(
            user_ids={flag["owner"]["id"], *managers_of([owner_agency])},
            agency_ids={owner_agency},
            kind="disclosure.notice",
            title="Child protection record viewed by another agency",
            body=(
                f"{viewer.display_name or viewer.username} ({viewer.membership.agency.name}, "
                f"{viewer.membership.get_role_display()}) opened the picture of a child with your agency's "
                f"{str(FlagCategory(flag['category']).label).lower()} flag at {now:%H:%M} UTC {why}".strip()
            ),
            data={
                "viewer": _viewer(viewer),
                "person": child_id,
                "flag": flag["id"],
                "incident": purpose.get("incident"),
                "reason": purpose.get("reason", ""),
                "at": now.isoformat(),
            },
            now=now,
        )
        told += 1
    return told


def notify_break_glass(grant: BreakGlass, *, now: datetime | None = None) -> None:
    """The user's managers hear that they opened a person's records outside the rules, and why."""
    now = now or timezone.now()
    user = grant.user
    _inform(
        user_ids=managers_of([grant.agency_id]) - {user.pk},
        agency_ids=set(),  # the managers' own feeds: the reason may name the family
        kind="break_glass.opened",
        title="Break-glass access to review",
        body=(
            f"{user.display_name or user.username} opened a person's records outside the need-to-know rules "
            f"until {grant.expires_at:%H:%M} UTC: {grant.reason}"
        ),
        data={
            "break_glass": str(grant.pk),
            "user": str(user.pk),
            "person": str(grant.person_id),
            "reason": grant.reason,
            "expires_at": grant.expires_at.isoformat(),
        },
        now=now,
    )
