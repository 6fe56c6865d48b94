"""Agencies, users and their one membership (agency + role), and the per-device login records."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models

from .phones import PHONE_NUMBER_MAX_LENGTH, validate_phone_number


class AgencyKind(models.TextChoices):
    POLICE = "police", "Police"
    AMBULANCE = "ambulance", "Ambulance service"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    OOH_SOCIAL_CARE = "ooh_social_care", "Out-of-hours social care"
    MIDWIFERY = "midwifery", "Midwifery"
    HEALTH = "health", "Health"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    CALL_HANDLER = "call_handler", "Call handler"
    CONTROL_ROOM_SUPERVISOR = "control_room_supervisor", "Control room supervisor"
    RESPONDER = "responder", "Responder"
    SOCIAL_WORKER = "social_worker", "Social worker"
    OOH_SOCIAL_WORKER = "ooh_social_worker", "Out-of-hours social worker"
    MIDWIFE = "midwife", "Midwife"
    PRACTITIONER = "practitioner", "Practitioner"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"
    # Answers subject access requests, places legal holds and oversees retention (ooh/records); sees no
    # family's records at work, only what a request for them exports, audited.
    DATA_PROTECTION_OFFICER = "data_protection_officer", "Data protection officer"
    # An independent reviewer (a case review's author): reads only the chronologies a manager grants
    # them by name (ooh/access/reviews.py), and does no casework.
    REVIEWER = "reviewer", "Independent reviewer"


# Roles that run an incident from a control room (request and stand down attendance).
CONTROL_ROOM_ROLES = frozenset({Role.CALL_HANDLER, Role.CONTROL_ROOM_SUPERVISOR})
# Roles that manage their agency's staff and its escalations.
MANAGER_ROLES = frozenset({Role.MANAGER, Role.CONTROL_ROOM_SUPERVISOR})

agency_code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{1,39}$", "Use 2 to 40 lower-case letters, digits or hyphens, e.g. 'police-west'."
)


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def agency_role(self) -> "tuple[Agency, str] | tuple[None, None]":
        """(agency, role) of the user's membership, or (None, None) for a user without one."""
        membership: Membership | None = getattr(self, "membership", None)
        return (membership.agency, membership.role) if membership else (None, None)


class Agency(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=40, unique=True, validators=[agency_code_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    out_of_hours_phone = models.CharField(
        max_length=PHONE_NUMBER_MAX_LENGTH, blank=True, validators=[validate_phone_number]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=AgencyKind.values), name="agency_kind_known")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Membership(models.Model):
    """The one agency and one role a user acts for."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    # The user's line manager, where the agency records one: the next rung of a casework escalation
    # (the owner's manager; above an agency's managers, its next level). Unset: the agency's managers.
    reports_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_known")
        ]
        indexes = [models.Index(fields=["agency", "role"])]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.agency.code}"


class WebsocketTicket(models.Model):
    """A single-use, short-lived ticket for opening a websocket without a long-lived token in a URL.

    Only the SHA-256 digest is stored; redeeming is a compare-and-set on used_at. The ticket remembers
    the login token it was issued under: revoking that token voids the ticket and closes its socket.
    """

    digest = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(settings.KNOX_TOKEN_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ticket for {self.user_id} until {self.expires_at:%H:%M:%S}"


class TokenDevice(models.Model):
    """The device a knox token was issued to, so a user can see and revoke each phone's session."""

    token = models.OneToOneField("knox.AuthToken", on_delete=models.CASCADE, related_name="device")
    device_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.device_name


class PushPlatform(models.TextChoices):
    FCM = "fcm", "Firebase Cloud Messaging"
    APNS = "apns", "Apple Push Notification service"
    WEBPUSH = "webpush", "Web Push"


class Device(models.Model):
    """A phone or browser registered for push notifications."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    platform = models.CharField(max_length=16, choices=PushPlatform.choices)
    push_token = models.CharField(max_length=4096)
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "push_token"], name="device_push_token_unique"),
            models.CheckConstraint(
                condition=models.Q(platform__in=PushPlatform.values), name="device_platform_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.platform})"
