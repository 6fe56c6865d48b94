"""Escalations, the inbox, break-glass and the audit: who each is addressed to, who reviews."""

from .cast import AUDIT_READERS, lists, members
from .rows import Row

ROWS = [
    Row(
        "api:escalation-list",
        "GET",
        "/api/v1/escalations/",
        members(200),
        "those it is addressed to (Bob, and his agency)",
        returns=lists(amy={"escalation"}, bob={"escalation"}, bob_next_day={"escalation"}),
    ),
    Row(
        "api:escalation-detail",
        "GET",
        "/api/v1/escalations/{escalation}/",
        members(404, amy=200, bob=200, bob_next_day=200),
        "those it is addressed to",
        target="escalation",
    ),
    Row(
        "api:escalation-acknowledge",
        "POST",
        "/api/v1/escalations/{escalation}/acknowledge/",
        members(404, amy=200, bob=200, bob_next_day=200),
        "those it is addressed to",
        target="escalation",
        body=lambda ids, me: {"note": "Crew on the way"},
    ),
    Row(
        "api:notification-list",
        "GET",
        "/api/v1/notifications/",
        members(200),
        "its addressee",
        returns=lists(bob={"notification"}, bob_next_day={"notification"}),
    ),
    Row(
        "api:notification-read",
        "POST",
        "/api/v1/notifications/{notification}/read/",
        members(404, bob=200, bob_next_day=200),
        "its addressee",
        target="notification",
    ),
    Row(
        "api:break-glass-list",
        "GET",
        "/api/v1/break-glass/",
        members(200),
        "managers: their agency's; everyone else: their own",
        returns=lists(max={"grant"}),
    ),
    Row(
        "api:break-glass-detail",
        "GET",
        "/api/v1/break-glass/{grant}/",
        members(404, max=200),
        "managers of the user's agency (and the user)",
        target="grant",
    ),
    Row(
        "api:break-glass-review",
        "POST",
        "/api/v1/break-glass/{grant}/review/",
        members(404, max=200),
        "managers of the user's agency",
        target="grant",
        body=lambda ids, me: {"note": "Justified: the ward had lost her"},
    ),
    Row(
        "api:audit-list",
        "GET",
        "/api/v1/audit/",
        members(403, **{name: 200 for name in AUDIT_READERS}),
        "managers and admins: what their users did, and every access to records their agency owns",
        # Whose actions each reader finds: North council's Dana, Carol's reviewer grant and Dora's legal
        # hold; Alice opening tonight's incident about Kerry and the baby, Sid's break-glass on Kerry and
        # the health visitor's concern about them (North council's case); South council's Sam, and Sid,
        # who is one of theirs.
        returns=lists(
            ada={"user_dana", "user_carol", "user_dora", "user_alice", "user_sid", "user_hana"},
            carol={"user_dana", "user_carol", "user_dora", "user_alice", "user_sid", "user_hana"},
            max={"user_sam", "user_sid"},
        ),
        listed_by="user",
    ),
]
