"""A concern's own history in plain words: raised, consulted on, offered and handed over, referred,
allocated, answered, its outcome, closed; the pre-birth milestones recorded for its subjects and the DASH
assessments of them; and the gaps (a referral not made, not allocated, not answered in time).

What belongs to a concern, chosen so: every MilestoneRecord of its subjects (the pre-birth protocol is
about the baby a concern is about, and the protocol counts the concern's referral as its first
milestone), and the DASH assessments of its subjects made while it was open (from its raising to its
closing, or now): an assessment is about a person, not a concern, and those are the ones made while
this concern was the work in hand.
"""

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from ooh.referrals.models import (
    Concern,
    ConcernTransfer,
    Consultation,
    DashAssessment,
    Milestone,
    MilestoneRecord,
    Referral,
    ReferralOutcome,
    RiskLevel,
    TransferStatus,
)

from .gaps import Found, Limit, casework_gap
from .naming import Naming, clause, sentence
from .shapes import Item

MILESTONE_WORDS: dict[str, str] = {
    Milestone.PRE_BIRTH_ASSESSMENT: "the pre-birth assessment was completed",
    Milestone.INITIAL_CONFERENCE: "the initial child protection conference was held",
}


@dataclass(frozen=True)
class ConcernRows:
    consultations: list[Consultation]
    transfers: list[ConcernTransfer]
    referrals: list[Referral]  # their responses prefetched
    milestones: list[MilestoneRecord]
    dash: list[DashAssessment]


def load(concern: Concern, subjects: list[uuid.UUID], now: datetime.datetime) -> ConcernRows:
    """Six queries, whatever the history's length."""
    until = concern.closed_at or now
    return ConcernRows(
        consultations=list(Consultation.objects.filter(concern=concern).order_by("at", "pk")),
        transfers=list(ConcernTransfer.objects.filter(concern=concern).order_by("requested_at", "pk")),
        referrals=list(
            Referral.objects.filter(concern=concern).prefetch_related("responses").order_by("made_at", "pk")
        ),
        milestones=list(MilestoneRecord.objects.filter(person_id__in=subjects).order_by("recorded_at", "pk")),
        dash=load_dash(person_ids=subjects, since=concern.created_at, until=until),
    )


def load_dash(
    *,
    person_ids: Iterable[uuid.UUID] = (),
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    incident_id: uuid.UUID | None = None,
) -> list[DashAssessment]:
    """One query: an incident's assessments, or its subjects' over a window."""
    rows = DashAssessment.objects.all()
    if incident_id is not None:
        rows = rows.filter(incident_id=incident_id)
    else:
        rows = rows.filter(person_id__in=list(person_ids), at__gte=since, at__lte=until)
    return list(rows.order_by("at", "pk"))


def user_moments(concern: Concern, rows: ConcernRows) -> list[tuple[datetime.datetime, uuid.UUID]]:
    found: list[tuple[datetime.datetime, uuid.UUID | None]] = [(concern.created_at, concern.raised_by_id)]
    found += [(c.at, c.by_id) for c in rows.consultations] + [
        (c.at, c.with_user_id) for c in rows.consultations
    ]
    for t in rows.transfers:
        found += [(t.requested_at, t.from_user_id), (t.requested_at, t.to_user_id)]
    for r in rows.referrals:
        found += [(r.made_at, r.made_by_id)]
        if r.allocated_at is not None:
            found += [(r.allocated_at, r.allocated_by_id), (r.allocated_at, r.allocated_to_id)]
        if r.outcome_at is not None:
            found.append((r.outcome_at, r.outcome_by_id))
        found += [(answer.at, answer.by_id) for answer in r.responses.all()]
    found += [(m.recorded_at, m.recorded_by_id) for m in rows.milestones]
    if concern.closed_at is not None:
        found.append((concern.closed_at, concern.closed_by_id))
    return [(at, user) for at, user in found if user is not None]


def agency_ids(concern: Concern, rows: ConcernRows) -> set[str]:
    ids = {str(concern.raised_by_agency_id)}
    for r in rows.referrals:
        ids |= {str(r.from_agency_id), str(r.to_agency_id)}
    return ids


def _item(
    at: datetime.datetime, kind: str, actor: object, n: Naming, words: str, source: str, **ids: object
) -> Item:
    return Item(
        at=at,
        kind=kind,
        actor=n.user(actor) if actor else None,
        agency=n.agency_of(actor) if actor else None,
        summary=sentence(words),
        source=source,
        ids={name: str(value) for name, value in ids.items()},
    )


