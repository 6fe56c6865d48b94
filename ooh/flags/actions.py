"""The one write path for flags: raise, edit (keeping every version), revoke with a reason."""

import json
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import Agency, User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict

from .models import GROUP_OF_CATEGORY, NEEDS_REVIEW_BY, Flag, FlagStatus, FlagVersion
from .signals import flag_changed

EDITABLE_FIELDS = (
    "category",
    "severity",
    "summary",
    "handling_instructions",
    "valid_from",
    "valid_until",
    "review_by",
    "owner",
)


def _check(flag: Flag) -> None:
    if (flag.subject_person_id is None) == (flag.subject_address_id is None):
        raise ValidationError({"subject_person": "Give exactly one of subject_person and subject_address."})
    if flag.valid_until is not None and flag.valid_until <= flag.valid_from:
        raise ValidationError({"valid_until": "valid_until must be after valid_from."})
    if flag.severity in NEEDS_REVIEW_BY and flag.review_by is None:
        raise ValidationError({"review_by": f"A {flag.severity} flag needs a review_by date."})
    if len(flag.summary) > 200:
        raise ValidationError(
            {"summary": "At most 200 characters: what a call handler must know at a glance."}
        )


def _snapshot(flag: Flag, *, actor: User, change: str) -> None:
    data = json.loads(json.dumps(model_to_dict(flag), cls=DjangoJSONEncoder))
    data["status"] = flag.status
    FlagVersion.objects.create(
        flag=flag, version=flag.version, snapshot=data, changed_by=actor, change=change
    )


def _person_ids(flag: Flag) -> list[uuid.UUID]:
    return [flag.subject_person_id] if flag.subject_person_id else []


@transaction.atomic
def raise_flag(
    *,
    actor: User,
    # A people.Person and a people.Address: flags may not import people (people imports flags).
    subject_person: Any = None,
    subject_address: Any = None,
    owner: User | None = None,
    source_agency: Agency | None = None,
    external_id: str | None = None,
    **fields: Any,  # the flag's own fields, as the serializer or the import read them
) -> Flag:
    """Put a warning marker on one person or one address; the raiser owns it unless an owner is named.

    The source agency is the raiser's unless given (an import carries the source system's agency).
    """
    owner = owner or actor
    source_agency = source_agency or actor.membership.agency
    if not policy.may_own_flag(source_agency.pk, owner):
        raise ValidationError(
            {"owner_id": "The owner must be an active member of the agency raising the flag."}
        )
    flag = Flag(
        subject_person=subject_person,
        subject_address=subject_address,
        source_agency=source_agency,
        owner=owner,
        created_by=actor,
        external_id=external_id,
        **fields,
    )
    flag.group = GROUP_OF_CATEGORY[flag.category]
    _check(flag)
    flag.save()
    _snapshot(flag, actor=actor, change="raised")
    if flag.valid_from <= timezone.now():  # in force now: the night's phones must see it
        flag_changed.send(sender=Flag, flag=flag, change="added", actor=actor, at=timezone.now())
    record_access(
        action=AccessAction.CREATE,
        object_type="flag",
        object_ids=[flag.pk],
        person_ids=_person_ids(flag),
        actor=actor,
    )
    return flag


@transaction.atomic
def edit_flag(*, actor: User, flag: Flag, **changes: Any) -> Flag:  # changes: EDITABLE_FIELDS
    """Change a flag; the previous version stays readable in its history."""
    flag = Flag.objects.select_for_update(of=("self",)).select_related("owner__membership").get(pk=flag.pk)
    if not policy.may_change_flag(actor, flag):
        raise PermissionDenied("Only the flag's owner or a manager of the agency that owns it may change it.")
    if flag.status == FlagStatus.REVOKED:
        raise Conflict("A revoked flag cannot be changed.", code="flag_revoked")
    for name, value in changes.items():
        if name in EDITABLE_FIELDS:
            setattr(flag, name, value)
    if "owner" in changes and not policy.may_own_flag(flag.source_agency_id, flag.owner):
        raise ValidationError(
            {"owner_id": "The owner must be an active member of the agency that owns the flag."}
        )
    flag.group = GROUP_OF_CATEGORY[flag.category]
    _check(flag)
    flag.version += 1
    flag.save()
    _snapshot(flag, actor=actor, change="edited")
    record_access(
        action=AccessAction.UPDATE,
        object_type="flag",
        object_ids=[flag.pk],
        person_ids=_person_ids(flag),
        actor=actor,
        detail={"fields": sorted(changes)},
    )
    return flag


@transaction.atomic
def revoke_flag(*, actor: User, flag: Flag, reason: str) -> Flag:
    """Withdraw a flag with a reason; it is never deleted."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the flag is revoked."})
    flag = Flag.objects.select_for_update(of=("self",)).select_related("owner__membership").get(pk=flag.pk)
    if not policy.may_change_flag(actor, flag):
        raise PermissionDenied("Only the flag's owner or a manager of the agency that owns it may revoke it.")
    if flag.status == FlagStatus.REVOKED:
        raise Conflict("This flag is already revoked.", code="flag_revoked")
    flag.status = FlagStatus.REVOKED
    flag.revoked_at, flag.revoked_by, flag.revoked_reason = timezone.now(), actor, reason.strip()
    flag.version += 1
    flag.save()
    _snapshot(flag, actor=actor, change="revoked")
    flag_changed.send(sender=Flag, flag=flag, change="revoked", actor=actor, at=flag.revoked_at)
    record_access(
        action=AccessAction.REVOKE,
        object_type="flag",
        object_ids=[flag.pk],
        person_ids=_person_ids(flag),
        actor=actor,
        reason=reason.strip()[:500],
    )
    return flag
