"""Working days, for the deadlines of casework (a referral is allocated within 3 working days).

A working day is a weekday that is neither a bank holiday of the configured UK nation (the `holidays`
package) nor a closure day in settings. A deadline of N working days from a moment falls at the end of
the Nth working day after that moment's local day: a concern raised on the Friday before a bank holiday
Monday, with one working day to refer it, is due by the end of Tuesday. Dates are local (Europe/London
unless configured); stored times stay UTC.
"""

import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

# settings.BANK_HOLIDAYS_NATION -> the `holidays` package's subdivision of the United Kingdom.
NATIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.LOCAL_TIME_ZONE)


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(local_zone()).date()


@lru_cache(maxsize=64)
def bank_holidays(nation: str, year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("GB", subdiv=NATIONS[nation], years=year))


def is_working_day(day: datetime.date) -> bool:
    return (
        day.weekday() < 5
        and day not in bank_holidays(settings.BANK_HOLIDAYS_NATION, day.year)
        and day not in settings.CLOSURE_DAYS
    )


def nth_working_day_after(day: datetime.date, n: int) -> datetime.date:
    """The nth working day after `day` (n >= 1); `day` itself never counts."""
    if n < 1:
        raise ValueError("n must be 1 or more")
    while n:
        day += datetime.timedelta(days=1)
        n -= is_working_day(day)
    return day


def end_of(day: datetime.date) -> datetime.datetime:
    """The moment a local day ends (midnight into the next), in UTC."""
    midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), local_zone())
    return midnight.astimezone(datetime.UTC)


def working_day_deadline(start: datetime.datetime, working_days: int) -> datetime.datetime:
    """The end of the `working_days`th working day after the local day of `start`."""
    return end_of(nth_working_day_after(local_date(start), working_days))


def working_days_since(start: datetime.datetime, now: datetime.datetime) -> int:
    """Whole working days that have begun since the local day of `start`, up to the local day of `now`
    (a referral made on Friday and still waiting on Tuesday after a bank holiday Monday: 1)."""
    first, last = local_date(start), local_date(now)
    count, day = 0, first
    while day < last:
        day += datetime.timedelta(days=1)
        count += is_working_day(day)
    return count