def _concern_items(concern: Concern, rows: ConcernRows, n: Naming) -> list[Item]:
    c, about = concern, n.people(n.family.subjects)
    need = " A referral is needed." if c.referral_required else ""
    items = [
        _item(c.created_at, "concern.raised", c.raised_by_id, n,
              f"{n.who(c.raised_by_id)} raised the concern about {about}: {clause(n.text(c.summary))}.{need}",
              "concern", concern=c.pk),
    ]  # fmt: skip
    for row in rows.consultations:
        note = f": {clause(n.text(row.note))}" if row.note else ""
        words = f"{n.user(row.by_id)} consulted {n.who(row.with_user_id)}, who does not take the concern over{note}"
        items.append(_item(row.at, "concern.consulted", row.by_id, n, words, "concern", concern=c.pk))
    for t in rows.transfers:
        items.append(_item(t.requested_at, "concern.transfer_offered", t.from_user_id, n,
                           f"{n.user(t.from_user_id)} offered the concern to {n.who(t.to_user_id)}",
                           "concern", transfer=t.pk))  # fmt: skip
        if t.decided_at is not None and t.status == TransferStatus.ACCEPTED:
            words = f"{n.user(t.to_user_id)} accepted the concern and owns it now"
            items.append(
                _item(t.decided_at, "concern.transferred", t.to_user_id, n, words, "concern", transfer=t.pk)
            )
        elif t.decided_at is not None:
            words = f"The offer of the concern to {n.user(t.to_user_id)} was withdrawn"
            items.append(
                _item(t.decided_at, "concern.transfer_withdrawn", None, n, words, "concern", transfer=t.pk)
            )
    if c.closed_at is not None:
        words = f"{n.user(c.closed_by_id)} closed the concern: {clause(n.text(c.close_reason))}"
        items.append(_item(c.closed_at, "concern.closed", c.closed_by_id, n, words, "concern", concern=c.pk))
    return items


def _referral_items(referral: Referral, n: Naming) -> list[Item]:
    r, ref = referral, n.reference(referral.reference)
    to = n.agency(r.to_agency_id)
    items = [
        _item(r.made_at, "referral.made", r.made_by_id, n,
              f"{n.who(r.made_by_id)} referred the concern to {to} (referral {ref})", "referral", referral=r.pk),
    ]  # fmt: skip
    if r.allocated_at is not None:
        words = f"{n.user(r.allocated_by_id)} ({to}) allocated referral {ref} to {n.who(r.allocated_to_id)}"
        items.append(
            _item(
                r.allocated_at, "referral.allocated", r.allocated_by_id, n, words, "referral", referral=r.pk
            )
        )
    for answer in r.responses.all():
        words = f"{n.user(answer.by_id)} of {to} responded to referral {ref}: {clause(n.text(answer.note))}"
        items.append(
            _item(answer.at, "referral.responded", answer.by_id, n, words, "referral", referral=r.pk)
        )
    if r.outcome_at is not None:
        label = str(ReferralOutcome(r.outcome).label).lower()
        words = f"{n.user(r.outcome_by_id)} of {to} recorded the outcome of referral {ref}: {label}. {clause(n.text(r.outcome_explanation))}"
        items.append(
            _item(r.outcome_at, "referral.outcome", r.outcome_by_id, n, words, "referral", referral=r.pk)
        )
    return items


def milestone_items(rows: Iterable[MilestoneRecord], n: Naming) -> list[Item]:
    items = []
    for m in rows:
        what = MILESTONE_WORDS.get(m.milestone, str(Milestone(m.milestone).label).lower())
        note = f": {clause(n.text(m.note))}" if m.note else ""
        words = f"{n.who(m.recorded_by_id)} recorded that {what} for {n.person(m.person_id)} on {m.met_on:%d %b %Y}{note}"
        items.append(
            _item(
                m.recorded_at, "milestone.recorded", m.recorded_by_id, n, words, "milestone", milestone=m.pk
            )
        )
    return items


def dash_items(rows: Iterable[DashAssessment], n: Naming) -> list[Item]:
    items = []
    for d in rows:
        risk = str(RiskLevel(d.risk_level).label).lower()
        marac = "; a referral to the MARAC is recommended" if d.marac_referral_recommended else ""
        words = f"{n.who(d.assessor_id)} completed a DASH risk assessment with {n.person(d.person_id)}: {risk} risk, score {d.score}{marac}"
        items.append(_item(d.at, "dash.assessed", d.assessor_id, n, words, "dash", dash=d.pk))
    return items


def concern_items(concern: Concern, rows: ConcernRows, n: Naming) -> list[Item]:
    items = _concern_items(concern, rows, n)
    for referral in rows.referrals:
        items += _referral_items(referral, n)
    return items + milestone_items(rows.milestones, n) + dash_items(rows.dash, n)


def concern_gaps(concern: Concern, rows: ConcernRows, n: Naming, now: datetime.datetime) -> list[Found]:
    """A referral needed and not made; each referral not allocated, or not answered, in time. A referral
    stays in the receiving agency's queue when its concern closes, so its waits run to now."""
    found = []
    if concern.referral_required:
        first = min((r.made_at for r in rows.referrals), default=None)
        limit = Limit(concern.closed_at, True) if concern.closed_at else Limit(now, False)
        found += casework_gap(
            "concern_not_referred", concern.created_at, first, limit, "A referral was needed and not made"
        )
    for r in rows.referrals:
        to, ref = n.agency(r.to_agency_id), n.reference(r.reference)
        allocated = r.allocated_at or (r.outcome_at if r.outcome_at else None)
        found += casework_gap("referral_unallocated", r.made_at, allocated, Limit(now, False),
                              f"Referral {ref} to {to} was not allocated to a social worker", to)  # fmt: skip
        found += casework_gap("agency_response_overdue", r.made_at, r.first_response_at, Limit(now, False),
                              f"{to} did not answer referral {ref}", to)  # fmt: skip
    return found
