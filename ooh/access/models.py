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
