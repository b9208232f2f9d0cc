"""Organisation-local calendar: the day, week (Monday start), month and year of an instant.

Every "today" of the service comes from here. An organisation's zone is an IANA name
checked when it is set; a name this machine cannot resolve (an old row, a missing tz
database entry) counts as Beijing time rather than failing the request.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"


def is_known_zone(name: str) -> bool:
    """Whether `name` is a time zone this machine can resolve (checked when one is set)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def org_zone(name: str | ZoneInfo | None) -> ZoneInfo:
    """The zone called `name`; empty or unknown: Asia/Shanghai."""
    if isinstance(name, ZoneInfo):
        return name
    return ZoneInfo(name if name and is_known_zone(name) else DEFAULT_TIMEZONE)


def local_day(at: datetime, timezone: str | ZoneInfo | None) -> date:
    """The calendar day of the instant `at` in `timezone` (see `org_zone`)."""
    return at.astimezone(org_zone(timezone)).date()


def local_midnight(day: date, timezone: str | ZoneInfo | None) -> datetime:
    """The instant a local day starts."""
    return datetime.combine(day, time.min, tzinfo=org_zone(timezone))


def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month_start(day: date) -> date:
    return add_months(day, 1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before, if negative) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def year_start(day: date) -> date:
    return day.replace(month=1, day=1)
