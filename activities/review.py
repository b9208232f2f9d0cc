"""Review of self-reported entries: three rules flag entries into a queue at logging time.

Rules (API.md, "Points policy, expiry, budget and review"); they flag, never block:
- `outlier_quantity`: more than 5 times the person's median of that behaviour over the
  30 days before it, with at least 3 earlier entries;
- `cap_streak`: the entry takes the person to the behaviour's daily cap, and they were
  at that cap on 5 or more of the last 7 local days (this one included);
- `long_trips`: `rail_not_flight` or `video_meeting` entries of the organisation-local
  month adding up to more than 1,000 km with this one.
One review per entry: the first rule that matches, in that order. Decisions are in
`activities.review_decisions`.

The rules are pure: the logging path reads what they need (`ReviewWindow`) in the
statement that reads the person's usage, and judges a request's entries in order, each
against the stored history plus the entries of its own request before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median

from activities.factors import Behaviour
from activities.models import Activity
from app.calendar import month_start

OUTLIER_FACTOR = 5
OUTLIER_WINDOW = timedelta(days=30)
OUTLIER_MIN_EARLIER = 3
STREAK_WINDOW_DAYS = 7
STREAK_MIN_DAYS = 5
LONG_TRIP_TYPES = ("rail_not_flight", "video_meeting")
LONG_TRIP_MONTHLY_KM = Decimal(1000)
MILLI = 1000


@dataclass(frozen=True)
class Earlier:
    """A stored accepted entry the rules look back on."""

    type: str
    occurred_at: datetime
    local_date: date
    quantity: Decimal


@dataclass
class ReviewWindow:
    """What the rules look back on for one request's entries: the person's accepted entries
    of those behaviours in the outlier window and of the long-trip behaviours in those
    months, and their usage rows of those behaviours over the streak window."""

    entries: list[Earlier] = field(default_factory=list)
    usage_milli: dict[tuple[str, date], int] = field(default_factory=dict)


def streak_days(days: list[date]) -> tuple[date, date]:
    """The usage days the streak rule may read for entries of `days`."""
    return min(days) - timedelta(days=STREAK_WINDOW_DAYS - 1), max(days)


def outlier_span(instants: list[datetime]) -> tuple[datetime, datetime]:
    """[from, to) of the stored entries the outlier rule may read for `instants`."""
    return min(instants) - OUTLIER_WINDOW, max(instants)


def review_rules(stored: list[tuple[Activity, Behaviour, int]],
                 window: ReviewWindow) -> list[str | None]:
    """The rule each stored entry is flagged by (None: not flagged), in their order.

    Each item: (activity, its behaviour, its behaviour's usage of the day with it).
    Every entry is judged as if it had been logged alone: entries stored after it (later
    items of its request) are left out. `window.usage_milli` holds the usage rows as the
    request leaves them.
    """
    rules = []
    earlier: dict[str, list[Earlier]] = {}  # by behaviour: a batch's items scan their own
    for row in window.entries:
        earlier.setdefault(row.type, []).append(row)
    for activity, behaviour, used_milli in stored:
        rules.append(matching_rule(activity, behaviour, used_milli, earlier, window))
        earlier.setdefault(activity.type, []).append(Earlier(
            activity.type, activity.occurred_at, activity.local_date,
            Decimal(activity.quantity)))
    return rules


def matching_rule(activity: Activity, behaviour: Behaviour, used_milli: int,
                  earlier: dict[str, list[Earlier]], window: ReviewWindow) -> str | None:
    """`earlier`: the entries before it, by behaviour."""
    if is_outlier(activity, earlier.get(activity.type, [])):
        return "outlier_quantity"
    if is_cap_streak(activity, behaviour, used_milli, window.usage_milli):
        return "cap_streak"
    if is_long_trip(activity, earlier):
        return "long_trips"
    return None


def is_outlier(activity: Activity, same_behaviour: list[Earlier]) -> bool:
    """More than 5 x the median of its behaviour's 30 days before it (3 entries at least)."""
    window_start = activity.occurred_at - OUTLIER_WINDOW
    quantities = [row.quantity for row in same_behaviour
                  if window_start <= row.occurred_at < activity.occurred_at]
    if len(quantities) < OUTLIER_MIN_EARLIER:
        return False
    return Decimal(activity.quantity) > OUTLIER_FACTOR * median(quantities)


def is_cap_streak(activity: Activity, behaviour: Behaviour, used_milli: int,
                  usage_milli: dict[tuple[str, date], int]) -> bool:
    """Checked only by the entry that reaches the cap, so a day is flagged once."""
    if activity.credited_quantity <= 0:
        return False  # already past the cap before this entry
    cap_milli = int(behaviour.daily_cap * MILLI)
    if not activity.capped and used_milli < cap_milli:
        return False
    days_at_cap = sum(1 for back in range(STREAK_WINDOW_DAYS)
                      if usage_milli.get((activity.type, activity.local_date
                                          - timedelta(days=back)), 0) >= cap_milli)
    return days_at_cap >= STREAK_MIN_DAYS


def is_long_trip(activity: Activity, earlier: dict[str, list[Earlier]]) -> bool:
    if activity.type not in LONG_TRIP_TYPES:
        return False
    month = month_start(activity.local_date)
    total = Decimal(activity.quantity) + sum(
        (row.quantity for kind in LONG_TRIP_TYPES for row in earlier.get(kind, ())
         if month_start(row.local_date) == month), Decimal(0))
    return total > LONG_TRIP_MONTHLY_KM
