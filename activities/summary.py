"""A person's summary, read from the daily contributions rollup.

The rollup holds one row per person, team and local day, so the summary costs one
statement (after auth) however many activities the person has logged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import Date, Integer, bindparam, case, cast, func, literal, select
from sqlalchemy.orm import Session

from activities.carbon import equivalents
from activities.factors import FactorRegistry
from activities.service import factor_set_on, place_of
from app.calendar import month_start, week_start, year_start
from app.models import User
from points.models import DailyContribution as Day
from points.models import PointsAccount

PERIODS = ("today", "week", "month", "year")


def period_starts(today: date) -> dict[str, date]:
    """First day of today's week (Monday), month and year."""
    return {"today": today, "week": week_start(today), "month": month_start(today),
            "year": year_start(today)}


def summarise(session: Session, user: User, registry: FactorRegistry, now: datetime) -> dict:
    """Balance, carbon per period, entries, streak, team rank and equivalents."""
    place = place_of(session, user)  # no query: auth loaded the organisation with the user
    today = place.today(now)
    starts = period_starts(today)
    has_team = user.team_id is not None and user.org_id is not None
    query = _summary_query(session.get_bind().dialect.name, has_team)
    row = session.execute(query, {
        "user_id": user.id, "org_id": user.org_id, "team_id": user.team_id,
        **{f"{name}_start": start for name, start in starts.items()}}).one()
    grams = dict(zip(starts, (int(v) for v in row[:4]), strict=True))
    grams["total"] = int(row[4])
    factor_set = factor_set_on(registry, today) or registry.sets[0]
    return {
        "points_balance": int(row[6] or 0),
        "co2e_saved_g": grams,
        "activities_count": int(row[5]),
        "streak_days": streak_length(row[7], row[8], today),
        "team_rank": int(row[9]) if has_team else None,
        "equivalents": list(equivalents(max(0, grams["total"]), factor_set)),
    }


def streak_length(newest_day: date | None, days: int | None, today: date) -> int:
    """Consecutive local days with an entry, ending today (or yesterday, if none yet today):
    the newest run of days counts only if it reaches today or yesterday."""
    if newest_day is None or newest_day < today - timedelta(days=1):
        return 0
    return int(days or 0)


# The statement is built once, with bind parameters: composing it per request costs more
# Python than running it.

@cache
def _summary_query(dialect: str, has_team: bool):
    """One round trip: the person's carbon per period, entries, balance, streak, team rank."""
    starts = [bindparam(f"{name}_start", type_=Date) for name in PERIODS]
    user_id = bindparam("user_id")
    sums = [func.coalesce(func.sum(case((Day.day >= start, Day.co2e_g), else_=0)), 0)
            for start in starts]
    balance = (select(PointsAccount.balance)
               .where(PointsAccount.user_id == user_id).scalar_subquery())
    newest_run_day, newest_run_length = _newest_run(dialect, user_id, starts[0])
    rank = _team_rank(starts[2], starts[0]) if has_team else literal(None, Integer)
    return (select(*sums, func.coalesce(func.sum(Day.co2e_g), 0),
                   func.coalesce(func.sum(Day.entries), 0), balance,
                   newest_run_day, newest_run_length, rank)
            .where(Day.user_id == user_id))


def _newest_run(dialect: str, user_id, today):
    """(newest day, length) of the newest run of consecutive days with an entry, however
    long: numbered newest first, consecutive days share day + number (an island)."""
    days = (select(Day.day.label("day")).where(Day.user_id == user_id, Day.day <= today)
            .group_by(Day.day).having(func.sum(Day.entries) > 0).subquery())
    number = func.row_number().over(order_by=days.c.day.desc())
    if dialect == "sqlite":  # dates are text there
        island = func.julianday(days.c.day) + number
    else:
        island = days.c.day + cast(number, Integer)
    # a CTE: PostgreSQL computes it once for the three references below
    numbered = select(days.c.day, island.label("island")).cte("numbered_days")
    newest = numbered.c.island == (select(numbered.c.island).order_by(numbered.c.day.desc())
                                   .limit(1).scalar_subquery())
    # correlate(None): these read other rows of the table the outer query reads
    return (select(func.max(numbered.c.day)).where(newest).correlate(None).scalar_subquery(),
            select(func.count()).select_from(numbered).where(newest)
            .correlate(None).scalar_subquery())


def _team_rank(month_start, today):
    """Rank of the caller's team in the organisation by carbon this month (ties share)."""
    this_month = (Day.org_id == bindparam("org_id"), Day.day >= month_start, Day.day <= today)
    mine = (select(func.coalesce(func.sum(Day.co2e_g), 0))
            .where(*this_month, Day.team_id == bindparam("team_id"))
            .correlate(None).scalar_subquery())
    teams = (select(func.sum(Day.co2e_g).label("grams"))
             .where(*this_month, Day.team_id.is_not(None)).group_by(Day.team_id).subquery())
    return (select(1 + func.count()).select_from(teams)
            .where(func.coalesce(teams.c.grams, 0) > mine).correlate(None).scalar_subquery())
