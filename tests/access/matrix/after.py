"""After the night: chronologies, reviewer grants, subject access and legal holds.

A chronology is read by a manager of an agency that was on the record, or by a reviewer granted it: of
tonight's incident, Carol (North council leads it: Dana is the lead professional) and Rex (Carol granted
him the review); of the health visitor's concern, Carol (North council owns it and was referred it).
Anyone else is answered as if it did not exist. Reviewer grants are made and revoked by a manager of
the lead agency and seen by every agency's manager on the record and by the reviewer. Subject access
and legal holds are the data protection officer's (Dora): everyone else is 404 / 403.
"""

from .cast import creates, lists, members
from .rows import Row, soon

SAR = "SAR-2026-0042: Kerry Vale asked for everything held about her"


def _grant_body(ids, me):
    return {
        "user": ids["user_dana"],
        "incident": ids["incident"],
        "review": "Child safeguarding practice review, Family C19",
        "reason": "The partnership asked North council's practice lead to read it",
        "expires_at": soon(days=30),
    }


ROWS = [
    Row(
        "api:incident-chronology",
        "GET",
        "/api/v1/incidents/{incident}/chronology/",
        members(404, carol=200, rex=200),
        "managers of an agency on the incident; a reviewer granted it",
        target="incident",
    ),
    Row(
        "api:concern-chronology",
        "GET",
        "/api/v1/concerns/{concern}/chronology/",
        members(404, carol=200),
        "managers of an agency that raised, owns or was referred the concern; a reviewer granted it",
        target="concern",
    ),
    Row(
        "api:reviewer-grant-list",
        "GET",
        "/api/v1/reviewer-grants/",
        members(200),
        "managers of an agency on the record, and the reviewer",
        returns=lists(carol={"reviewer_grant"}, rex={"reviewer_grant"}),
    ),
    Row(
        "api:reviewer-grant-list",
        "POST",
        "/api/v1/reviewer-grants/",
        creates(201, allowed={"carol"}, blind={"max"}),
        "a manager of the record's lead agency; another agency's manager cannot name it (400)",
        body=_grant_body,
    ),
    Row(
        "api:reviewer-grant-detail",
        "GET",
        "/api/v1/reviewer-grants/{reviewer_grant}/",
        members(404, carol=200, rex=200),
        "managers of an agency on the record, and the reviewer",
        target="reviewer_grant",
    ),
    Row(
        "api:reviewer-grant-revoke",
        "POST",
        "/api/v1/reviewer-grants/{reviewer_grant}/revoke/",
        members(404, carol=200, rex=403),
        "a manager of the lead agency",
        target="reviewer_grant",
        body=lambda ids, me: {"reason": "The review has been published"},
    ),
    Row(
        "api:person-subject-access",
        "GET",
        "/api/v1/people/{kerry}/subject-access/",
        members(404, dora=200),
        "the data protection officer",
        target="kerry",
        headers={"HTTP_X_ACCESS_REASON": SAR},
    ),
    Row(
        "api:legal-hold-list",
        "GET",
        "/api/v1/legal-holds/",
        members(403, dora=200),
        "the data protection officer",
        returns=lists(dora={"legal_hold"}),
    ),
    Row(
        "api:legal-hold-list",
        "POST",
        "/api/v1/legal-holds/",
        creates(201, allowed={"dora"}),
        "the data protection officer",
        body=lambda ids, me: {"scope": "person", "id": ids["kerry"], "reason": "A public inquiry ordered it"},
    ),
    Row(
        "api:legal-hold-detail",
        "GET",
        "/api/v1/legal-holds/{legal_hold}/",
        members(404, dora=200),
        "the data protection officer",
        target="legal_hold",
    ),
    Row(
        "api:legal-hold-release",
        "POST",
        "/api/v1/legal-holds/{legal_hold}/release/",
        members(404, dora=200),
        "the data protection officer",
        target="legal_hold",
        body=lambda ids, me: {"reason": "The coroner's inquest has concluded"},
    ),
]
