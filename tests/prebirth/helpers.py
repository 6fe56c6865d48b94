"""Rows the pre-birth tests need, written with the ORM where no action writes them yet (concerns and
referrals), and a birth plan for Baby A with its shares and acknowledgements.

Baby A is expected on Saturday 13 February 2027, so its pre-birth assessment is due by the end of
Saturday 24 October 2026, the last day of British Summer Time (the clocks go back that night):

| milestone            | week | due on        | due at (UTC)          |
| referral             | 16   | Sat 29 Aug 26 | 29 Aug 2026 23:00     |
| pre_birth_assessment | 24   | Sat 24 Oct 26 | 24 Oct 2026 23:00     |
| initial_conference   | 28   | Sat 21 Nov 26 | 22 Nov 2026 00:00     |
| birth_plan_agreed    | 32   | Sat 19 Dec 26 | 20 Dec 2026 00:00     |
| birth_plan_shared    | 36   | Sat 16 Jan 27 | 17 Jan 2027 00:00     |
"""

import datetime as dt
import itertools

from ooh.plans.models import Acknowledgement, BirthPlan, PlanShare, PlanStatus
from ooh.referrals.models import Concern, ConcernSubject, Referral, ReferralStatus
from tests.baby_a import build_baby_a
from tests.personas import agency, persona

UTC = dt.UTC
SECOND = dt.timedelta(seconds=1)
EXPECTED = dt.date(2027, 2, 13)
DUE_ON = {
    "referral": dt.date(2026, 8, 29),
    "pre_birth_assessment": dt.date(2026, 10, 24),
    "initial_conference": dt.date(2026, 11, 21),
    "birth_plan_agreed": dt.date(2026, 12, 19),
    "birth_plan_shared": dt.date(2027, 1, 16),
}
DUE_AT = {
    "referral": dt.datetime(2026, 8, 29, 23, 0, tzinfo=UTC),
    "pre_birth_assessment": dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC),  # midnight BST
    "initial_conference": dt.datetime(2026, 11, 22, 0, 0, tzinfo=UTC),  # midnight GMT
    "birth_plan_agreed": dt.datetime(2026, 12, 20, 0, 0, tzinfo=UTC),
    "birth_plan_shared": dt.datetime(2027, 1, 17, 0, 0, tzinfo=UTC),
}
ORDER = list(DUE_ON)
_numbers = itertools.count(1)


def world(expected=EXPECTED):
    return build_baby_a(expected_date=expected)


def concern(user, *, about, at, status="open", referral_required=True):
    row = Concern.objects.create(
        reference=f"CON-2026-{next(_numbers):06d}",
        summary="Mother's illness and medication: worried for the unborn baby",
        referral_required=referral_required,
        raised_by=user,
        raised_by_agency=user.membership.agency,
        owner=user,
        created_at=at,
        **(
            {"status": status, "close_reason": "No longer needed", "closed_at": at}
            if status == "closed"
            else {}
        ),
    )
    for person in about if isinstance(about, (list, tuple)) else [about]:
        ConcernSubject.objects.create(concern=row, person=person)
    return row


def referral(of, to_agency, *, at, allocated_to=None):
    return Referral.objects.create(
        reference=f"REF-2026-{next(_numbers):06d}",
        concern=of,
        made_by=of.owner,
        from_agency=of.owner.membership.agency,
        to_agency=to_agency,
        made_at=at,
        **(
            {"status": ReferralStatus.ALLOCATED, "allocated_to": allocated_to, "allocated_at": at}
            if allocated_to
            else {}
        ),
    )


def plan(baby_a, *, lead=None, status=PlanStatus.ACTIVE, agreed_on=None, version=2, **fields):
    """A birth plan for Baby A written by the council (Dana leads it unless told otherwise)."""
    lead = lead or baby_a.dana
    return BirthPlan.objects.create(
        mother=baby_a.mother,
        unborn_child=baby_a.baby,
        expected_date=baby_a.baby.expected_date,
        lead_professional=lead,
        authoring_agency=lead.membership.agency,
        created_by=lead,
        status=status,
        version=version,
        agreed_on=agreed_on,
        plan_at_birth=fields.pop(
            "plan_at_birth", "Baby stays on the ward with mother; no discharge before a strategy meeting."
        ),
        home_birth_contingency="Ambulance to Northshire General.",
        out_of_hours_instructions="Call the EDT duty manager.",
        parents_aware_of_plan=True,
        **fields,
    )


def readers(baby_a):
    """{code: (agency, a member who acknowledges)} of the out-of-hours team, the police and the midwives."""
    return {
        "edt": (agency("edt"), persona("omar")),
        "police": (agency("police"), persona("hale")),
        "midwifery": (baby_a.agencies["midwifery"], baby_a.mia),
    }


def share(the_plan, agency_, *, by, at):
    return PlanShare.objects.create(plan=the_plan, agency=agency_, shared_by=by, shared_at=at)


def acknowledge(the_plan, reader, *, at, version=None):
    agency_, user = reader
    return Acknowledgement.objects.create(
        plan=the_plan, agency=agency_, user=user, version=version or the_plan.version, at=at
    )


def share_and_acknowledge(baby_a, the_plan, *, at):
    """The plan reaches all three readers, each acknowledging at its current version."""
    for reader in readers(baby_a).values():
        share(the_plan, reader[0], by=the_plan.lead_professional, at=at)
        acknowledge(the_plan, reader, at=at)
