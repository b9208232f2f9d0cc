"""A person's summary, read from the daily contributions rollup.

The rollup holds one row per person, team and local day, so the summary costs a
handful of small queries however many activities the person has logged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from activities.carbon import equivalents
from activities.factors import FactorRegistry
from activities.service import factor_set_on, place_of
from app.models import User
from points.ledger import balance_of
from points.models import DailyContribution as Day

STREAK_PAGE = 64


def period_starts(today: date) -> dict[str, date]:
    """First day of today's week (Monday), month and year."""
    return {"today": today, "week": today - timedelta(days=today.weekday()),
            "month": today.replace(day=1), "year": today.replace(month=1, day=1)}


def summarise(session: Session, user: User, registry: FactorRegistry, now: datetime) -> dict:
    """Balance, carbon per period, entries, streak, team rank and equivalents."""
    place = place_of(session, user)
    today = place.today(now)
    starts = period_starts(today)
    sums = [func.coalesce(func.sum(case((Day.day >= start, Day.co2e_g), else_=0)), 0)
            for start in starts.values()]
    row = session.execute(
        select(*sums, func.coalesce(func.sum(Day.co2e_g), 0),
               func.coalesce(func.sum(Day.entries), 0))
        .where(Day.user_id == user.id)).one()
    grams = dict(zip(starts, (int(v) for v in row[:4]), strict=True))
    grams["total"] = int(row[4])
    factor_set = factor_set_on(registry, today) or registry.sets[0]
    return {
        "points_balance": balance_of(session, user.id),
        "co2e_saved_g": grams,
        "activities_count": int(row[5]),
        "streak_days": streak_days(session, user.id, today),
        "team_rank": team_rank(session, user, starts["month"], today),
        "equivalents": list(equivalents(max(0, grams["total"]), factor_set)),
    }


def streak_days(session: Session, user_id: int, today: date) -> int:
    """Consecutive local days with an entry, ending today (or yesterday, if none yet today)."""
    stmt = (select(Day.day).where(Day.user_id == user_id, Day.day <= today)
            .group_by(Day.day).having(func.sum(Day.entries) > 0).order_by(Day.day.desc()))
    expected, streak, offset = today, 0, 0
    while True:
        days = list(session.scalars(stmt.offset(offset).limit(STREAK_PAGE)))
        for day in days:
            if streak == 0 and day == today - timedelta(days=1) and expected == today:
                expected = day  # nothing logged yet today: the streak still stands
            if day != expected:
                return streak
            streak += 1
            expected = day - timedelta(days=1)
        if len(days) < STREAK_PAGE:
            return streak
        offset += STREAK_PAGE


def team_rank(session: Session, user: User, month_start: date, today: date) -> int | None:
    """Rank of the caller's team in the organisation by carbon this month (ties share)."""
    if user.team_id is None or user.org_id is None:
        return None
    totals = dict(session.execute(
        select(Day.team_id, func.sum(Day.co2e_g))
        .where(Day.org_id == user.org_id, Day.team_id.is_not(None),
               Day.day >= month_start, Day.day <= today)
        .group_by(Day.team_id)).all())
    mine = int(totals.get(user.team_id) or 0)
    return 1 + sum(1 for grams in totals.values() if int(grams or 0) > mine)
