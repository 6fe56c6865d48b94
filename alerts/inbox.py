"""A user's notification inbox: the record of every notice, whatever happened to its push."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from ooh.accounts.models import User

from .models import Notification


def inbox_of(user: User) -> QuerySet[Notification]:
    """Only the user's own notices: nobody reads another's inbox."""
    return Notification.objects.filter(user=user)


def mark_read(*, user: User, notification: Notification, now: datetime | None = None) -> Notification:
    """Read once: the first reading's time is kept (a retried or repeated read changes nothing)."""
    if notification.user_id != user.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now or timezone.now()
        )
        notification.refresh_from_db(fields=["read_at"])
    return notification
