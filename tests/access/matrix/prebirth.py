"""The pre-birth protocol and the birth: need to know the baby to read its milestones; a caseworker of
an agency with a case on the baby records one; the baby's agencies, or anyone at its open incident,
record the birth. The Vale baby is unborn with a plan in force; Lena Moss (the other family) was never
unborn, so whoever gets past the rule is told so (409)."""

from django.utils import timezone

from .cast import CASE_ON_FAMILY, SEES_INCIDENT, SEES_MOSSES, SEES_MOTHER_AND_BABY, need_to_know
from .rows import Row

# A caseworker (a role that holds cases) of an agency with a case on the baby: North council.
RECORDS_MILESTONES = frozenset({"dana", "carol"})
# The baby's agencies (a role holding cases or a control room, police being a key contact on the plan),
# or anyone who can see tonight's open incident about the baby (the ambulance crew, EDT).
RECORDS_BIRTH = (SEES_INCIDENT - {"bob_next_day"}) | CASE_ON_FAMILY
# South council holds Lena's case: its caseworkers get past the rule to the 409.
MOSS_CASEWORKERS = frozenset({"sam", "sam_bg", "max"})


def milestone_body(ids, me):
    return {"milestone": "pre_birth_assessment", "met_on": str(timezone.localdate()), "note": "Signed off"}


def birth_body(ids, me):
    return {"date_of_birth": str(timezone.localdate()), "place": "Northshire General"}


ROWS = [
    Row(
        "api:person-milestones",
        "GET",
        "/api/v1/people/{baby}/milestones/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the baby; someone never unborn has no protocol (409)",
        target="baby",
        other_family=("lena", need_to_know(409, allowed=SEES_MOSSES, sees=SEES_MOSSES)),
    ),
    Row(
        "api:person-milestones",
        "POST",
        "/api/v1/people/{baby}/milestones/",
        need_to_know(201, allowed=RECORDS_MILESTONES, sees=SEES_MOTHER_AND_BABY),
        "a role that holds cases, of a children's social care agency with a case on the baby",
        target="baby",
        other_family=("lena", need_to_know(409, allowed=MOSS_CASEWORKERS, sees=SEES_MOSSES)),
        body=milestone_body,
    ),
    Row(
        "api:person-birth",
        "POST",
        "/api/v1/people/{baby}/birth/",
        need_to_know(200, allowed=RECORDS_BIRTH, sees=SEES_MOTHER_AND_BABY),
        "a role holding cases, or the control room, of an agency with a case on the baby; or anyone who "
        "can see an open incident the baby is a subject of",
        target="baby",
        other_family=("lena", need_to_know(409, allowed=MOSS_CASEWORKERS, sees=SEES_MOSSES)),
        body=birth_body,
    ),
    Row(
        "api:birth-plan-milestones",
        "GET",
        "/api/v1/birth-plans/{plan}/milestones/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the mother or the baby",
        target="plan",
    ),
]
