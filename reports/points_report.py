"""The points report of an institution: what its points cost it and what they are worth.

Per organisation-local month of a year: points issued and redeemed (the daily points
rows) and expired (its `expire` ledger entries). Then, as of now: the points its
members hold (outstanding), their value (liability = outstanding x point value), and
the share of the annual budget used by what was redeemed this year (the redeemed
points' value / the budget, in percent).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.calendar import local_day, local_midnight, month_start, org_zone
from app.figures import percent_of, yuan
from app.models import User
from app.service import organisation_for
from points.models import LedgerEntry, PointsAccount
from points.policy import policy_of
from reports import queries
from reports.service import local_year

SUMMARY_FIELDS = ("outstanding_points", "liability_yuan", "annual_budget_yuan",
                  "budget_used_pct")


def points_report(session: Session, actor: User, org_id: int, year: int | None,
                  now: datetime) -> dict:
    org = organisation_for(session, actor, org_id, "admin")
    tz = org_zone(org.timezone)
    year = year or local_year(now, org.timezone)
    policy = policy_of(session, org.id)
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    flows = {row.month: row for row in queries.org_points_months(session, org.id, start, end)}
    expired = _expired_by_month(session, org.id, local_midnight(start, tz),
                                local_midnight(end, tz), tz)
    months = []
    for month in (date(year, m, 1) for m in range(1, 13)):
        flow = flows.get(month)
        months.append({"period": f"{month:%Y-%m}", "issued": flow.issued if flow else 0,
                       "redeemed": flow.redeemed if flow else 0,
                       "expired": expired.get(month, 0)})
    outstanding = _outstanding(session, org.id)
    redeemed_value = sum(m["redeemed"] for m in months) * policy.point_value_yuan
    budget = policy.annual_budget_yuan
    return {
        "org_id": org.id, "year": year, "months": months,
        "issued": sum(m["issued"] for m in months),
        "redeemed": sum(m["redeemed"] for m in months),
        "expired": sum(m["expired"] for m in months),
        "outstanding_points": outstanding,
        "point_value_yuan": policy.point_value_yuan,
        "liability_yuan": yuan(outstanding * policy.point_value_yuan),
        "redeemed_value_yuan": yuan(redeemed_value),
        "annual_budget_yuan": budget,
        "budget_used_pct": percent_of(redeemed_value, budget),
    }


def _expired_by_month(session: Session, org_id: int, start: datetime, end: datetime,
                      tz) -> dict[date, int]:
    """Expired points per local month: expiry entries are few (one per person and run)."""
    rows = session.execute(select(LedgerEntry.created_at, LedgerEntry.delta).where(
        LedgerEntry.org_id == org_id, LedgerEntry.kind == "expire",
        LedgerEntry.created_at >= start, LedgerEntry.created_at < end))
    months: dict[date, int] = defaultdict(int)
    for created_at, delta in rows:
        months[month_start(local_day(created_at, tz))] -= delta
    return months


def _outstanding(session: Session, org_id: int) -> int:
    """Points held now by the organisation's members."""
    return int(session.scalar(
        select(func.coalesce(func.sum(PointsAccount.balance), 0))
        .join(User, User.id == PointsAccount.user_id).where(User.org_id == org_id)) or 0)


def points_report_table(report: dict) -> tuple[list[str], list[list]]:
    """One row per month, then the year with the figures as of now."""
    header = ["period", "issued", "redeemed", "expired", *SUMMARY_FIELDS]
    rows = [[m["period"], m["issued"], m["redeemed"], m["expired"], None, None, None, None]
            for m in report["months"]]
    rows.append([str(report["year"]), report["issued"], report["redeemed"], report["expired"],
                 *(report[name] for name in SUMMARY_FIELDS)])
    return header, rows
