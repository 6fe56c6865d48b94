"""People, addresses, where people live, and how they are related: the nodes and edges of the linked picture."""

import re
import uuid
from collections.abc import Iterable
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from .folding import search_form


class PersonStatus(models.TextChoices):
    UNBORN = "unborn", "Unborn"
    LIVING = "living", "Living"
    DECEASED = "deceased", "Deceased"


class Sex(models.TextChoices):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class IdentifierScheme(models.TextChoices):
    NHS_NUMBER = "nhs_number", "NHS number"
    PNC_ID = "pnc_id", "PNC ID"
    SOCIAL_CARE_ID = "social_care_id", "Social care ID"
    LOCAL = "local", "Local"


class RelationshipKind(models.TextChoices):
    MOTHER_OF = "mother_of"
    FATHER_OF = "father_of"
    PARENT_OF = "parent_of"
    PARTNER_OF = "partner_of"
    EX_PARTNER_OF = "ex_partner_of"
    SIBLING_OF = "sibling_of"
    HOUSEHOLD_MEMBER_OF = "household_member_of"
    CARER_OF = "carer_of"
    ASSOCIATE_OF = "associate_of"


class Person(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100)
    aliases = models.JSONField(default=list, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    expected_date = models.DateField(
        null=True, blank=True, help_text="Expected date of birth of an unborn child."
    )
    # db_default too: the bulk loaders (COPY) name their columns and leave this one to the database.
    place_of_birth = models.CharField(
        max_length=200, blank=True, default="", db_default="", help_text="Where a birth was recorded."
    )
    status = models.CharField(max_length=16, choices=PersonStatus.choices, default=PersonStatus.LIVING)
    sex = models.CharField(max_length=16, choices=Sex.choices, null=True, blank=True)
    # Names and aliases in search_form, maintained by the actions, so one column answers name search.
    search_text = models.TextField(blank=True, editable=False)
    # The source system's key (import_records): reruns update instead of duplicating.
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The agency that recorded the person: the person is one of its cases (ooh.access).
    recorded_by_agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [
            models.Index(fields=["family_name", "given_name"]),
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PersonStatus.values), name="person_status_known"),
            models.CheckConstraint(
                condition=~Q(status=PersonStatus.UNBORN) | Q(date_of_birth__isnull=True),
                name="unborn_has_no_date_of_birth",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p)

    def refresh_search_text(self) -> None:
        self.search_text = self.search_text_of(self.given_name, self.family_name, self.aliases)

    @staticmethod
    def search_text_of(given_name: str, family_name: str, aliases: Iterable[str]) -> str:
        """What a search matches: the names and aliases, folded (also for rows written without a model)."""
        return search_form(" ".join([given_name, family_name, *aliases]))

    def clean(self) -> None:
        if self.status == PersonStatus.UNBORN:
            if self.date_of_birth is not None:
                raise ValidationError(
                    {"date_of_birth": "An unborn person has no date of birth; use expected_date."}
                )
            if self.expected_date is None:
                raise ValidationError({"expected_date": "An unborn person needs an expected_date."})


class PersonIdentifier(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=24, choices=IdentifierScheme.choices)
    value = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "value"], name="identifier_unique_per_scheme"),
        ]
        indexes = [models.Index(fields=["value"])]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"


_POSTCODE_SPACES = re.compile(r"\s+")
# A UK postcode, any case, any spacing: 'NE1 4ST', 'sw1a1aa'.
UK_POSTCODE = r"^\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}\s*$"


def normalise_postcode(raw: str) -> str:
    """Upper case with exactly one space before the inward code: ' sw1a1aa ' -> 'SW1A 1AA'."""
    compact = _POSTCODE_SPACES.sub("", raw or "").upper()
    if len(compact) > 3:
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


class Address(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, db_index=True)
    uprn = models.BigIntegerField(
        null=True, blank=True, unique=True, help_text="Unique Property Reference Number"
    )
    search_text = models.TextField(blank=True, editable=False)
    # The source system's key (import_records): reruns update instead of duplicating.
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["postcode", "line1"]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return ", ".join(p for p in (self.line1, self.line2, self.town, self.postcode) if p)

    def refresh_search_text(self) -> None:
        self.search_text = self.search_text_of(self.line1, self.line2, self.town, self.postcode)

    @staticmethod
    def search_text_of(line1: str, line2: str, town: str, postcode: str) -> str:
        """What a search matches: the lines, town and postcode, folded (also for rows written without a model)."""
        return search_form(" ".join([line1, line2, town, postcode]))


class Residence(models.Model):
    """A person lived or lives at an address; at most one current address per person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="residences")
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="residences")
    current = models.BooleanField(default=True)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(current=True), name="one_current_address_per_person"
            ),
        ]
        indexes = [
            models.Index(fields=["address"], condition=Q(current=True), name="residence_current_by_address")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} at {self.address_id}{'' if self.current else ' (past)'}"


class RelationshipQuerySet(models.QuerySet["Relationship"]):
    def current(self) -> Self:
        """Links in force; an ended link stays as history and is gone from the picture."""
        return self.filter(ended_at__isnull=True)


class Relationship(models.Model):
    """A directed link: `from_person` is `kind` `to_person` (Kerry mother_of the unborn child).

    A link is never deleted: it is ended, with who, when and why, and kept as history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    from_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_out")
    to_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_in")
    kind = models.CharField(max_length=24, choices=RelationshipKind.choices)
    # The source system's key (import_records): reruns update instead of duplicating.
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_person=F("to_person")), name="relationship_not_to_self"),
            models.CheckConstraint(
                condition=Q(kind__in=RelationshipKind.values), name="relationship_kind_known"
            ),
            models.UniqueConstraint(
                fields=["from_person", "to_person", "kind"],
                condition=Q(ended_at__isnull=True),
                name="relationship_unique_current",
            ),
        ]
        indexes = [models.Index(fields=["to_person"])]

    def __str__(self) -> str:
        return f"{self.from_person_id} {self.kind} {self.to_person_id}"
