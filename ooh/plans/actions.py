"""The one write path for birth plans: draft, revise (a new immutable version), activate, share, acknowledge."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import Agency, User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict
from ooh.people.models import Person, PersonStatus

from .models import Acknowledgement, BirthPlan, BirthPlanVersion, KeyContact, PlanShare, PlanStatus
from .rules import activation_gaps
from .signals import plan_in_force_changed

TEMPLATE_FIELDS = (
    "expected_date",
    "planned_place_of_birth",
    "hospital",
    "lead_professional",
    "child_protection_status",
    "child_protection_since",
    "legal_status",
    "legal_status_since",
    "plan_at_birth",
    "home_birth_contingency",
    "out_of_hours_instructions",
    "parents_aware_of_plan",
    "parents_not_aware_reason",
    "people_excluded",
    "discharge_arrangements",
)


class KeyContactFields(TypedDict, total=False):
    """A key contact as given to draft_plan and revise_plan."""

    agency: Agency
    name: str
    role: str
    phone_in_hours: str
    phone_out_of_hours: str


def snapshot(plan: BirthPlan, contacts: Iterable[KeyContact]) -> dict[str, object]:
    """The plan's content as plain JSON, as stored in each version."""
    data: dict[str, object] = {
        "mother": str(plan.mother_id),
        "unborn_child": str(plan.unborn_child_id),
        "status": plan.status,
        "agreed_on": plan.agreed_on.isoformat() if plan.agreed_on else None,
    }
    for name in TEMPLATE_FIELDS:
        value: object = plan.lead_professional_id if name == "lead_professional" else getattr(plan, name)
        if name == "lead_professional":
            value = str(value) if value else None
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[name] = value
    data["key_contacts"] = [
        {
            "agency": str(c.agency_id),
            "name": c.name,
            "role": c.role,
            "phone_in_hours": c.phone_in_hours,
            "phone_out_of_hours": c.phone_out_of_hours,
        }
        for c in contacts
    ]
    return data


def _check_contacts(key_contacts: Iterable[KeyContactFields]) -> None:
    for index, contact in enumerate(key_contacts):
        if not (contact.get("phone_in_hours") or contact.get("phone_out_of_hours")):
            raise ValidationError(
                {
                    f"key_contacts.{index}.phone_out_of_hours": "Give at least one phone number for this contact."
                }
            )


def _replace_contacts(plan: BirthPlan, key_contacts: Iterable[KeyContactFields]) -> list[KeyContact]:
    plan.key_contacts.all().delete()
    return KeyContact.objects.bulk_create([KeyContact(plan=plan, **contact) for contact in key_contacts])


def _write_version(plan: BirthPlan, contacts: Iterable[KeyContact], author: User, now: datetime) -> None:
    BirthPlanVersion.objects.create(
        plan=plan, version=plan.version, snapshot=snapshot(plan, contacts), author=author, created_at=now
    )


def _tell_incidents(plan: BirthPlan, change: str, actor: User, now: datetime) -> None:
    plan_in_force_changed.send(sender=BirthPlan, plan=plan, change=change, actor=actor, at=now)


def _shown_on_the_night(plan: BirthPlan) -> bool:
    """In force, or a draft already shared: the picture shows both (ooh.plans.queries.plans_for_the_night)."""
    return plan.status == PlanStatus.ACTIVE or (plan.status == PlanStatus.DRAFT and plan.shares.exists())


def _audit(action: str, plan: BirthPlan, actor: User, **detail: object) -> None:
    record_access(
        action=action,
        object_type="birth_plan",
        object_ids=[plan.pk],
        person_ids=[plan.mother_id, plan.unborn_child_id],
        actor=actor,
        detail={"version": plan.version, **detail},
    )


@transaction.atomic
def draft_plan(
    *,
    actor: User,
    mother: Person,
    unborn_child: Person,
    key_contacts: Sequence[KeyContactFields] = (),
    now: datetime | None = None,
    **fields: Any,  # the template's fields (TEMPLATE_FIELDS), as the serializer read them
) -> BirthPlan:
    """Start a plan for an unborn child as a draft, version 1."""
    now = now or timezone.now()
    if not policy.may_draft_plan(actor, mother, unborn_child):
        raise PermissionDenied(
            "Birth plans are drafted by a social worker or midwife whose agency has a case on the mother or baby."
        )
    _check_lead(actor, fields.get("lead_professional"))
    live = BirthPlan.objects.filter(
        unborn_child=unborn_child, status__in=(PlanStatus.DRAFT, PlanStatus.ACTIVE)
    )
    if any(
        not policy.may_keep_plan(actor, other)
        for other in live.select_related("lead_professional__membership")
    ):
        raise PermissionDenied(
            "This child already has a plan kept by another agency; only the lead professional's agency replaces it."
        )
    if unborn_child.status != PersonStatus.UNBORN:
        raise ValidationError(
            {"unborn_child": "A birth plan is for an unborn child; this person is not unborn."}
        )
    if mother.pk == unborn_child.pk:
        raise ValidationError({"mother": "The mother and the unborn child must be different people."})
    if fields["expected_date"] < timezone.localdate(now):
        raise ValidationError({"expected_date": "The expected date is in the past."})
    _check_contacts(key_contacts)
    plan = BirthPlan.objects.create(
        mother=mother,
        unborn_child=unborn_child,
        authoring_agency=actor.membership.agency,
        created_by=actor,
        **fields,
    )
    contacts = _replace_contacts(plan, key_contacts)
    _write_version(plan, contacts, actor, now)
    _audit(AccessAction.CREATE, plan, actor)
    return plan


