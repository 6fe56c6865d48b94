"""The records the write rules read, as the attributes they read.

The policy may not import the apps whose records it judges (people, flags, plans, incidents, alerts
import it), so each rule names what it reads of a record here, and the checker matches the models
against that: a model that loses a field the policy reads fails the type check, not a request.
"""

import uuid
from typing import Any, Protocol

from django.db import models

from ooh.accounts.models import User


class Identified(Protocol):
    """Any saved record: a person, an incident."""

    @property
    def pk(self) -> Any: ...  # django-stubs types every model's pk as Any


class RecordedAddress(Protocol):
    @property
    def recorded_by_agency_id(self) -> uuid.UUID | None: ...


class Link(Protocol):
    @property
    def from_person_id(self) -> uuid.UUID: ...
    @property
    def to_person_id(self) -> uuid.UUID: ...


class OwnedFlag(Protocol):
    @property
    def source_agency_id(self) -> uuid.UUID: ...
    @property
    def owner_id(self) -> uuid.UUID: ...


class KeptPlan(Protocol):
    @property
    def lead_professional(self) -> User | None: ...
    @property
    def authoring_agency_id(self) -> uuid.UUID: ...
    @property
    def shares(self) -> "models.Manager[Any]": ...


class Appointed(Protocol):
    @property
    def user_id(self) -> uuid.UUID: ...


class DirectedIncident(Protocol):
    @property
    def pk(self) -> Any: ...
    @property
    def opening_agency_id(self) -> uuid.UUID: ...
    @property
    def decision_maker(self) -> Appointed | None: ...


class AddressedEscalation(Protocol):
    @property
    def addressed_users(self) -> "models.Manager[Any]": ...
    @property
    def addressed_agencies(self) -> "models.Manager[Any]": ...


class OwnedConcern(Protocol):
    @property
    def owner_id(self) -> uuid.UUID: ...
    @property
    def status(self) -> str: ...


class OfferedTransfer(Protocol):
    @property
    def to_user_id(self) -> uuid.UUID: ...


class ReceivedReferral(Protocol):
    @property
    def to_agency_id(self) -> uuid.UUID: ...
    @property
    def allocated_to_id(self) -> uuid.UUID | None: ...
