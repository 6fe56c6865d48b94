"""Birth plans on one standard template: versioned, shared with agencies, acknowledged per version."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ooh.audit.models import AppendOnlyModel


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft, not agreed"
    ACTIVE = "active", "Agreed"
    SUPERSEDED = "superseded", "Superseded"
    CLOSED = "closed", "Closed"


class ChildProtectionStatus(models.TextChoices):
    NONE = "none", "No child protection status"
    CHILD_IN_NEED = "child_in_need", "Child in need"
    CHILD_PROTECTION_PLAN = "child_protection_plan", "Child protection plan"
    UNBORN_CHILD_PROTECTION_PLAN = "unborn_child_protection_plan", "Unborn child protection plan"


class LegalStatus(models.TextChoices):
    NONE = "none", "No court order or proceedings"
    PRE_PROCEEDINGS = "pre_proceedings", "Pre-proceedings"
    CARE_PROCEEDINGS_ISSUED = "care_proceedings_issued", "Care proceedings issued"
    INTERIM_CARE_ORDER_GRANTED = "interim_care_order_granted", "Interim care order"
    OTHER = "other", "Other legal status"


class BirthPlan(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mother = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="birth_plans_as_mother"
    )
    unborn_child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="birth_plans")
    expected_date = models.DateField()
    planned_place_of_birth = models.CharField(max_length=200, blank=True)
    hospital = models.CharField(max_length=200, blank=True)
    lead_professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_birth_plans",
    )
    child_protection_status = models.CharField(
        max_length=32, choices=ChildProtectionStatus.choices, default=ChildProtectionStatus.NONE
    )
    child_protection_since = models.DateField(
        null=True, blank=True, help_text="When the child protection status began (the conference's date)."
    )
    legal_status = models.CharField(max_length=32, choices=LegalStatus.choices, default=LegalStatus.NONE)
    legal_status_since = models.DateField(
        null=True,
        blank=True,
        help_text="When the legal status began (letter before proceedings, issue, order).",
    )
    plan_at_birth = models.TextField(blank=True)
    home_birth_contingency = models.TextField(
        blank=True, help_text="What happens if the baby is born at home or before the due date."
    )
    out_of_hours_instructions = models.TextField(blank=True)
    parents_aware_of_plan = models.BooleanField(null=True, blank=True)
    parents_not_aware_reason = models.TextField(blank=True)
    people_excluded = models.JSONField(
        default=list, blank=True, help_text="[{name, reason}] excluded from the ward."
    )
    discharge_arrangements = models.TextField(blank=True)

    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    version = models.PositiveIntegerField(default=1)
    authoring_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    agreed_on = models.DateField(null=True, blank=True, help_text="Agreed at the professionals' meeting.")
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unborn_child"], condition=Q(status="active"), name="one_active_birth_plan_per_child"
            ),
            models.CheckConstraint(
                condition=~Q(mother=models.F("unborn_child")), name="birth_plan_mother_not_child"
            ),
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="birth_plan_status_known"),
        ]
        indexes = [
            models.Index(fields=["mother"], condition=Q(status="active"), name="birth_plan_active_mother"),
            models.Index(fields=["unborn_child", "status"]),
            # The night's plans by mother include shared drafts, which the partial index above leaves out.
            models.Index(fields=["mother", "status"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"Birth plan {self.pk} v{self.version} ({self.status})"


class KeyContact(models.Model):
    """Who to call in each agency, in and out of hours."""

    plan = models.ForeignKey(BirthPlan, on_delete=models.CASCADE, related_name="key_contacts")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=150, blank=True)
    phone_in_hours = models.CharField(max_length=24, blank=True)
    phone_out_of_hours = models.CharField(max_length=24, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency_id})"


class BirthPlanVersion(AppendOnlyModel):
    """The plan exactly as it was at each version; never changed once written."""

    plan = models.ForeignKey(BirthPlan, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "version"]
        constraints = [models.UniqueConstraint(fields=["plan", "version"], name="birth_plan_version_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.version}"


class PlanShare(models.Model):
    plan = models.ForeignKey(BirthPlan, on_delete=models.CASCADE, related_name="shares")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField()

    class Meta:
        ordering = ["shared_at"]
        constraints = [models.UniqueConstraint(fields=["plan", "agency"], name="plan_shared_once_per_agency")]

    def __str__(self) -> str:
        return f"{self.plan_id} shared with {self.agency_id}"


class Acknowledgement(AppendOnlyModel):
    """An agency, through one of its members, has read version N of the plan."""

    plan = models.ForeignKey(BirthPlan, on_delete=models.PROTECT, related_name="acknowledgements")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "agency", "version"], name="acknowledged_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} read {self.plan_id} v{self.version}"
