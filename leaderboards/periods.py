"""Board periods in an organisation's time zone. Pure functions, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.calendar import (
    DEFAULT_TIMEZONE,
    local_midnight,
    month_start,
    next_month_start,
    org_zone,
    week_start,
    year_start,
)

PERIOD_KINDS = ("week", "month", "year", "all")


@dataclass(frozen=True)
class Period:
    """Days [start_day, end_day) counted in `timezone`; `key` names the Redis bucket."""

    kind: str
    key: str
    start_day: date | None
    end_day: date | None
    timezone: str
    campaign_id: int | None = None
    starts: datetime | None = None  # a campaign's own window, not whole days
    ends: datetime | None = None

    def start_at(self) -> datetime | None:
        if self.starts is not None:
            return self.starts.astimezone(org_zone(self.timezone))
        return None if self.start_day is None else local_midnight(self.start_day, self.timezone)

    def end_at(self) -> datetime | None:
        if self.ends is not None:
            return self.ends.astimezone(org_zone(self.timezone))
        return None if self.end_day is None else local_midnight(self.end_day, self.timezone)


def period_containing(kind: str, day: date, timezone: str = DEFAULT_TIMEZONE) -> Period:
    """The week (Monday start), month, year or all-time period that holds `day`."""
    if kind == "week":
        start = week_start(day)
        return Period(kind, f"w{start.isoformat()}", start, start + timedelta(days=7), timezone)
    if kind == "month":
        start = month_start(day)
        return Period(kind, f"m{start:%Y-%m}", start, next_month_start(day), timezone)
    if kind == "year":
        start = year_start(day)
        return Period(kind, f"y{start.year}", start, start.replace(year=start.year + 1), timezone)
    if kind == "all":
        return Period(kind, "all", None, None, timezone)
    raise ValueError(f"unknown period {kind!r}")


def periods_of_day(day: date, timezone: str = DEFAULT_TIMEZONE) -> list[Period]:
    """Every standing period a contribution on `day` counts towards."""
    return [period_containing(kind, day, timezone) for kind in PERIOD_KINDS]


def seconds_to_keep(period: Period, now: datetime, grace_days: int = 7) -> int | None:
    """How long a period's Redis keys live: until a week after the period ends."""
    end = period.end_at()
    if end is None:
        return None
    return max(60, int((end - now).total_seconds()) + grace_days * 86400)


def campaign_period(campaign_id: int, starts: datetime, ends: datetime,
                    timezone: str = DEFAULT_TIMEZONE) -> Period:
    """A campaign's window: its boards count the activities that carry the campaign."""
    return Period("campaign", f"c{campaign_id}", None, None, timezone, campaign_id, starts, ends)
