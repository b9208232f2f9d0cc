"""Rebuilding an organisation's points per local day (`OrgDailyPoints`) from its ledger.

`credit_points` keeps the table as entries are appended; this recomputes it with
set-based SQL (`flask rollups rebuild`). The day is the organisation-local date of each
entry's created_at:

- PostgreSQL: `(created_at AT TIME ZONE tz)::date`, one INSERT ... SELECT ... GROUP BY.
- SQLite has no time zone database. Entries are summed in SQL per UTC quarter-hour and
  each quarter-hour is turned into a local day in Python (`local_day`, so DST is honoured).
  Exact as long as the zone's offsets and transitions fall on quarter-hours, which holds
  for every zone in use since 1972.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.types import Date, Integer

from app.calendar import local_day, org_zone
from points.models import EARNING_KINDS, LedgerEntry, OrgDailyPoints

# The same rule as `ledger.org_points_change`, as SQL over ledger entries.
ISSUED = func.sum(case((LedgerEntry.kind.in_(sorted(EARNING_KINDS)), LedgerEntry.delta),
                       else_=0))
REDEEMED = func.sum(case((LedgerEntry.kind.in_(("redeem", "refund")), -LedgerEntry.delta),
                         else_=0))
QUARTER = timedelta(minutes=15)


def rebuild_org_points(session: Session, org_id: int, timezone: str) -> int:
    """Replace one organisation's rows with sums of its ledger; answers the rows written."""
    session.execute(delete(OrgDailyPoints).where(OrgDailyPoints.org_id == org_id))
    tz = org_zone(timezone)
    if session.get_bind().dialect.name == "postgresql":
        return _rebuild_in_sql(session, org_id, tz.key)
    return _rebuild_by_quarter_hour(session, org_id, tz)


def _rebuild_in_sql(session: Session, org_id: int, timezone: str) -> int:
    day = cast(func.timezone(literal(timezone), LedgerEntry.created_at), Date).label("day")
    issued, redeemed = ISSUED.label("issued"), REDEEMED.label("redeemed")
    sums = (select(literal(org_id).label("org_id"), day, issued, redeemed)
            .where(LedgerEntry.org_id == org_id)
            .group_by(day)
            .having((ISSUED != 0) | (REDEEMED != 0)))
    session.execute(insert(OrgDailyPoints.__table__).from_select(
        ["org_id", "day", "issued", "redeemed"], sums))
    # Counted afterwards: psycopg reports no rowcount for INSERT ... SELECT here.
    return session.scalar(select(func.count()).where(OrgDailyPoints.org_id == org_id))


def _rebuild_by_quarter_hour(session: Session, org_id: int, tz: ZoneInfo) -> int:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: the first 14 characters are the hour.
    hour = func.substr(LedgerEntry.created_at, 1, 14)
    quarter = cast(func.substr(LedgerEntry.created_at, 15, 2), Integer) // 15
    rows = session.execute(select(hour, quarter, ISSUED, REDEEMED)
                           .where(LedgerEntry.org_id == org_id)
                           .group_by(hour, quarter))
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for hour_text, quarter_index, issued, redeemed in rows:
        start = datetime.strptime(hour_text, "%Y-%m-%d %H:").replace(tzinfo=UTC)
        day = local_day(start + quarter_index * QUARTER, tz)
        days[day][0] += issued
        days[day][1] += redeemed
    values = [{"org_id": org_id, "day": day, "issued": issued, "redeemed": redeemed}
              for day, (issued, redeemed) in sorted(days.items()) if issued or redeemed]
    if values:
        session.execute(insert(OrgDailyPoints), values)
    return len(values)
