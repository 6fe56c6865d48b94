"""Working days: weekends, the configured nation's bank holidays and closure days never count; a deadline
falls at the end of the last working day allowed, in local time (Europe/London by default)."""

import datetime as dt

import pytest

from ooh.referrals.calendar import (
    end_of,
    is_working_day,
    nth_working_day_after,
    working_day_deadline,
    working_days_since,
)

UTC = dt.UTC
FRI_BEFORE_AUGUST_BANK_HOLIDAY = dt.date(2026, 8, 28)  # Monday 31 August 2026: England's summer bank holiday


def test_weekends_and_english_bank_holidays_are_not_working_days():
    assert is_working_day(dt.date(2026, 8, 28))  # Friday
    assert not is_working_day(dt.date(2026, 8, 29))  # Saturday
    assert not is_working_day(dt.date(2026, 8, 30))  # Sunday
    assert not is_working_day(dt.date(2026, 8, 31))  # bank holiday Monday
    assert not is_working_day(dt.date(2026, 12, 25))
    assert not is_working_day(dt.date(2026, 12, 28))  # Boxing Day observed
    assert is_working_day(dt.date(2026, 9, 1))


def test_the_nation_decides_the_bank_holidays(settings):
    settings.BANK_HOLIDAYS_NATION = "scotland"
    assert is_working_day(dt.date(2026, 8, 31))  # Scotland's summer holiday is the first Monday of August
    assert not is_working_day(dt.date(2026, 8, 3))
    assert not is_working_day(dt.date(2027, 1, 4))  # 2 January, substitute day (Scotland only)
    settings.BANK_HOLIDAYS_NATION = "england"
    assert is_working_day(dt.date(2027, 1, 4))


def test_closure_days_from_settings_do_not_count(settings):
    settings.CLOSURE_DAYS = (dt.date(2026, 9, 1),)
    assert not is_working_day(dt.date(2026, 9, 1))
    assert nth_working_day_after(FRI_BEFORE_AUGUST_BANK_HOLIDAY, 1) == dt.date(2026, 9, 2)


def test_the_nth_working_day_after_never_counts_the_day_itself():
    assert nth_working_day_after(FRI_BEFORE_AUGUST_BANK_HOLIDAY, 1) == dt.date(2026, 9, 1)
    assert nth_working_day_after(FRI_BEFORE_AUGUST_BANK_HOLIDAY, 3) == dt.date(2026, 9, 3)
    assert nth_working_day_after(dt.date(2026, 8, 29), 1) == dt.date(2026, 9, 1)  # raised on a Saturday
    with pytest.raises(ValueError, match="1 or more"):
        nth_working_day_after(FRI_BEFORE_AUGUST_BANK_HOLIDAY, 0)


def test_a_deadline_is_the_end_of_the_local_day():
    # 23:30 UTC on Friday is already Saturday in London (BST): the count starts from Saturday.
    assert working_day_deadline(dt.datetime(2026, 8, 28, 22, 59, tzinfo=UTC), 1) == dt.datetime(
        2026, 9, 1, 23, 0, tzinfo=UTC
    )
    assert working_day_deadline(dt.datetime(2026, 8, 28, 23, 30, tzinfo=UTC), 1) == dt.datetime(
        2026, 9, 1, 23, 0, tzinfo=UTC
    )
    # In winter (GMT) the local midnight is midnight UTC.
    assert end_of(dt.date(2026, 12, 4)) == dt.datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
    # Across the end of summer time (25 October 2026): the end of Monday 26 October is 00:00 UTC.
    assert working_day_deadline(dt.datetime(2026, 10, 23, 12, tzinfo=UTC), 1) == dt.datetime(
        2026, 10, 27, 0, 0, tzinfo=UTC
    )


def test_working_days_since_counts_whole_working_days_begun():
    made = dt.datetime(2026, 8, 28, 9, tzinfo=UTC)  # Friday
    assert working_days_since(made, dt.datetime(2026, 8, 28, 17, tzinfo=UTC)) == 0
    assert working_days_since(made, dt.datetime(2026, 8, 31, 12, tzinfo=UTC)) == 0  # bank holiday
    assert working_days_since(made, dt.datetime(2026, 9, 1, 8, tzinfo=UTC)) == 1
    assert working_days_since(made, dt.datetime(2026, 9, 4, 8, tzinfo=UTC)) == 4
