"""Legal holds and the tombstones retention leaves (ooh/records/retention.py).

A legal hold keeps records from disposal while an inquiry, a case review or a court needs them; it is
released, never deleted, so the record of who held what and why stays. A tombstone is what is left
where a record was disposed of: which record, under which rule, from which date, by which run. It names
no one: the record's id and reference only, so the audit rows that name the record still point at
something, and a subject access request can say that a record existed and when it went.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ooh.audit.models import AppendOnlyModel


class HoldScope(models.TextChoices):
    PERSON = "person", "A person and every record they are a subject of"
    AGENCY = "agency", "Every record an agency owns"
    INCIDENT = "incident", "One incident"


class LegalHold(models.Model):
    """Records kept from disposal (an inquiry ordered it), by the data protection officer, with a reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope = models.CharField(max_length=16, choices=HoldScope.choices)
    # The held person's, agency's or incident's id: no foreign key, so a hold never blocks anything
    # but disposal, and outlives nothing it protects.
    target_id = models.UUIDField()
    reason = models.TextField()
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(condition=Q(scope__in=HoldScope.values), name="legal_hold_scope_known"),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_by__isnull=False),
                name="legal_hold_released_by_someone",
            ),
        ]
        indexes = [
            models.Index(
                fields=["scope", "target_id"],
                condition=Q(released_at__isnull=True),
                name="legal_hold_in_force",
            )
        ]

    def __str__(self) -> str:
        state = "released" if self.released_at else "in force"
        return f"Hold on {self.scope} {self.target_id} ({state})"

    @property
    def in_force(self) -> bool:
        return self.released_at is None


class RunTrigger(models.TextChoices):
    COMMAND = "command", "apply_retention, run by hand"
    BEAT = "beat", "The nightly task"


class RetentionRun(models.Model):
    """One run of apply_retention that disposed of records (a dry run writes nothing, this neither)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    today = models.DateField(help_text="The date the schedule was applied as of.")
    trigger = models.CharField(max_length=16, choices=RunTrigger.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    disposed = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0, help_text="Records due but kept by a legal hold.")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Retention run of {self.today} ({self.disposed} disposed, {self.held} held)"


class Disposal(models.TextChoices):
    DELETE = "delete", "Deleted"
    ANONYMISE = "anonymise", "Anonymised"


class Tombstone(AppendOnlyModel):
    """Where a record was disposed of: what it was, the rule, the dates, the run. Never changed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="tombstones")
    record_type = models.CharField(max_length=16, help_text="incident, concern or person.")
    record_id = models.UUIDField()
    reference = models.CharField(max_length=20, blank=True, help_text="OOH-2026-000123; blank for a person.")
    record_class = models.CharField(max_length=40)
    rule = models.CharField(max_length=200, help_text="The rule in words, with whose override it was.")
    agency_code = models.CharField(
        max_length=40, blank=True, help_text="The owning agency, whose rule applied."
    )
    ran_from = models.DateField()
    due_on = models.DateField()
    disposal = models.CharField(max_length=16, choices=Disposal.choices)
    disposed_at = models.DateTimeField()

    class Meta:
        ordering = ["-disposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id"], name="tombstone_once_per_record")
        ]

    def __str__(self) -> str:
        return f"{self.record_type} {self.reference or self.record_id} {self.disposal} ({self.record_class})"