def _locked(plan: BirthPlan) -> BirthPlan:
    return BirthPlan.objects.select_for_update().get(pk=plan.pk)


def _check_lead(actor: User, lead: User | None) -> None:
    """The lead professional is a member of the agency that writes the plan."""
    if lead is not None and getattr(
        getattr(lead, "membership", None), "agency_id", None
    ) != policy.agency_id_of(actor):
        raise ValidationError({"lead_professional": "The lead professional must be a member of your agency."})


def _require_keeper(actor: User, plan: BirthPlan, verb: str) -> None:
    if not policy.may_keep_plan(actor, plan):
        raise PermissionDenied(
            f"Only social workers, midwives and managers of the lead professional's agency {verb} this plan."
        )


def _check_current(plan: BirthPlan, based_on_version: int) -> None:
    """A change is to a draft or the plan in force, made to the version it is at."""
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.ACTIVE):
        raise Conflict(f"A {plan.status} plan cannot be changed.", code="plan_not_editable")
    if based_on_version != plan.version:
        raise Conflict(
            f"The plan is at version {plan.version}; you changed version {based_on_version}. Reload and try again.",
            code="stale_version",
        )


def _apply_changes(plan: BirthPlan, changes: dict[str, Any], now: datetime) -> None:
    """The template's fields in `changes` take their new values; a draft's expected date cannot be in
    the past."""
    for name, value in changes.items():
        if name in TEMPLATE_FIELDS:
            setattr(plan, name, value)
    if (
        "expected_date" in changes
        and changes["expected_date"] < timezone.localdate(now)
        and plan.status == PlanStatus.DRAFT
    ):
        raise ValidationError({"expected_date": "The expected date is in the past."})


@transaction.atomic
def revise_plan(
    *,
    actor: User,
    plan: BirthPlan,
    based_on_version: int,
    key_contacts: Sequence[KeyContactFields] | None = None,
    now: datetime | None = None,
    **changes: Any,  # as draft_plan's fields
) -> BirthPlan:
    """Change the plan as a new version; refused (409) if `based_on_version` is no longer current."""
    now = now or timezone.now()
    plan = _locked(plan)
    _require_keeper(actor, plan, "change")
    if "lead_professional" in changes:
        _check_lead(actor, changes["lead_professional"])
    _check_current(plan, based_on_version)
    _apply_changes(plan, changes, now)
    if key_contacts is not None:
        _check_contacts(key_contacts)
        _replace_contacts(plan, key_contacts)
    contacts = list(plan.key_contacts.select_related("agency"))
    if plan.status == PlanStatus.ACTIVE:
        gaps = activation_gaps(plan, contacts, agreed_on=plan.agreed_on)
        if gaps:
            raise ValidationError(gaps)
    plan.version += 1
    plan.save()
    _write_version(plan, contacts, actor, now)
    _audit(
        AccessAction.UPDATE,
        plan,
        actor,
        fields=sorted(changes) + (["key_contacts"] if key_contacts is not None else []),
    )
    if _shown_on_the_night(plan):
        _tell_incidents(plan, "revised", actor, now)
    return plan


