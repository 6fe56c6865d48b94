"""The board's pages (asked from a web browser signed in to the board) and the browser's sign-in.

A page is a shell with no record in it: what it shows comes from the API, whose rows are the rest of
this table, so every signed-in member gets the page and sees in it only what the API lets them."""

from tests.factories import DEFAULT_PASSWORD

from .cast import MEMBERS, everyone
from .rows import Row

SIGNED_IN_ONLY = {"anonymous": 302, "nobody": 302, **{name: 200 for name in MEMBERS}}

ROWS = [
    Row(
        "board:list",
        "GET",
        "/board/",
        SIGNED_IN_ONLY,
        "a member signed in to the board; anyone else is sent to sign in",
        browser=True,
    ),
    Row(
        "board:incident",
        "GET",
        "/board/incidents/{incident}/",
        SIGNED_IN_ONLY,
        "a member signed in to the board: the page is the same for an id outside need to know or never "
        "issued (the API's 404 decides what it shows)",
        target="incident",
        unknown=SIGNED_IN_ONLY,
        browser=True,
    ),
    Row(
        "board:sign-in",
        "GET",
        "/board/sign-in/",
        {"anonymous": 200, "nobody": 200, **{name: 302 for name in MEMBERS}},
        "anyone; a member already signed in goes on to the board",
        browser=True,
    ),
    Row(
        "api:browser-login",
        "POST",
        "/api/v1/auth/browser-login/",
        everyone(201),
        "anyone with a member's username and password (CSRF checked: tests/board/test_sessions.py)",
        body=lambda ids, me: {"username": "pat", "password": DEFAULT_PASSWORD},
    ),
]
