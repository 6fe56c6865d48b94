"""Every random choice the population makes comes from here: one seeded Random for the data, one for
the ids, and a clock fixed when generation starts, so a seed gives the same population every time."""

import datetime
import uuid
from collections.abc import Iterable
from random import Random
from typing import TypeVar

from django.utils import timezone

_T = TypeVar("_T")
# (values, cumulative weights), as Random.choices takes them
Weighted = tuple[tuple[_T, ...], tuple[float, ...]]


def cumulative(weighted: Iterable[tuple[_T, float]]) -> Weighted[_T]:
    """(values, cumulative weights) for Random.choices."""
    values: list[_T] = []
    cum: list[float] = []
    total: float = 0
    for value, weight in weighted:
        total += weight
        values.append(value)
        cum.append(total)
    return tuple(values), tuple(cum)


class Draws:
    """Seeded draws: ids, weighted picks, dates and moments in the past, counts."""

    def __init__(self, *, seed: int, now: datetime.datetime | None = None) -> None:
        # Reproducible on purpose: synthetic data, never secrets.
        self.rng = Random(seed)  # noqa: S311
        self.ids = Random(f"{seed}:ids")  # noqa: S311
        self.now = now or timezone.now()
        self.now_ts = self.now.timestamp()
        self.today = timezone.localdate(self.now)
        self.today_ordinal = self.today.toordinal()

    @staticmethod
    def first_id(seed: int) -> uuid.UUID:
        """The first id a seed draws: a person with it means the seed was used on this database."""
        return uuid.UUID(int=Random(f"{seed}:ids").getrandbits(128), version=4)  # noqa: S311

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.ids.getrandbits(128), version=4)

    def pick(self, weighted: Weighted[_T]) -> _T:
        values, cum = weighted
        return self.rng.choices(values, cum_weights=cum)[0]

    def days_ago(self, low: int, high: int) -> datetime.date:
        return datetime.date.fromordinal(self.today_ordinal - self.rng.randint(low, high))

    def moment_ago(self, low_days: float, high_days: float) -> datetime.datetime:
        seconds = self.rng.uniform(low_days, high_days) * 86400
        return datetime.datetime.fromtimestamp(self.now_ts - seconds, tz=datetime.UTC)

    def count(self, mean: float) -> int:
        """A geometric count with this mean: most people none or one, a few many."""
        if mean <= 0:
            return 0
        p, n = mean / (1 + mean), 0
        while self.rng.random() < p:
            n += 1
        return n
