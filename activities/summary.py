"""A person's summary, read from the daily contributions rollup.

The rollup holds one row per person, team and local day, so the summary costs two
small statements (after auth) however many activities the person has logged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import Date, Integer, bindparam, case, cast, func, literal, select
from sqlalchemy.orm import Session

from activities.carbon import equivalents
from activities.factors import FactorRegistry
from activities.service import factor_set_on, place_of
from app.models import User
from points.models import DailyContribution as Day
from points.models import PointsAccount

PERIODS = ("today", "week", "month", "year")


def period_starts(today: date) -> dict[str, date]:
    """First day of today's week (Monday), month and year."""
    return {"today": today, "week": today - timedelta(days=today.weekday()),
            "month": today.replace(day=1), "year": today.replace(month=1, day=1)}


def summarise(session: Session, user: User, registry: FactorRegistry, now: datetime) -> dict:
    """Balance, carbon per period, entries, streak, team rank and equivalents."""
    place = place_of(session, user)  # no query: auth loaded the organisation with the user
    today = place.today(now)
    starts = period_starts(today)
    has_team = user.team_id is not None and user.org_id is not None
    row = session.execute(_totals_query(has_team), {
        "user_id": user.id, "org_id": user.org_id, "team_id": user.team_id,
        **{f"{name}_start": start for name, start in starts.items()}}).one()
    grams = dict(zip(starts, (int(v) for v in row[:4]), strict=True))
    grams["total"] = int(row[4])
    factor_set = factor_set_on(registry, today) or registry.sets[0]
    return {
        "points_balance": int(row[6] or 0),
        "co2e_saved_g": grams,
        "activities_count": int(row[5]),
        "streak_days": streak_days(session, user.id, today),
        "team_rank": int(row[7]) if has_team else None,
        "equivalents": list(equivalents(max(0, grams["total"]), factor_set)),
    }


# The statements are built once, with bind parameters: composing them per request costs
# more Python than running them.

@cache
def _totals_query(has_team: bool):
    """One round trip: the person's carbon per period, total entries, balance, team rank."""
    starts = [bindparam(f"{name}_start", type_=Date) for name in PERIODS]
    sums = [func.coalesce(func.sum(case((Day.day >= start, Day.co2e_g), else_=0)), 0)
            for start in starts]
    balance = (select(PointsAccount.balance)
               .where(PointsAccount.user_id == bindparam("user_id")).scalar_subquery())
    rank = _team_rank(starts[2], starts[0]) if has_team else literal(None, Integer)
    return (select(*sums, func.coalesce(func.sum(Day.co2e_g), 0),
                   func.coalesce(func.sum(Day.entries), 0), balance, rank)
            .where(Day.user_id == bindparam("user_id")))


def _team_rank(month_start, today):
    """Rank of the caller's team in the organisation by carbon this month (ties share)."""
    this_month = (Day.org_id == bindparam("org_id"), Day.day >= month_start, Day.day <= today)
    # correlate(None): these read other rows of the table the outer query reads
    mine = (select(func.coalesce(func.sum(Day.co2e_g), 0))
            .where(*this_month, Day.team_id == bindparam("team_id"))
            .correlate(None).scalar_subquery())
    teams = (select(func.sum(Day.co2e_g).label("grams"))
             .where(*this_month, Day.team_id.is_not(None)).group_by(Day.team_id).subquery())
    return (select(1 + func.count()).select_from(teams)
            .where(func.coalesce(teams.c.grams, 0) > mine).correlate(None).scalar_subquery())


def streak_days(session: Session, user_id: int, today: date) -> int:
    """Consecutive local days with an entry, ending today (or yesterday, if none yet today)."""
    query = _streak_query(session.get_bind().dialect.name)
    row = session.execute(query, {"user_id": user_id, "today": today}).first()
    if row is None or row[0] < today - timedelta(days=1):
        return 0
    return int(row[1])


@cache
def _streak_query(dialect: str):
    """(newest day, length) of the newest run of consecutive days with an entry.

    One statement however long the streak: numbered newest first, consecutive days share
    day + number (an island).
    """
    days = (select(Day.day.label("day"))
            .where(Day.user_id == bindparam("user_id"), Day.day <= bindparam("today", type_=Date))
            .group_by(Day.day).having(func.sum(Day.entries) > 0).subquery())
    number = func.row_number().over(order_by=days.c.day.desc())
    if dialect == "sqlite":  # dates are text there
        island = func.julianday(days.c.day) + number
    else:
        island = days.c.day + cast(number, Integer)
    numbered = select(days.c.day, island.label("island")).subquery()
    return (select(func.max(numbered.c.day), func.count()).group_by(numbered.c.island)
            .order_by(func.max(numbered.c.day).desc()).limit(1))
