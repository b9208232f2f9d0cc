"""The report figures in SQL: grouped reads of the rollups, a fixed number per report.

Every function issues one statement, whatever the number of activities, months or
organisations: the grouping is done by the database (GROUP BY month or organisation),
never by a loop of queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    BigInteger,
    Date,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from activities.models import ActivityMonthlyRollup, ActivityRollup, OrgActivePeople
from app.models import Organisation
from points.models import OrgDailyPoints


class month_start(FunctionElement):  # noqa: N801 - reads as the SQL function it stands for
    """The first day of a date's month, as a date, on PostgreSQL and SQLite."""

    type = Date()
    inherit_cache = True


@compiles(month_start)
def _month_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(month_start, "postgresql")
def _month_start_postgresql(element, compiler, **kw):
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


def as_date(value) -> date:
    """SQLite answers a computed date as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class PointsMonth:
    month: date
    issued: int
    redeemed: int


@dataclass
class OrgYear:
    """One organisation's figures for one year (`current` True) or the year before."""

    co2e_g: int = 0
    activities: int = 0
    points_issued: int = 0
    points_redeemed: int = 0
    active_users: int = 0


def _year_flag(column, year_start: date):
    """1 for the report year, 0 for the year before (the range read covers both)."""
    return case((column >= year_start, 1), else_=0)


def _points_months(org_id, start, end):
    """Points issued and redeemed per month, days in [start, end) (values or bindparams)."""
    month = month_start(OrgDailyPoints.day)
    return (select(month, cast(func.sum(OrgDailyPoints.issued), BigInteger),
                   cast(func.sum(OrgDailyPoints.redeemed), BigInteger))
            .where(OrgDailyPoints.org_id == org_id, OrgDailyPoints.day >= start,
                   OrgDailyPoints.day < end)
            .group_by(month))


def org_points_months(session: Session, org_id: int, start: date, end: date) -> list[PointsMonth]:
    """Points issued and redeemed per month, days in [start, end)."""
    return [PointsMonth(as_date(m), int(i or 0), int(r or 0))
            for m, i, r in session.execute(_points_months(org_id, start, end))]


def _org_months_statement():
    """What an institution report reads, months starting in [:start, :end), as rows of
    (kind, month, name, first, second), one statement:
    't' a behaviour's month (type, grams, activities), the monthly rollup's rows as they are;
    'p' points of a month (NULL, issued, redeemed), summed from the days;
    'a' active people (span 'month' or 'year', people, NULL)."""
    rollup, people = ActivityMonthlyRollup, OrgActivePeople
    org_id, start, end = bindparam("org_id"), bindparam("start"), bindparam("end")
    points = _points_months(org_id, start, end)
    month, issued, redeemed = points.selected_columns
    return union_all(
        select(literal("t"), rollup.month, rollup.type, rollup.co2e_g,
               cast(rollup.activities, BigInteger))
        .where(rollup.org_id == org_id, rollup.month >= start, rollup.month < end),
        points.with_only_columns(literal("p"), month, null(), issued, redeemed),
        select(literal("a"), people.start, people.span, cast(people.people, BigInteger),
               null())
        .where(people.org_id == org_id, people.start >= start, people.start < end))


_ORG_MONTHS = _org_months_statement()


def org_months(session: Session, org_id: int, start: date, end: date) -> list[tuple]:
    """An institution's rows of months starting in [start, end) (`_org_months_statement`):
    a fixed few per month, whatever the number of activities."""
    return session.execute(_ORG_MONTHS, {"org_id": org_id, "start": start, "end": end}).all()


def organisations_in(session: Session, region: str | None) -> list[Organisation]:
    """Every organisation of a region (all regions: None), in id order."""
    stmt = select(Organisation).order_by(Organisation.id)
    if region is not None:
        stmt = stmt.where(Organisation.region == region)
    return list(session.scalars(stmt))


def _scope(column, region: str | None):
    """Organisations of the region, as a sub-select (one statement, no id list)."""
    if region is None:
        return column.isnot(None)
    return column.in_(select(Organisation.id).where(Organisation.region == region))


def org_years(session: Session, region: str | None, start: date, year_start: date,
              end: date) -> dict[tuple[int, int], OrgYear]:
    """(org_id, year flag) -> figures, for every organisation of the region, in 3 statements.

    `start`, `year_start` and `end` are first days of months (whole years)."""
    years: dict[tuple[int, int], OrgYear] = {}
    rollup = ActivityMonthlyRollup
    flag = _year_flag(rollup.month, year_start)
    for org_id, current, grams, count in session.execute(
            select(rollup.org_id, flag, func.sum(rollup.co2e_g), func.sum(rollup.activities))
            .where(_scope(rollup.org_id, region), rollup.month >= start, rollup.month < end)
            .group_by(rollup.org_id, flag)):
        year = years.setdefault((org_id, int(current)), OrgYear())
        year.co2e_g, year.activities = int(grams or 0), int(count or 0)
    flag = _year_flag(OrgDailyPoints.day, year_start)
    for org_id, current, issued, redeemed in session.execute(
            select(OrgDailyPoints.org_id, flag, func.sum(OrgDailyPoints.issued),
                   func.sum(OrgDailyPoints.redeemed))
            .where(_scope(OrgDailyPoints.org_id, region), OrgDailyPoints.day >= start,
                   OrgDailyPoints.day < end)
            .group_by(OrgDailyPoints.org_id, flag)):
        year = years.setdefault((org_id, int(current)), OrgYear())
        year.points_issued, year.points_redeemed = int(issued or 0), int(redeemed or 0)
    for org_id, year, people in session.execute(
            select(OrgActivePeople.org_id, OrgActivePeople.start, OrgActivePeople.people)
            .where(_scope(OrgActivePeople.org_id, region), OrgActivePeople.span == "year",
                   OrgActivePeople.start >= start, OrgActivePeople.start < end)):
        current = int(as_date(year) >= year_start)
        years.setdefault((org_id, current), OrgYear()).active_users = int(people)
    return years


def days_with_activities(session: Session, region: str | None, start: date,
                         end: date) -> Sequence[date]:
    """Local days in [start, end) on which some organisation of the region has an activity
    (the factor sets in use: a per-day question, so the daily rollup)."""
    stmt = (select(ActivityRollup.day).distinct()
            .where(_scope(ActivityRollup.org_id, region), ActivityRollup.day >= start,
                   ActivityRollup.day < end, ActivityRollup.activities > 0))
    return [as_date(day) for day in session.scalars(stmt)]
