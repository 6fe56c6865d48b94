"""Break-glass: time-limited access to one person's records outside the need-to-know rules, always reviewed."""

import uuid

from django.conf import settings
from django.db import models


class BreakGlass(models.Model):
    """A user opened a person's records in an emergency, with a reason; their manager reviews it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["user", "expires_at"]),
            models.Index(fields=["agency", "reviewed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} broke glass on {self.person_id} at {self.opened_at:%Y-%m-%d %H:%M}"


class ReviewerGrant(models.Model):
    """A named user may read one incident's or one concern's chronology for a review, until it expires.

    Granted by a manager of the lead agency with a reason, audited, and listed to every agency on the
    record; revoked early by a manager of the same agency. Exactly one of incident and concern is set.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    concern = models.ForeignKey(
        "referrals.Concern", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    review = models.CharField(max_length=200, help_text="The review it serves, e.g. 'LCSPR Family C19'.")
    reason = models.TextField()
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", help_text="The lead agency."
    )
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(incident__isnull=False, concern__isnull=True)
                | models.Q(incident__isnull=True, concern__isnull=False),
                name="reviewer_grant_one_record",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")), name="reviewer_grant_expires_later"
            ),
        ]
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return (
            f"{self.user_id} reviews {self.incident_id or self.concern_id} until {self.expires_at:%Y-%m-%d}"
        )
