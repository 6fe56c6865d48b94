"""DASH risk assessments of a person: any casework role who can see the person records one and reads
them (a control room outside its own incidents states a purpose, or 400); whoever cannot see the person
is told it does not exist (404), as for an id never issued."""

from .cast import SEES_MOSSES, SEES_MOTHER_AND_BABY, need_to_know
from .rows import Row


def dash_body(ids, me):
    """A high-risk checklist (15 of 24 yes), the assessor choosing to flag the victim."""
    return {
        "answers": {str(n): "yes" if n <= 15 else "no" for n in range(1, 25)},
        "professional_judgement_high_risk": False,
        "incidents_last_12_months": 1,
        "raise_flag": True,
    }


ROWS = [
    Row(
        "api:person-dash-assessments",
        "GET",
        "/api/v1/people/{kerry}/dash-assessments/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the person; a casework role",
        target="kerry",
        # Outside their own incidents, a control room states why it reads a victim's answers.
        other_family=("lena", need_to_know(200, allowed=SEES_MOSSES, sees=SEES_MOSSES, alice=400, amy=400)),
    ),
    Row(
        "api:person-dash-assessments",
        "POST",
        "/api/v1/people/{kerry}/dash-assessments/",
        # Everyone who can see Kerry does casework of some kind (the admin sees no family's records).
        need_to_know(201, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "any casework role who can see the person",
        target="kerry",
        other_family=("lena", need_to_know(201, allowed=SEES_MOSSES, sees=SEES_MOSSES, alice=400, amy=400)),
        body=dash_body,
    ),
]
