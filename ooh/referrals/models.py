"""Concerns with an owner, referrals that are allocated and answered, the pre-birth protocol's recorded
milestones, and DASH risk assessments (the second case review: Baby A).

A concern belongs to the professional who raised it until a colleague accepts a transfer; consulting a
colleague is recorded and never moves it. Only the owner refers. Times are stored in UTC; deadlines are
counted in working days (ooh/referrals/calendar.py).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ooh.audit.models import AppendOnlyModel


class ConcernStatus(models.TextChoices):
    OPEN = "open"
    CLOSED = "closed"


class Concern(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    summary = models.TextField()
    referral_required = models.BooleanField()
    status = models.CharField(max_length=12, choices=ConcernStatus.choices, default=ConcernStatus.OPEN)
    # Who raised it: never changes, and hears every escalation and the outcome.
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_by_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    # Who owns it now: the raiser until a transfer is accepted.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_concerns"
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ConcernStatus.values), name="concern_status_known"),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(close_reason=""), name="concern_closed_with_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "referral_required", "created_at"]),
            models.Index(fields=["owner", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference


class ConcernSubject(models.Model):
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="subjects")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="concerns")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["concern", "person"], name="concern_subject_once")]

    def __str__(self) -> str:
        return f"{self.concern_id}: {self.person_id}"


class Consultation(AppendOnlyModel):
    """The owner told a colleague (a GP, a consultant): on the record, and ownership stays put."""

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="consultations")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    with_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.concern_id}: {self.by_id} consulted {self.with_user_id}"


class TransferStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"


class ConcernTransfer(models.Model):
    """An offer of ownership: nothing moves until the named colleague accepts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="transfers")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offered_concerns"
    )
    status = models.CharField(max_length=12, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["concern"], condition=Q(status="pending"), name="one_pending_transfer_per_concern"
            )
        ]

    def __str__(self) -> str:
        return f"{self.concern_id}: {self.from_user_id} -> {self.to_user_id} ({self.status})"


class ReferralStatus(models.TextChoices):
    UNALLOCATED = "unallocated"
    ALLOCATED = "allocated"
    COMPLETED = "completed"


class ReferralOutcome(models.TextChoices):
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    EARLY_HELP = "early_help", "Early help"
    CHILD_IN_NEED_ASSESSMENT = "child_in_need_assessment", "Child in need assessment"
    STRATEGY_DISCUSSION_SECTION_47 = (
        "strategy_discussion_section_47",
        "Strategy discussion and section 47 enquiry",
    )
    PRE_BIRTH_ASSESSMENT = "pre_birth_assessment", "Pre-birth assessment"


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="referrals")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="referrals_received"
    )
    made_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.UNALLOCATED
    )
    allocated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocated_referrals",
    )
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allocated_at = models.DateTimeField(null=True, blank=True)
    # The receiving agency's first word back to the referrer (a response, or the outcome).
    first_response_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=40, choices=ReferralOutcome.choices, blank=True)
    outcome_explanation = models.TextField(blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["made_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="referral_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status="unallocated") | Q(allocated_to__isnull=False) | ~Q(outcome=""),
                name="referral_allocated_has_social_worker",
            ),
        ]
        indexes = [
            models.Index(fields=["to_agency", "status", "made_at"]),
            models.Index(fields=["status", "made_at"]),
        ]

    def __str__(self) -> str:
        return self.reference


class ReferralResponse(AppendOnlyModel):
    """The receiving agency writing back to the referrer (received, screening, more information needed)."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="responses")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.referral_id} answered at {self.at:%Y-%m-%d %H:%M}"


class ReferenceCounter(models.Model):
    """The last number issued per kind and year, for human references (CON-2026-000012)."""

    kind = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="referral_reference_counter")]

    def __str__(self) -> str:
        return f"{self.kind}-{self.year}: {self.last}"


class Milestone(models.TextChoices):
    """The pre-birth protocol, in order (settings.PREBIRTH_MILESTONE_WEEKS gives each its week)."""

    REFERRAL = "referral", "Referral to children's social care"
    PRE_BIRTH_ASSESSMENT = "pre_birth_assessment", "Pre-birth assessment complete"
    INITIAL_CONFERENCE = "initial_conference", "Initial child protection conference held"
    BIRTH_PLAN_AGREED = "birth_plan_agreed", "Birth plan agreed"
    BIRTH_PLAN_SHARED = (
        "birth_plan_shared",
        ("Birth plan shared with and acknowledged by out-of-hours social care, police and midwifery"),
    )


# Milestones that nothing else in the service records: a professional records that they were met.
RECORDED_MILESTONES = (Milestone.PRE_BIRTH_ASSESSMENT, Milestone.INITIAL_CONFERENCE)


class MilestoneRecord(models.Model):
    """A pre-birth milestone met, recorded by a professional (the assessment, the conference)."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="milestone_records")
    milestone = models.CharField(max_length=32, choices=Milestone.choices)
    met_on = models.DateField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["met_on"]
        constraints = [
            models.UniqueConstraint(fields=["person", "milestone"], name="milestone_recorded_once")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.milestone} on {self.met_on}"


class RiskLevel(models.TextChoices):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


class DashAssessment(AppendOnlyModel):
    """A DASH risk checklist (SafeLives, 24 questions) about a victim of domestic abuse."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="dash_assessments")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField(help_text='{"1": "yes" | "no" | "not_known", ... "24": ...}')
    score = models.PositiveSmallIntegerField()
    risk_level = models.CharField(max_length=12, choices=RiskLevel.choices)
    professional_judgement_high_risk = models.BooleanField(default=False)
    incidents_last_12_months = models.PositiveSmallIntegerField(default=0)
    marac_referral_recommended = models.BooleanField()
    reasons = models.JSONField(default=list)
    flag = models.ForeignKey("flags.Flag", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["person", "-at"])]

    def __str__(self) -> str:
        return f"DASH {self.person_id} {self.score} ({self.risk_level})"