@transaction.atomic
def activate_plan(
    *, actor: User, plan: BirthPlan, agreed_on: date | None, now: datetime | None = None
) -> BirthPlan:
    """Make a complete draft the plan in force; it supersedes any active plan for the same child."""
    now = now or timezone.now()
    plan = _locked(plan)
    _require_keeper(actor, plan, "activate")
    if plan.status != PlanStatus.DRAFT:
        raise Conflict(f"Only a draft can be activated; this plan is {plan.status}.", code="plan_not_draft")
    contacts = list(plan.key_contacts.select_related("agency"))
    gaps = activation_gaps(plan, contacts, agreed_on=agreed_on)
    if agreed_on is not None and agreed_on > timezone.localdate(now):
        gaps["agreed_on"] = "The professionals' meeting date cannot be in the future."
    if gaps:
        raise ValidationError(gaps)
    previous = list(
        BirthPlan.objects.select_for_update().filter(
            unborn_child_id=plan.unborn_child_id, status=PlanStatus.ACTIVE
        )
    )
    for old in previous:
        if not policy.may_keep_plan(actor, old):
            raise PermissionDenied(
                "The plan in force is kept by another agency; only the lead professional's agency replaces it."
            )
        old.status, old.superseded_by = PlanStatus.SUPERSEDED, plan
        old.save(update_fields=["status", "superseded_by", "updated_at"])
        _audit(AccessAction.UPDATE, old, actor, status=PlanStatus.SUPERSEDED, superseded_by=str(plan.pk))
    plan.status, plan.agreed_on, plan.activated_at, plan.activated_by = (
        PlanStatus.ACTIVE,
        agreed_on,
        now,
        actor,
    )
    plan.version += 1
    plan.save()
    _write_version(plan, contacts, actor, now)
    _audit(AccessAction.UPDATE, plan, actor, status=PlanStatus.ACTIVE)
    _tell_incidents(plan, "activated", actor, now)
    return plan


@transaction.atomic
def share_plan(
    *, actor: User, plan: BirthPlan, agencies: Iterable[Agency], now: datetime | None = None
) -> list[PlanShare]:
    """Share the plan with agencies (idempotent); each must then acknowledge the current version."""
    now = now or timezone.now()
    plan = _locked(plan)
    _require_keeper(actor, plan, "share")
    if plan.status in (PlanStatus.SUPERSEDED, PlanStatus.CLOSED):
        raise Conflict(f"A {plan.status} plan cannot be shared.", code="plan_not_shareable")
    existing = set(plan.shares.values_list("agency_id", flat=True))
    new = [
        PlanShare(plan=plan, agency=a, shared_by=actor, shared_at=now)
        for a in agencies
        if a.pk not in existing
    ]
    PlanShare.objects.bulk_create(new)
    _audit(
        AccessAction.DISCLOSE,
        plan,
        actor,
        shared_with=[str(s.agency_id) for s in new],
        disclosed_to=[s.agency.name for s in new],
    )
    if new and plan.status == PlanStatus.DRAFT and not existing:
        _tell_incidents(plan, "draft_shared", actor, now)  # a shared draft joins the picture
    elif new and _shown_on_the_night(plan):
        _tell_incidents(plan, "shared", actor, now)  # more agencies to read it: not_read_by grows
    return new


@transaction.atomic
def acknowledge_plan(
    *, actor: User, plan: BirthPlan, version: int | None = None, now: datetime | None = None
) -> Acknowledgement:
    """The caller's agency has read the current version (idempotent per agency and version)."""
    now = now or timezone.now()
    plan = _locked(plan)
    agency = actor.membership.agency
    if not policy.may_acknowledge_plan(actor, plan):
        raise PermissionDenied("This plan is not shared with your agency.")
    if plan.status in (PlanStatus.SUPERSEDED, PlanStatus.CLOSED):
        raise Conflict(
            f"This plan is {plan.status}; read the plan in force instead.", code="plan_not_current"
        )
    if version is not None and version != plan.version:
        raise Conflict(
            f"The plan is now at version {plan.version}; read it before acknowledging.", code="stale_version"
        )
    acknowledgement = Acknowledgement.objects.filter(plan=plan, agency=agency, version=plan.version).first()
    if acknowledgement is None:
        acknowledgement = Acknowledgement.objects.create(
            plan=plan, agency=agency, user=actor, version=plan.version, at=now
        )
        _audit(AccessAction.UPDATE, plan, actor, acknowledged=True)
        if _shown_on_the_night(plan):
            _tell_incidents(plan, "acknowledged", actor, now)  # who has read it tonight: the picture shows it
    return acknowledgement


@transaction.atomic
def close_plan(*, actor: User, plan: BirthPlan, reason: str, now: datetime | None = None) -> BirthPlan:
    """Close a plan that is no longer needed (the baby is born and the plan carried out, or withdrawn)."""
    now = now or timezone.now()
    plan = _locked(plan)
    _require_keeper(actor, plan, "close")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the plan is closed."})
    if plan.status in (PlanStatus.SUPERSEDED, PlanStatus.CLOSED):
        raise Conflict(f"This plan is already {plan.status}.", code="plan_not_open")
    was_in_force = _shown_on_the_night(plan)
    plan.status = PlanStatus.CLOSED
    plan.version += 1
    plan.save()
    _write_version(plan, list(plan.key_contacts.all()), actor, now)
    _audit(AccessAction.UPDATE, plan, actor, status=PlanStatus.CLOSED, reason=reason.strip()[:500])
    if was_in_force:
        _tell_incidents(plan, "closed", actor, now)
    return plan
