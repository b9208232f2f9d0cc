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
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from statistics import median

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from activities.factors import Behaviour
from activities.models import Activity, ActivityDailyUsage, ActivityReview
from app.calendar import month_start, next_month_start

OUTLIER_FACTOR = 5
OUTLIER_WINDOW = timedelta(days=30)
OUTLIER_MIN_EARLIER = 3
STREAK_WINDOW_DAYS = 7
STREAK_MIN_DAYS = 5
LONG_TRIP_TYPES = ("rail_not_flight", "video_meeting")
LONG_TRIP_MONTHLY_KM = Decimal(1000)
MILLI = 1000


def flag_for_review(session: Session, stored: list[tuple[Activity, Behaviour, int]]) -> None:
    """Queue each stored entry for an admin when a rule matches, in their order.

    Each item: (activity, its behaviour, its behaviour's usage of the day with it). Every
    entry is judged as if it had been logged alone: entries stored after it (later items
    of its batch) are left out. Their earlier quantities are read in one statement.
    """
    earlier = _recent_quantities(session, [activity for activity, _, _ in stored])
    for activity, behaviour, used_milli in stored:
        rule = matching_rule(session, activity, behaviour, used_milli, earlier)
        if rule is not None:
            session.add(ActivityReview(org_id=activity.org_id, activity_id=activity.id,
                                       user_id=activity.user_id, rule=rule, status="open",
                                       shortfall_points=0, created_at=activity.created_at))


def matching_rule(session: Session, activity: Activity, behaviour: Behaviour,
                  used_milli: int, earlier: list[Row]) -> str | None:
    if is_outlier(activity, earlier):
        return "outlier_quantity"
    if is_cap_streak(session, activity, behaviour, used_milli):
        return "cap_streak"
    if is_long_trip(session, activity):
        return "long_trips"
    return None


def _recent_quantities(session: Session, activities: list[Activity]) -> list[Row]:
    """(id, type, occurred_at, quantity) of the person's accepted entries of these
    behaviours in the outlier window before the latest of them."""
    first = activities[0]
    return session.execute(
        select(Activity.id, Activity.type, Activity.occurred_at, Activity.quantity)
        .where(Activity.user_id == first.user_id,
               Activity.type.in_({a.type for a in activities}),
               Activity.status == "accepted",
               Activity.occurred_at >= min(a.occurred_at for a in activities) - OUTLIER_WINDOW,
               Activity.occurred_at < max(a.occurred_at for a in activities))).all()


def is_outlier(activity: Activity, recent: list[Row]) -> bool:
    """More than 5 x the median of its behaviour's 30 days before it (3 entries at least)."""
    window_start = activity.occurred_at - OUTLIER_WINDOW
    earlier = [Decimal(row.quantity) for row in recent
               if row.type == activity.type and row.id < activity.id
               and window_start <= row.occurred_at < activity.occurred_at]
    if len(earlier) < OUTLIER_MIN_EARLIER:
        return False
    return Decimal(activity.quantity) > OUTLIER_FACTOR * median(earlier)


def is_cap_streak(session: Session, activity: Activity, behaviour: Behaviour,
                  used_milli: int) -> bool:
    """Checked only by the entry that reaches the cap, so a day is flagged once."""
    if activity.credited_quantity <= 0:
        return False  # already past the cap before this entry
    cap_milli = int(behaviour.daily_cap * MILLI)
    if not activity.capped and used_milli < cap_milli:
        return False
    first_day = activity.local_date - timedelta(days=STREAK_WINDOW_DAYS - 1)
    days_at_cap = session.scalar(
        select(func.count())
        .where(ActivityDailyUsage.user_id == activity.user_id,
               ActivityDailyUsage.type == activity.type,
               ActivityDailyUsage.day.between(first_day, activity.local_date),
               ActivityDailyUsage.used_milli >= cap_milli))
    return days_at_cap >= STREAK_MIN_DAYS


def is_long_trip(session: Session, activity: Activity) -> bool:
    if activity.type not in LONG_TRIP_TYPES:
        return False
    month = month_start(activity.local_date)
    next_month = next_month_start(month)
    total = session.scalar(
        select(func.coalesce(func.sum(Activity.quantity), 0))
        .where(Activity.user_id == activity.user_id, Activity.type.in_(LONG_TRIP_TYPES),
               Activity.status == "accepted", Activity.id <= activity.id,
               Activity.local_date >= month,
               Activity.local_date < next_month))
    return Decimal(str(total)) > LONG_TRIP_MONTHLY_KM
