"""Board periods in an organisation's time zone. Pure functions, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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

    def contains(self, day: date) -> bool:
        return (self.start_day is None or day >= self.start_day) and (
            self.end_day is None or day < self.end_day)

    def start_at(self) -> datetime | None:
        if self.starts is not None:
            return self.starts.astimezone(ZoneInfo(self.timezone))
        return _midnight(self.start_day, self.timezone)

    def end_at(self) -> datetime | None:
        if self.ends is not None:
            return self.ends.astimezone(ZoneInfo(self.timezone))
        return _midnight(self.end_day, self.timezone)


def _midnight(day: date | None, timezone: str) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), ZoneInfo(timezone))


def period_containing(kind: str, day: date, timezone: str = "Asia/Shanghai") -> Period:
    """The week (Monday start), month, year or all-time period that holds `day`."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(kind, f"w{start.isoformat()}", start, start + timedelta(days=7), timezone)
    if kind == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return Period(kind, f"m{start:%Y-%m}", start, end, timezone)
    if kind == "year":
        start = day.replace(month=1, day=1)
        return Period(kind, f"y{start.year}", start, start.replace(year=start.year + 1), timezone)
    if kind == "all":
        return Period(kind, "all", None, None, timezone)
    raise ValueError(f"unknown period {kind!r}")


def periods_of_day(day: date, timezone: str = "Asia/Shanghai") -> list[Period]:
    """Every standing period a contribution on `day` counts towards."""
    return [period_containing(kind, day, timezone) for kind in PERIOD_KINDS]


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def seconds_to_keep(period: Period, now: datetime, grace_days: int = 7) -> int | None:
    """How long a period's Redis keys live: until a week after the period ends."""
    end = period.end_at()
    if end is None:
        return None
    return max(60, int((end - now).total_seconds()) + grace_days * 86400)


def competition_ranks(values: list) -> list[int]:
    """Ranks for values sorted best first: equal values share a rank, the next skips."""
    ranks: list[int] = []
    for position, value in enumerate(values):
        if position and value == values[position - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(position + 1)
    return ranks


def campaign_period(campaign_id: int, starts: datetime, ends: datetime,
                    timezone: str = "Asia/Shanghai") -> Period:
    """A campaign's window: its boards count the activities that carry the campaign."""
    return Period("campaign", f"c{campaign_id}", None, None, timezone, campaign_id, starts, ends)
