"""Live incidents: who is coming, who decides, what was decided, and the gapless event log behind it all."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ooh.audit.models import AppendOnlyModel


class IncidentKind(models.TextChoices):
    BIRTH = "birth", "Birth"
    WELFARE_CONCERN = "welfare_concern", "Welfare concern"
    DOMESTIC = "domestic", "Domestic incident"
    OTHER = "other", "Other"


class IncidentStatus(models.TextChoices):
    OPEN = "open"
    CLOSED = "closed"


class AttendanceStatus(models.TextChoices):
    REQUESTED = "requested", "Asked to attend, no answer yet"
    ACKNOWLEDGED = "acknowledged", "Request seen, not yet confirmed"
    ATTENDING = "attending", "Coming"
    EN_ROUTE = "en_route", "On the way"
    ON_SCENE = "on_scene", "On scene"
    CANNOT_ATTEND = "cannot_attend", "Cannot attend"
    LEFT = "left", "Left the scene"
    STOOD_DOWN = "stood_down", "Stood down"


class AppointmentRole(models.TextChoices):
    LEAD_PROFESSIONAL = "lead_professional", "Lead professional"
    DECISION_MAKER = "decision_maker", "Decision maker"


class InvolvementReason(models.TextChoices):
    OPENED = "opened", "Opened the incident"
    STAKEHOLDER = "stakeholder", "Holds flags or a birth plan for someone in it"
    REQUESTED = "requested", "Asked to attend"
    DECLARED = "declared", "Declared itself"
    APPOINTED = "appointed", "A member was appointed"


class ReferenceCounter(models.Model):
    """The last incident number of each year: OOH-2026-000123."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Incident(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=24, choices=IncidentKind.choices)
    status = models.CharField(max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    summary = models.TextField()
    address = models.ForeignKey(
        "people.Address", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location_text = models.CharField(max_length=300, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opening_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.TextField(blank=True)
    # The seq of the last event; incremented under the row lock, so events have no gaps and no duplicates.
    last_seq = models.PositiveIntegerField(default=0)
    lead_professional = models.ForeignKey(
        "Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_maker = models.ForeignKey(
        "Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["status", "opened_at"]), models.Index(fields=["opened_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=IncidentKind.values), name="incident_kind_known"),
            models.CheckConstraint(
                condition=Q(status__in=IncidentStatus.values), name="incident_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class IncidentSubject(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="subjects")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="incident_subjects")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "person"], name="incident_subject_once")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.incident_id}"


class IncidentAgency(models.Model):
    """An agency involved in an incident: its members may read it and its feed hears of it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="agencies")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=16, choices=InvolvementReason.choices)
    since = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "agency"], name="incident_agency_once")]
        indexes = [models.Index(fields=["agency", "incident"])]

    def __str__(self) -> str:
        return f"{self.agency_id} in {self.incident_id} ({self.reason})"


class Attendance(models.Model):
    """One agency's answer to "are you coming?" - never ambiguous."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attendance")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=AttendanceStatus.choices)
    requested_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    respond_by = models.DateTimeField(null=True, blank=True)
    eta = models.DateTimeField(null=True, blank=True)
    agreed_role = models.TextField(blank=True, help_text="What the agency will do instead of attending.")
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["requested_at", "updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "agency"], name="attendance_once_per_agency"),
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values), name="attendance_status_known"
            ),
        ]
        indexes = [models.Index(fields=["status", "respond_by"]), models.Index(fields=["status", "eta"])]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.status}"


class Appointment(models.Model):
    """A lead professional or decision maker, named by someone with a reason; the incident points at the current one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="appointments")
    role = models.CharField(max_length=24, choices=AppointmentRole.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    appointed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    at = models.DateTimeField()
    # The appointee's answer: accepted (the chase for a decision maker ends) or declined (with a reason;
    # the incident no longer points at it). Neither while the appointment awaits its answer.
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(declined_at__isnull=True),
                name="appointment_accepted_or_declined",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.user_id}"

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None


class PresenceStatus(models.TextChoices):
    ON_SCENE = "on_scene", "On scene"
    LEFT = "left", "Left the scene"


class Presence(models.Model):
    """One person on scene, or who has left, as they said themselves (an agency's attendance says whether
    the agency is there; this says who). One row per person per incident."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=PresenceStatus.choices)
    since = models.DateTimeField(help_text="When the status began: the arrival on scene, or the leaving.")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["since", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "user"], name="presence_once_per_user"),
            models.CheckConstraint(
                condition=Q(status__in=PresenceStatus.values), name="presence_status_known"
            ),
        ]
        indexes = [models.Index(fields=["incident", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.status}"


class Decision(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="decisions")
    decision = models.TextField()
    rationale = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return self.decision[:60]


class FlagAcknowledgement(models.Model):
    """A read receipt: this person has read this flag for this incident ("did they see it?")."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="flag_acknowledgements")
    flag = models.ForeignKey("flags.Flag", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "flag", "user"], name="flag_read_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.flag_id}"


class Event(AppendOnlyModel):
    """The incident's timeline: one row per change, seq 1, 2, 3... written in the change's transaction."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict)
    request_id = models.CharField(
        max_length=64, blank=True, default="", help_text="The request (or task) that made the change."
    )

    class Meta:
        ordering = ["incident", "seq"]
        constraints = [models.UniqueConstraint(fields=["incident", "seq"], name="event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.incident_id}#{self.seq} {self.type}"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed to retries for 24 hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="Method, path and body of the first request.")
    status_code = models.PositiveSmallIntegerField(default=0, help_text="0 while the first request runs.")
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
