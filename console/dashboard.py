"""An institution's dashboard from its year report: this month, last month, a year before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from activities.factors import FactorRegistry
from app.calendar import local_day
from app.models import User
from app.service import organisation_for
from reports.service import org_report

KPI_FIGURES = ("co2e_saved_kg", "participation_rate", "points_issued", "points_redeemed")


def _month_rows(session: Session, actor: User, org_id: int, registry: FactorRegistry,
                now: datetime) -> tuple[dict, list[dict], int]:
    """The report of the current local year, its rows, and the current month (1..12)."""
    org = organisation_for(session, actor, org_id, "admin")
    today = local_day(now, org.timezone)
    report = org_report(session, actor, org_id, today.year, registry, now)
    return report, report["months"], today.month


def twelve_months(rows: list[dict], month: int) -> list[dict]:
    """The twelve months ending with `month`: last year's tail, then this year's head."""
    return [rows[k]["previous"] for k in range(month, 12)] + rows[:month]


def org_dashboard(session: Session, actor: User, org_id: int, registry: FactorRegistry,
                  now: datetime) -> dict:
    """KPIs of this month beside last month and the same month a year before (admin)."""
    report, rows, month = _month_rows(session, actor, org_id, registry, now)
    this = rows[month - 1]
    last = rows[month - 2] if month > 1 else rows[11]["previous"]
    kpis = [{"figure": name, "this": this[name], "last": last[name],
             "year_ago": this["previous"][name]} for name in KPI_FIGURES]
    return {"org": report["org"], "period": this["period"], "last_period": last["period"],
            "year_ago_period": this["previous"]["period"], "kpis": kpis,
            "active_users": this["active_users"], "top_behaviours": this["top_behaviours"]}


def org_chart(session: Session, actor: User, org_id: int, registry: FactorRegistry,
              now: datetime) -> dict:
    """The twelve-month series for the dashboard chart (ECharts categories and series)."""
    _report, rows, month = _month_rows(session, actor, org_id, registry, now)
    months = twelve_months(rows, month)
    return {"categories": [row["period"] for row in months],
            "series": [
                {"key": "co2e_saved_kg", "type": "bar",
                 "data": [float(row["co2e_saved_kg"]) for row in months]},
                {"key": "points_issued", "type": "line", "yAxisIndex": 1,
                 "data": [row["points_issued"] for row in months]},
                {"key": "points_redeemed", "type": "line", "yAxisIndex": 1,
                 "data": [row["points_redeemed"] for row in months]},
                {"key": "active_users", "type": "line", "yAxisIndex": 1,
                 "data": [row["active_users"] for row in months]},
            ]}
