"""The truth, in SQL: board totals summed from the daily contributions rollup.

A campaign board sums the activities that carry the campaign instead (its window rarely
matches whole days, and the rollup does not know campaigns).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from leaderboards.periods import Period
from points.models import DailyContribution


@dataclass
class Totals:
    co2e_g: int = 0
    points: int = 0
    participants: int = 0


def _source(period: Period):
    """(org_id, team_id, user_id, co2e_g, points, entries) rows that count in the period."""
    if period.kind == "campaign":
        from activities.models import Activity

        return select(Activity.org_id, Activity.team_id, Activity.user_id,
                      Activity.co2e_saved_g.label("co2e_g"), Activity.points,
                      literal(1).label("entries")).where(
            Activity.campaign_id == period.campaign_id,
            Activity.status == "accepted").subquery()
    stmt = select(DailyContribution.org_id, DailyContribution.team_id, DailyContribution.user_id,
                  DailyContribution.co2e_g, DailyContribution.points, DailyContribution.entries)
    if period.start_day is not None:
        stmt = stmt.where(DailyContribution.day >= period.start_day)
    if period.end_day is not None:
        stmt = stmt.where(DailyContribution.day < period.end_day)
    return stmt.subquery()


def period_rows(session: Session, period: Period) -> list[tuple]:
    """(org_id, team_id, user_id, grams, points, entries) for everyone active in the period.

    One grouped query per period: everything a rebuild writes is derived from it.
    """
    src = _source(period)
    stmt = select(src.c.org_id, src.c.team_id, src.c.user_id, func.sum(src.c.co2e_g),
                  func.sum(src.c.points), func.sum(src.c.entries)
                  ).group_by(src.c.org_id, src.c.team_id, src.c.user_id)
    return [(o, t, u, int(g or 0), int(p or 0), int(e or 0))
            for o, t, u, g, p, e in session.execute(stmt)]


def user_totals(session: Session, period: Period, *, org_id: int,
                team_id: int | None = None) -> dict[int, Totals]:
    """Per person: grams and points earned in the period (within a team if given)."""
    src = _source(period)
    stmt = select(src.c.user_id, func.sum(src.c.co2e_g), func.sum(src.c.points),
                  func.sum(src.c.entries)).where(src.c.org_id == org_id)
    if team_id is not None:
        stmt = stmt.where(src.c.team_id == team_id)
    stmt = stmt.group_by(src.c.user_id)
    return {uid: Totals(int(g or 0), int(p or 0), 1 if (e or 0) > 0 else 0)
            for uid, g, p, e in session.execute(stmt)}


def _grouped_totals(session: Session, period: Period, group: str, *filters) -> dict:
    src = _source(period)
    group_column = src.c[group]
    per_person = (select(group_column.label("grp"), src.c.user_id,
                         func.sum(src.c.co2e_g).label("g"), func.sum(src.c.points).label("p"),
                         func.sum(src.c.entries).label("e"))
                  .where(*[f(src) for f in filters])
                  .group_by(group_column, src.c.user_id).subquery())
    stmt = select(per_person.c.grp, func.sum(per_person.c.g), func.sum(per_person.c.p),
                  func.sum(func.cast(per_person.c.e > 0, DailyContribution.entries.type))
                  ).group_by(per_person.c.grp)
    return {grp: Totals(int(g or 0), int(p or 0), int(n or 0))
            for grp, g, p, n in session.execute(stmt) if grp is not None}


def team_totals(session: Session, period: Period, *, org_id: int) -> dict[int, Totals]:
    """Per team: grams, points and distinct participants, counted for the team at the time."""
    return _grouped_totals(session, period, "team_id", lambda src: src.c.org_id == org_id)


def org_totals(session: Session, period: Period, *, org_ids: list[int]) -> dict[int, Totals]:
    """Per organisation: grams, points and distinct participants."""
    if not org_ids:
        return {}
    return _grouped_totals(session, period, "org_id", lambda src: src.c.org_id.in_(org_ids))
