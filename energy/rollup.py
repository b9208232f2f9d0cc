"""The per-(organisation, year, status) sums behind the region report and the disclosure.

One way to keep them: after any write touching an organisation's year (readings entered,
corrected, submitted, reviewed), its rows are recomputed from that year's readings in the
same transaction (a few dozen readings: cheap, and never drifts). Rebuildable at any time.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from energy.models import EnergyReading, EnergyYearTotal


def refresh_year_totals(session: Session, org_id: int, years: Iterable[int]) -> None:
    """Recompute the organisation's totals of `years` from its readings (two statements)."""
    years = sorted(set(years))
    r = EnergyReading.__table__
    water = r.c.carrier == "water"
    session.execute(delete(EnergyYearTotal).where(EnergyYearTotal.org_id == org_id,
                                                  EnergyYearTotal.year.in_(years)))
    sums = (select(r.c.org_id, r.c.year, r.c.status, func.count(), func.sum(r.c.kgce_g),
                   func.sum(r.c.co2e_g),
                   func.sum(case((water, r.c.base_quantity_milli), else_=literal(0))),
                   func.sum(case((water, 1), else_=literal(0))),
                   func.sum(case((r.c.restated, 1), else_=literal(0))))
            .where(r.c.org_id == org_id, r.c.year.in_(years))
            .group_by(r.c.org_id, r.c.year, r.c.status))
    t = EnergyYearTotal.__table__
    session.execute(insert(t).from_select(
        [t.c.org_id, t.c.year, t.c.status, t.c.readings, t.c.kgce_g, t.c.co2e_g,
         t.c.water_milli, t.c.water_readings, t.c.restated_readings], sums))


def rebuild_year_totals(session: Session) -> int:
    """Every organisation's totals from the readings (after a bulk load); answers rows."""
    pairs = session.execute(select(EnergyReading.org_id, EnergyReading.year).distinct()).all()
    by_org: dict[int, set[int]] = {}
    for org_id, year in pairs:
        by_org.setdefault(org_id, set()).add(year)
    session.execute(delete(EnergyYearTotal))
    for org_id, years in by_org.items():
        refresh_year_totals(session, org_id, years)
    return session.scalar(select(func.count()).select_from(EnergyYearTotal)) or 0
