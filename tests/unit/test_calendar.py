"""The organisation-local calendar (app/calendar.py), without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.calendar import (
    add_months,
    local_day,
    local_midnight,
    month_start,
    next_month_start,
    org_zone,
    week_start,
    year_start,
)


def test_shanghai_midnight_is_sixteen_hundred_utc():
    assert local_day(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC), "Asia/Shanghai") == date(
        2026, 12, 31)
    assert local_day(datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC), "Asia/Shanghai") == date(
        2027, 1, 1)


def test_the_day_follows_the_organisations_zone():
    at = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)
    assert local_day(at, "Asia/Shanghai") == date(2027, 3, 1)
    assert local_day(at, "America/New_York") == date(2027, 2, 28)
    assert local_day(at, ZoneInfo("America/New_York")) == date(2027, 2, 28)


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "../etc/passwd", "Asia/"])
def test_an_empty_or_unknown_zone_counts_as_beijing_time(name):
    assert org_zone(name) == ZoneInfo("Asia/Shanghai")
    assert local_day(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), name) == date(2027, 1, 1)


def test_a_local_day_starts_at_local_midnight():
    start = local_midnight(date(2027, 1, 1), "Asia/Shanghai")
    assert start == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert local_midnight(date(2027, 1, 1), "Nowhere/Unknown") == start


@pytest.mark.parametrize(("day", "monday"), [
    (date(2026, 12, 28), date(2026, 12, 28)),  # a Monday is its own week's start
    (date(2027, 1, 3), date(2026, 12, 28)),  # a Sunday belongs to the week before
    (date(2027, 1, 4), date(2027, 1, 4)),
    (date(2027, 3, 1), date(2027, 3, 1)),
    (date(2027, 2, 28), date(2027, 2, 22)),
])
def test_weeks_start_on_monday_across_month_and_year_ends(day, monday):
    assert week_start(day) == monday


def test_months_and_years_start_on_their_first_day():
    assert month_start(date(2027, 2, 28)) == date(2027, 2, 1)
    assert next_month_start(date(2027, 1, 31)) == date(2027, 2, 1)
    assert next_month_start(date(2026, 12, 31)) == date(2027, 1, 1)
    assert next_month_start(date(2028, 2, 29)) == date(2028, 3, 1)
    assert year_start(date(2027, 12, 31)) == date(2027, 1, 1)


def test_months_are_added_and_taken_across_years():
    assert add_months(date(2027, 1, 31), -1) == date(2026, 12, 1)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 1)
    assert add_months(date(2027, 3, 1), -12) == date(2026, 3, 1)
    assert add_months(date(2027, 3, 1), 0) == date(2027, 3, 1)
