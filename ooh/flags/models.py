"""Flags: the warning markers on one person or one address that every responder must see first.

Records about people and addresses, so they sit in the core; the tables keep their first names
(alerts_flag, alerts_flagversion) from when flags lived beside the escalations."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class FlagGroup(models.TextChoices):
    OFFICER_SAFETY = "officer_safety", "Officer safety"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    VULNERABILITY = "vulnerability", "Vulnerability"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    HEALTH = "health", "Health"
    OTHER = "other", "Other"


class FlagCategory(models.TextChoices):
    VIOLENCE = "violence", "Violence"
    WEAPONS = "weapons", "Weapons"
    THREATS_TO_STAFF = "threats_to_staff", "Threats to staff"
    DANGEROUS_ANIMAL = "dangerous_animal", "Dangerous animal"
    CHILD_PROTECTION_PLAN = "child_protection_plan", "Child protection plan"
    UNBORN_CHILD_PROTECTION_PLAN = "unborn_child_protection_plan", "Unborn child protection plan"
    LOOKED_AFTER_CHILD = "looked_after_child", "Looked-after child"
    PRE_PROCEEDINGS = "pre_proceedings", "Pre-proceedings"
    REMOVAL_AT_BIRTH_PLAN = "removal_at_birth_plan", "Plan to remove at birth"
    FLIGHT_RISK = "flight_risk", "Flight risk"
    MISSING_PERSON = "missing_person", "Missing person"
    LEARNING_DISABILITY = "learning_disability", "Learning disability"
    MENTAL_HEALTH = "mental_health", "Mental health"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    SELF_HARM = "self_harm", "Self-harm"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    CONTROLLING_BEHAVIOUR = "controlling_behaviour", "Controlling behaviour"
    MARAC_CASE = "marac_case", "MARAC case"
    MEDICAL = "medical", "Medical"
    INFECTION_RISK = "infection_risk", "Infection risk"
    OTHER = "other", "Other"


GROUP_OF_CATEGORY = {
    **dict.fromkeys(
        ["violence", "weapons", "threats_to_staff", "dangerous_animal"], FlagGroup.OFFICER_SAFETY
    ),
    **dict.fromkeys(
        [
            "child_protection_plan",
            "unborn_child_protection_plan",
            "looked_after_child",
            "pre_proceedings",
            "removal_at_birth_plan",
            "flight_risk",
            "missing_person",
        ],
        FlagGroup.SAFEGUARDING,
    ),
    **dict.fromkeys(
        ["learning_disability", "mental_health", "substance_misuse", "self_harm"], FlagGroup.VULNERABILITY
    ),
    **dict.fromkeys(["domestic_abuse", "controlling_behaviour", "marac_case"], FlagGroup.DOMESTIC_ABUSE),
    **dict.fromkeys(["medical", "infection_risk"], FlagGroup.HEALTH),
    "other": FlagGroup.OTHER,
}


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK: dict[str, int] = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}
NEEDS_REVIEW_BY = frozenset({Severity.HIGH, Severity.CRITICAL})


class FlagStatus(models.TextChoices):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class FlagQuerySet(models.QuerySet["Flag"]):
    def in_force(self, now: datetime | None = None) -> Self:
        """Active now: not revoked, started, and not past valid_until (no job needs to expire it first)."""
        now = now or timezone.now()
        return self.filter(status=FlagStatus.ACTIVE, valid_from__lte=now).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=now)
        )

    def about(self, person_ids: Iterable[uuid.UUID], address_ids: Iterable[uuid.UUID] = ()) -> Self:
        """Flags on any of these people or addresses."""
        return self.filter(
            Q(subject_person_id__in=list(person_ids)) | Q(subject_address_id__in=list(address_ids))
        )


class Flag(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject_person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    subject_address = models.ForeignKey(
        "people.Address", null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    category = models.CharField(max_length=40, choices=FlagCategory.choices)
    group = models.CharField(max_length=24, choices=FlagGroup.choices, editable=False)
    severity = models.CharField(max_length=12, choices=Severity.choices)
    summary = models.CharField(
        max_length=200, help_text="What a call handler must know, readable at a glance."
    )
    handling_instructions = models.TextField(blank=True)
    source_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_flags",
        help_text="The professional who owns the concern.",
    )
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    review_by = models.DateField(null=True, blank=True)
    # Stored: `active` or `revoked`. `expired` is derived from valid_until when read.
    status = models.CharField(max_length=12, choices=FlagStatus.choices, default=FlagStatus.ACTIVE)
    version = models.PositiveIntegerField(default=1)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Provenance for import_records: the source system's key, so reruns update instead of duplicating.
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        db_table = "alerts_flag"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject_person__isnull=False, subject_address__isnull=True)
                | Q(subject_person__isnull=True, subject_address__isnull=False),
                name="flag_on_exactly_one_subject",
            ),
            models.CheckConstraint(condition=Q(category__in=FlagCategory.values), name="flag_category_known"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="flag_severity_known"),
            models.CheckConstraint(
                condition=Q(status__in=[FlagStatus.ACTIVE, FlagStatus.REVOKED]), name="flag_status_stored"
            ),
            models.CheckConstraint(
                condition=~Q(severity__in=sorted(NEEDS_REVIEW_BY)) | Q(review_by__isnull=False),
                name="flag_high_needs_review_by",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="flag_valid_until_after_from",
            ),
        ]
        indexes = [
            models.Index(fields=["subject_person"], condition=Q(status="active"), name="flag_active_person"),
            models.Index(
                fields=["subject_address"], condition=Q(status="active"), name="flag_active_address"
            ),
            models.Index(fields=["created_at"], name="alerts_flag_created_466600_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.category} ({self.severity}): {self.summary}"

    def effective_status(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.status == FlagStatus.ACTIVE and self.valid_until is not None and self.valid_until <= now:
            return FlagStatus.EXPIRED
        return self.status

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK[self.severity]


class FlagVersion(models.Model):
    """The flag as it was after each write: edits and revocations keep their history."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    change = models.CharField(max_length=16)

    class Meta:
        db_table = "alerts_flagversion"
        ordering = ["flag", "version"]
        constraints = [models.UniqueConstraint(fields=["flag", "version"], name="flag_version_unique")]

    def __str__(self) -> str:
        return f"{self.flag_id} v{self.version} ({self.change})"


def flag_sort_key(flag: Flag) -> tuple[int, int, float, str]:
    """Officer safety first, then severity (critical first), then newest first (then by id, so the
    order is total and the PostgreSQL path of the linked picture gives the same)."""
    return (
        0 if flag.group == FlagGroup.OFFICER_SAFETY else 1,
        -SEVERITY_RANK[flag.severity],
        -flag.created_at.timestamp(),
        str(flag.pk),
    )
