"""What one row of the matrix is: a route and method, the statuses each persona gets in each situation."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from .cast import members

ALL_PEOPLE = {"kerry", "dean", "baby", "lena", "leo"}
VALES = {"kerry", "dean", "baby"}
MOSSES = {"lena", "leo"}


def soon(**delta) -> str:
    """A time this far from now, as a request body writes it."""
    return (timezone.now() + datetime.timedelta(**delta)).isoformat()


@dataclass(frozen=True)
class Row:
    route: str  # the URL name (namespace:name), or a websocket route's pattern
    method: str
    path: str  # with {name} for the world's ids
    expect: dict  # persona -> status (an int, or a set of ints) in the row's first situation
    rule: str = ""  # who may, in words
    target: str | None = None  # the id an `unknown` situation replaces with one never issued
    unknown: dict | None = None  # persona -> status for that id; default: members 404
    body: object = None  # callable(ids, persona's username) -> dict
    headers: dict = field(default_factory=dict)  # request META, formatted with the ids
    returns: dict | None = None  # list rows: persona -> the world's records it must list, exactly
    listed_by: str = "id"  # the field of each listed item that names a record of the world
    personas: tuple | None = None  # the personas the row is run as, when not every one
    # The Mosses' record in the target's place: outside the Vales' relationships, inside South council's.
    other_family: tuple | None = None  # (the world's name of that record, {persona: expected})
    browser: bool = False  # asked from a web browser signed in to the board (a session), not with a token

    @property
    def situations(self):
        """(situation, {persona: expected}) in order."""
        if self.target is None:
            return [("list" if self.returns is not None else "once", self.expect)]
        situations = [("family", self.expect)]
        if self.other_family is not None:
            situations.append(("other family", self.other_family[1]))
        return [*situations, ("unknown", self.unknown or members(404))]

    def key(self):
        return (self.route, self.method)
