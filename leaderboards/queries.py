"""The truth, in SQL: board totals summed from the daily contributions rollup."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaderboards.periods import Period
from points.models import DailyContribution


@dataclass
class Totals:
    co2e_g: int = 0
    points: int = 0
    participants: int = 0


def period_rows(session: Session, period: Period) -> list[tuple]:
    """(org_id, team_id, user_id, grams, points, entries) for everyone active in the period.

    One grouped query per period: everything a rebuild writes is derived from it.
    """
    stmt = _in_period(select(DailyContribution.org_id, DailyContribution.team_id,
                             DailyContribution.user_id, func.sum(DailyContribution.co2e_g),
                             func.sum(DailyContribution.points),
                             func.sum(DailyContribution.entries)), period)
    stmt = stmt.group_by(DailyContribution.org_id, DailyContribution.team_id,
                         DailyContribution.user_id)
    return [(o, t, u, int(g or 0), int(p or 0), int(e or 0))
            for o, t, u, g, p, e in session.execute(stmt)]


def _in_period(stmt, period: Period):
    if period.start_day is not None:
        stmt = stmt.where(DailyContribution.day >= period.start_day)
    if period.end_day is not None:
        stmt = stmt.where(DailyContribution.day < period.end_day)
    return stmt


def user_totals(session: Session, period: Period, *, org_id: int,
                team_id: int | None = None) -> dict[int, Totals]:
    """Per person: grams and points earned in the period (within a team if given)."""
    stmt = select(DailyContribution.user_id, func.sum(DailyContribution.co2e_g),
                  func.sum(DailyContribution.points), func.sum(DailyContribution.entries)
                  ).where(DailyContribution.org_id == org_id)
    if team_id is not None:
        stmt = stmt.where(DailyContribution.team_id == team_id)
    stmt = _in_period(stmt, period).group_by(DailyContribution.user_id)
    return {uid: Totals(int(g or 0), int(p or 0), 1 if (e or 0) > 0 else 0)
            for uid, g, p, e in session.execute(stmt)}


def _grouped_totals(session: Session, period: Period, group_column, *filters) -> dict:
    per_person = _in_period(
        select(group_column.label("grp"), DailyContribution.user_id,
               func.sum(DailyContribution.co2e_g).label("g"),
               func.sum(DailyContribution.points).label("p"),
               func.sum(DailyContribution.entries).label("e"))
        .where(*filters), period).group_by(group_column, DailyContribution.user_id).subquery()
    stmt = select(per_person.c.grp, func.sum(per_person.c.g), func.sum(per_person.c.p),
                  func.sum(func.cast(per_person.c.e > 0, DailyContribution.entries.type))
                  ).group_by(per_person.c.grp)
    return {grp: Totals(int(g or 0), int(p or 0), int(n or 0))
            for grp, g, p, n in session.execute(stmt) if grp is not None}


def team_totals(session: Session, period: Period, *, org_id: int) -> dict[int, Totals]:
    """Per team: grams, points and distinct participants, counted for the team at the time."""
    return _grouped_totals(session, period, DailyContribution.team_id,
                           DailyContribution.org_id == org_id)


def org_totals(session: Session, period: Period, *, org_ids: list[int]) -> dict[int, Totals]:
    """Per organisation: grams, points and distinct participants."""
    if not org_ids:
        return {}
    return _grouped_totals(session, period, DailyContribution.org_id,
                           DailyContribution.org_id.in_(org_ids))
