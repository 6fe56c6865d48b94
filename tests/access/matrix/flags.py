"""Flags on people: need to know the subject; their owner and her manager change them."""

from .cast import (
    CASEWORK,
    FLAG_KEEPERS,
    SEES_MOSSES,
    SEES_MOTHER_AND_BABY,
    creates,
    lists,
    members,
    need_to_know,
)
from .rows import Row, soon

ROWS = [
    Row(
        "api:flag-list",
        "GET",
        "/api/v1/flags/",
        members(200, alice=400, amy=400),
        "need to know the subject; a control room's list reaches everyone, so it states a purpose",
        returns=lists(
            alice_purpose={"ucpp", "violence", "lena_flag"},
            bob={"ucpp", "violence"},
            hale={"ucpp", "violence"},
            eve={"ucpp", "violence"},
            dana={"ucpp", "violence"},
            carol={"ucpp", "violence"},
            mia={"ucpp"},
            sam={"lena_flag"},
            sam_bg={"ucpp", "lena_flag"},
            max={"lena_flag"},
        ),
    ),
    Row(
        "api:flag-list",
        "POST",
        "/api/v1/flags/",
        creates(201, allowed=SEES_MOTHER_AND_BABY, blind=CASEWORK),
        "any casework role who can see the subject",
        body=lambda ids, me: {
            "subject_person": ids["baby"],
            "category": "other",
            "severity": "low",
            "summary": "Dog at the address",
            "valid_from": soon(minutes=-1),
        },
    ),
    Row(
        "api:flag-detail",
        "GET",
        "/api/v1/flags/{ucpp}/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the subject",
        target="ucpp",
        other_family=("lena_flag", need_to_know(200, allowed=SEES_MOSSES, sees=SEES_MOSSES)),
    ),
    Row(
        "api:flag-detail",
        "PATCH",
        "/api/v1/flags/{ucpp}/",
        need_to_know(200, allowed=FLAG_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "its owner, or a manager of the owning agency",
        target="ucpp",
        # Sam owns Lena's flag; Max manages South council; Sam's colleague after break-glass is Sam.
        other_family=("lena_flag", need_to_know(200, allowed={"sam", "sam_bg", "max"}, sees=SEES_MOSSES)),
        body=lambda ids, me: {"handling_instructions": "Call the EDT duty manager before any discharge."},
    ),
    Row(
        "api:flag-fhir",
        "GET",
        "/api/v1/flags/{ucpp}/fhir/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the subject",
        target="ucpp",
    ),
    Row(
        "api:flag-history",
        "GET",
        "/api/v1/flags/{ucpp}/history/",
        need_to_know(200, allowed=SEES_MOTHER_AND_BABY, sees=SEES_MOTHER_AND_BABY),
        "need to know the subject",
        target="ucpp",
    ),
    Row(
        "api:flag-revoke",
        "POST",
        "/api/v1/flags/{ucpp}/revoke/",
        need_to_know(200, allowed=FLAG_KEEPERS, sees=SEES_MOTHER_AND_BABY),
        "its owner, or a manager of the owning agency",
        target="ucpp",
        body=lambda ids, me: {"reason": "Plan ended at the child protection conference"},
    ),
]
