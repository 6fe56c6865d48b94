"""Concerns and referrals. A concern is seen by whoever raised it, owns it, was consulted on it, is offered
it or is allocated one of its referrals, and by the managers of the agency that raised it, owns it or was
referred it; a referral by whoever sees its concern. Consulting, offering, referring: the owner alone.
Closing: the owner or a manager of the owner's agency. Accepting: the colleague offered it. Allocating:
a manager of the agency referred to; answering and recording the outcome: that, or the social worker it
is allocated to.

The world (world._casework): the health visitor's concern about Kerry and the baby, on which she consulted
Mia, referred to North council (unallocated) and handed to Dana, who owns it; Dana's second concern,
offered to Mia. So Dana owns both, Carol manages the owner's and the receiving agency, Mia was consulted on
the first and is offered the second; nobody else is told of them (break-glass opens a person's record,
not the casework about them).
"""

from .cast import MEMBERS, SEES_MOTHER_AND_BABY, creates, lists, members, need_to_know
from .rows import Row

# The concern about Kerry and the baby, and its referral: its owner, her manager (the receiving agency's
# too), the midwife consulted on it.
SEES_CONCERN = frozenset({"dana", "carol", "mia"})
# The concern offered to Mia: its owner, her manager, and Mia.
SEES_OFFERED = frozenset({"dana", "carol", "mia"})
# Raise a concern: the roles that hold cases (social workers, midwives, practitioners, managers), about
# people they can see; whoever cannot see Kerry or the baby is told they do not exist (400).
RAISES = frozenset({"dana", "carol", "mia", "sam_bg"})


def raise_body(ids, me):
    return {
        "subjects": [ids["kerry"], ids["baby"]],
        "summary": "Bruising seen on the mother at the antenatal clinic",
        "referral_required": True,
    }


def consult_body(ids, me):
    return {"with_user": ids["user_carol"], "note": "Is the family known to the night team?"}


def transfer_body(ids, me):
    return {"to_user": ids["user_carol"]}


def refer_body(ids, me):
    # Not North council: it has this concern's referral already, unanswered (409).
    return {"to_agency": ids["agency_edt"]}


def close_body(ids, me):
    return {"reason": "Mother moved out of the area; handed to the receiving council."}


def allocate_body(ids, me):
    return {"social_worker": ids["user_dana"]}


def respond_body(ids, me):
    return {"note": "Received; a social worker will visit this week."}


def outcome_body(ids, me):
    return {"outcome": "pre_birth_assessment", "explanation": "A pre-birth assessment is starting."}


ROWS = [
    Row(
        "api:concern-list",
        "GET",
        "/api/v1/concerns/",
        members(200),
        "the concerns the caller raised, owns, was consulted on or is offered; a manager's agency's",
        returns=lists(dana={"concern", "offered"}, carol={"concern", "offered"}, mia={"concern", "offered"}),
    ),
    Row(
        "api:concern-list",
        "POST",
        "/api/v1/concerns/",
        creates(201, allowed=RAISES, blind=MEMBERS - SEES_MOTHER_AND_BABY),
        "a role that holds cases, about people the caller can see",
        body=raise_body,
    ),
    Row(
        "api:concern-detail",
        "GET",
        "/api/v1/concerns/{concern}/",
        need_to_know(200, allowed=SEES_CONCERN, sees=SEES_CONCERN),
        "raised, owns, consulted, offered, allocated; managers of the raising, owning or receiving agency",
        target="concern",
    ),
    Row(
        "api:concern-consultations",
        "POST",
        "/api/v1/concerns/{concern}/consultations/",
        need_to_know(201, allowed={"dana"}, sees=SEES_CONCERN),
        "the owner alone (the midwife consulted, and the manager, are refused)",
        target="concern",
        body=consult_body,
    ),
    Row(
        "api:concern-transfer",
        "POST",
        "/api/v1/concerns/{concern}/transfer/",
        need_to_know(201, allowed={"dana"}, sees=SEES_CONCERN),
        "the owner alone",
        target="concern",
        body=transfer_body,
    ),
    Row(
        "api:concern-accept-transfer",
        "POST",
        "/api/v1/concerns/{offered}/transfer/accept/",
        need_to_know(200, allowed={"mia"}, sees=SEES_OFFERED),
        "the colleague it is offered to (not its owner, not the owner's manager)",
        target="offered",
    ),
    Row(
        "api:concern-referral",
        "POST",
        "/api/v1/concerns/{concern}/referral/",
        need_to_know(201, allowed={"dana"}, sees=SEES_CONCERN),
        "the owner alone (consulting the midwife never made her the referrer)",
        target="concern",
        body=refer_body,
    ),
    Row(
        "api:concern-close",
        "POST",
        "/api/v1/concerns/{concern}/close/",
        need_to_know(200, allowed={"dana", "carol"}, sees=SEES_CONCERN),
        "the owner, or a manager of the owner's agency",
        target="concern",
        body=close_body,
    ),
    Row(
        "api:referral-list",
        "GET",
        "/api/v1/referrals/",
        members(200),
        "the referrals of the concerns the caller sees",
        returns=lists(dana={"referral"}, carol={"referral"}, mia={"referral"}),
    ),
    Row(
        "api:referral-detail",
        "GET",
        "/api/v1/referrals/{referral}/",
        need_to_know(200, allowed=SEES_CONCERN, sees=SEES_CONCERN),
        "whoever sees its concern",
        target="referral",
    ),
    Row(
        "api:referral-allocate",
        "POST",
        "/api/v1/referrals/{referral}/allocate/",
        need_to_know(200, allowed={"carol"}, sees=SEES_CONCERN),
        "a manager of the agency it was made to",
        target="referral",
        body=allocate_body,
    ),
    Row(
        "api:referral-respond",
        "POST",
        "/api/v1/referrals/{referral}/respond/",
        need_to_know(200, allowed={"carol"}, sees=SEES_CONCERN),
        "the social worker it is allocated to (nobody yet), or a manager of the agency it was made to",
        target="referral",
        body=respond_body,
    ),
    Row(
        "api:referral-outcome",
        "POST",
        "/api/v1/referrals/{referral}/outcome/",
        need_to_know(200, allowed={"carol"}, sees=SEES_CONCERN),
        "the social worker it is allocated to (nobody yet), or a manager of the agency it was made to",
        target="referral",
        body=outcome_body,
    ),
]
