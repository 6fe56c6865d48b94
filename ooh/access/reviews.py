"""After the night: who may read a record's chronology, grant a reviewer, export what is held about a
person, or hold records against disposal.

A chronology is the whole record of an incident or a concern, every agency's part and every view of
the family's records in it, so it is for oversight, not for the night: managers of an agency that was
on the record, and a reviewer a manager of the lead agency named for one review, until the grant ends.
Subject access and legal holds are the data protection officer's.
"""

import uuid
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from ooh.accounts.models import Role

from .records import Identified
from .roles import (
    INCIDENT_VISIBLE_REASONS,
    AnyUser,
    _objects,
    agency_id_of,
    is_manager,
    membership_of,
    role_of,
)


def _signed_in(user: AnyUser) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def _live_grants(user: AnyUser, now: datetime) -> QuerySet[Any]:
    grants = _objects("access.ReviewerGrant")
    if not _signed_in(user) or user is None:
        return grants.none()
    return grants.filter(user_id=user.pk, granted_at__lte=now, expires_at__gt=now, revoked_at__isnull=True)


def _incidents_of_agency(agency_id: uuid.UUID | None) -> QuerySet[Any, dict[str, Any]]:
    return (
        _objects("incidents.IncidentAgency")
        .filter(agency_id=agency_id, reason__in=INCIDENT_VISIBLE_REASONS)
        .values("incident_id")
    )


def _concerns_of_agency(agency_id: uuid.UUID | None) -> Q:
    referred = (
        _objects("referrals.Referral")
        .filter(Q(to_agency_id=agency_id) | Q(from_agency_id=agency_id))
        .values("concern_id")
    )
    return Q(raised_by_agency_id=agency_id) | Q(owner__membership__agency_id=agency_id) | Q(pk__in=referred)


def chronology_incidents(user: AnyUser, now: datetime) -> QuerySet[Any]:
    """Incidents whose chronology the user may read: a manager of an agency on it, or a reviewer with a
    live grant for it. Anyone else is answered as if it did not exist (404), an expired grant too."""
    incidents = _objects("incidents.Incident")
    granted = Q(pk__in=_live_grants(user, now).filter(incident__isnull=False).values("incident_id"))
    if is_manager(user):
        return incidents.filter(Q(pk__in=_incidents_of_agency(agency_id_of(user))) | granted)
    return incidents.filter(granted)


def chronology_concerns(user: AnyUser, now: datetime) -> QuerySet[Any]:
    """Concerns whose chronology the user may read: a manager of the agency that raised or owns it, or
    that made or received a referral of it; or a reviewer with a live grant for it."""
    concerns = _objects("referrals.Concern")
    granted = Q(pk__in=_live_grants(user, now).filter(concern__isnull=False).values("concern_id"))
    if is_manager(user):
        return concerns.filter(_concerns_of_agency(agency_id_of(user)) | granted)
    return concerns.filter(granted)


def incident_lead_agency_id(incident: Identified) -> uuid.UUID:
    """The lead agency of an incident: the current lead professional's, else the agency that opened it."""
    row = (
        _objects("incidents.Incident")
        .filter(pk=incident.pk)
        .values("opening_agency_id", "lead_professional__agency_id")
        .get()
    )
    lead: uuid.UUID = row["lead_professional__agency_id"] or row["opening_agency_id"]
    return lead


def concern_lead_agency_id(concern: Identified) -> uuid.UUID:
    """The lead agency of a concern: its owner's (who must refer it and answers for it)."""
    lead: uuid.UUID = (
        _objects("referrals.Concern")
        .filter(pk=concern.pk)
        .values_list("owner__membership__agency_id", flat=True)
        .get()
    )
    return lead


def may_grant_reviewer(user: AnyUser, lead_agency_id: uuid.UUID) -> bool:
    """Grant (or revoke) a reviewer's access to one record: a manager of its lead agency."""
    return is_manager(user) and agency_id_of(user) == lead_agency_id


def may_be_reviewer(user: AnyUser) -> bool:
    """Whom a reviewer grant may name: any active, signed-in account (an independent reviewer holds
    one without casework); never an inactive one."""
    return _signed_in(user)


def visible_reviewer_grants(user: AnyUser, now: datetime) -> QuerySet[Any]:
    """Grants on records whose chronology the user may read as a manager (every agency on the record
    sees who was let in), and the user's own grants."""
    grants = _objects("access.ReviewerGrant")
    if not _signed_in(user) or user is None:
        return grants.none()
    own = Q(user_id=user.pk)
    if not is_manager(user):
        return grants.filter(own)
    agency_id = agency_id_of(user)
    concerns = _objects("referrals.Concern").filter(_concerns_of_agency(agency_id)).values("pk")
    return grants.filter(
        own | Q(incident_id__in=_incidents_of_agency(agency_id)) | Q(concern_id__in=concerns)
    )


def is_data_protection_officer(user: AnyUser) -> bool:
    return membership_of(user) is not None and role_of(user) == Role.DATA_PROTECTION_OFFICER


def may_export_subject_access(user: AnyUser) -> bool:
    """Everything held about a person, for their subject access request: the data protection officer."""
    return is_data_protection_officer(user)


def may_place_legal_hold(user: AnyUser) -> bool:
    """Keep records from disposal (an inquiry ordered it): the data protection officer."""
    return is_data_protection_officer(user)


def visible_legal_holds(user: AnyUser) -> QuerySet[Any]:
    """Every legal hold, in force or released, for the data protection officer; nobody else's business."""
    holds = _objects("records.LegalHold")
    return holds.all() if is_data_protection_officer(user) else holds.none()
