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

from sqlalchemy import func, select
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


def flag_for_review(session: Session, activity: Activity, behaviour: Behaviour) -> None:
    """Queue the entry for an admin when a rule matches (after it was credited)."""
    rule = matching_rule(session, activity, behaviour)
    if rule is not None:
        session.add(ActivityReview(org_id=activity.org_id, activity_id=activity.id,
                                   user_id=activity.user_id, rule=rule, status="open",
                                   shortfall_points=0, created_at=activity.created_at))


def matching_rule(session: Session, activity: Activity, behaviour: Behaviour) -> str | None:
    if is_outlier(session, activity):
        return "outlier_quantity"
    if is_cap_streak(session, activity, behaviour):
        return "cap_streak"
    if is_long_trip(session, activity):
        return "long_trips"
    return None


def is_outlier(session: Session, activity: Activity) -> bool:
    earlier = session.scalars(
        select(Activity.quantity)
        .where(Activity.user_id == activity.user_id, Activity.type == activity.type,
               Activity.status == "accepted", Activity.id != activity.id,
               Activity.occurred_at >= activity.occurred_at - OUTLIER_WINDOW,
               Activity.occurred_at < activity.occurred_at)).all()
    if len(earlier) < OUTLIER_MIN_EARLIER:
        return False
    return Decimal(activity.quantity) > OUTLIER_FACTOR * median(Decimal(q) for q in earlier)


def is_cap_streak(session: Session, activity: Activity, behaviour: Behaviour) -> bool:
    """Checked only by the entry that reaches the cap, so a day is flagged once."""
    if activity.credited_quantity <= 0:
        return False  # already past the cap before this entry
    cap_milli = int(behaviour.daily_cap * MILLI)
    if not activity.capped and _used_milli(session, activity) < cap_milli:
        return False
    first_day = activity.local_date - timedelta(days=STREAK_WINDOW_DAYS - 1)
    days_at_cap = session.scalar(
        select(func.count())
        .where(ActivityDailyUsage.user_id == activity.user_id,
               ActivityDailyUsage.type == activity.type,
               ActivityDailyUsage.day.between(first_day, activity.local_date),
               ActivityDailyUsage.used_milli >= cap_milli))
    return days_at_cap >= STREAK_MIN_DAYS


def _used_milli(session: Session, activity: Activity) -> int:
    return session.scalar(select(ActivityDailyUsage.used_milli).where(
        ActivityDailyUsage.user_id == activity.user_id,
        ActivityDailyUsage.type == activity.type,
        ActivityDailyUsage.day == activity.local_date)) or 0


def is_long_trip(session: Session, activity: Activity) -> bool:
    if activity.type not in LONG_TRIP_TYPES:
        return False
    month = month_start(activity.local_date)
    next_month = next_month_start(month)
    total = session.scalar(
        select(func.coalesce(func.sum(Activity.quantity), 0))
        .where(Activity.user_id == activity.user_id, Activity.type.in_(LONG_TRIP_TYPES),
               Activity.status == "accepted", Activity.local_date >= month,
               Activity.local_date < next_month))
    return Decimal(str(total)) > LONG_TRIP_MONTHLY_KM
