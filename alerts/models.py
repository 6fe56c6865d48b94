"""Escalations and their notifications: what the rules raise, whom they tell, and each push."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class EscalationStatus(models.TextChoices):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Escalation(models.Model):
    """One level of a chain raised by a rule about one subject; unique per (rule, subject, level).

    `token` is the chain's guard (DESIGN habit 4): a scheduled climb acts only if the token it was given
    is still the stored one; acknowledging or resolving rotates it, so late or duplicate tasks do nothing.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rule = models.CharField(max_length=40)
    subject_key = models.CharField(
        max_length=120, help_text="What the rule is about, e.g. an attendance row and its deadline."
    )
    level = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=EscalationStatus.choices, default=EscalationStatus.OPEN)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    message = models.TextField()
    due_at = models.DateTimeField(help_text="When the condition became due.")
    raised_at = models.DateTimeField()
    next_level_at = models.DateTimeField(
        null=True, blank=True, help_text="When to climb if nobody acknowledges."
    )
    token = models.UUIDField(default=uuid.uuid4)
    # The rule in force when the chain started (waits, levels): later setting changes do not rewrite it.
    rule_snapshot = models.JSONField(default=dict)
    addressed_users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="escalations", blank=True)
    addressed_agencies = models.ManyToManyField("accounts.Agency", related_name="escalations", blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key", "level"], name="escalation_once_per_level"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_level_at"], condition=Q(status="open"), name="escalation_open_next_level"
            ),
            models.Index(fields=["status", "rule"]),
            models.Index(fields=["raised_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.rule} L{self.level} {self.subject_key} ({self.status})"


class Notification(models.Model):
    """A user's inbox entry; the inbox copy is the record, push is only a courtesy."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "escalation"],
                condition=Q(escalation__isnull=False),
                name="notified_once_per_escalation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class PushStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class PushDelivery(models.Model):
    """One push of one notification to one device through the configured backend; retried, then failed."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    device = models.ForeignKey(
        "accounts.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    backend = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=PushStatus.choices, default=PushStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "push deliveries"
        indexes = [models.Index(fields=["status", "updated_at"])]
        constraints = [
            models.UniqueConstraint(fields=["notification", "device", "backend"], name="push_once_per_device")
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} -> {self.device_id} ({self.status})"
