"""The append-only, hash-chained access log: who read or changed what, when, under which incident or reason."""

import uuid
from collections.abc import Iterable
from typing import Any, NoReturn, TypeVar

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit row."""


_M = TypeVar("_M", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit rows are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit rows are append-only")

    def bulk_update(
        self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None
    ) -> NoReturn:
        raise AppendOnlyError("audit rows are append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit rows are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit rows are append-only")


class AccessAction(models.TextChoices):
    READ = "read"
    SEARCH = "search"
    CREATE = "create"
    UPDATE = "update"
    REVOKE = "revoke"
    EXPORT = "export"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    REFUSED = "refused"  # an authorisation refused
    BREAK_GLASS = "break_glass"  # emergency access opened outside the rules
    ERASE = "erase"  # a record disposed of under the retention schedule (ooh/records/retention.py)
    DISCLOSE = "disclose"  # a record given to another agency (detail.disclosed_to names it)


# What each write does to a record, in the words of a justification (record_access's default one).
WRITE_VERBS = {
    AccessAction.CREATE: "recorded",
    AccessAction.UPDATE: "changed",
    AccessAction.REVOKE: "revoked",
    AccessAction.DISCLOSE: "disclosed",
    AccessAction.ERASE: "erased",
}


class AccessLog(AppendOnlyModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="As given, also for failed logins.")
    agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    object_type = models.CharField(max_length=40)
    object_ids = models.JSONField(default=list)
    incident_id = models.UUIDField(null=True, blank=True, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # The hash chain (chain.py): tampering with a row, its people, or the order shows in verify_audit.
    chain_seq = models.BigIntegerField(unique=True, editable=False, help_text="1, 2, 3... with no gaps.")
    prev_hash = models.CharField(max_length=64, editable=False, help_text="The previous row's hash.")
    hash = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of prev_hash and this row's content and people."
    )

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.object_type}"


class AccessedPerson(AppendOnlyModel):
    """One row per person disclosed by an access, so 'who has seen this person?' is an indexed query."""

    log = models.ForeignKey(AccessLog, on_delete=models.PROTECT, related_name="people")
    person_id = models.UUIDField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["log", "person_id"], name="accessed_person_once")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.log_id}"
