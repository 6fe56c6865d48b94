"""Checklists for the DASH tests: so many `yes` answers, the rest `no`."""

import datetime as dt

UTC = dt.UTC
# A Thursday in spring: twelve months before it is 12 March 2025.
NOW = dt.datetime(2026, 3, 12, 15, 0, tzinfo=UTC)


def answers(yes=0, *, not_known=0):
    """The 24 questions: the first `yes` answered yes, the next `not_known` not known, the rest no."""
    out = {}
    for number in range(1, 25):
        if number <= yes:
            out[str(number)] = "yes"
        elif number <= yes + not_known:
            out[str(number)] = "not_known"
        else:
            out[str(number)] = "no"
    return out
