"""The organisation report, the region report and the public energy disclosure.

Plain functions of (session, org or region, year, base_year, now, methods): the console's
comparison calls them as the routes do. Each reads a fixed number of statements: the
region report aggregates readings per (organisation, year) in SQL over the year index,
whatever the number of readings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.calendar import local_day
from app.figures import competition_ranks
from app.models import Organisation, User
from app.service import organisation_for
from energy import checks
from energy.accounting import Period, kg
from energy.factors import EnergyMethods
from energy.figures import (
    Denominators,
    Totals,
    YearFigures,
    comparison,
    shown,
    totals_out,
)
from energy.models import EnergyProfile, EnergyReading, EnergyYearTotal
from energy.service import flags_of_reading, profile_fields

DEFAULT_BASE_YEAR = 2015


def local_year(now: datetime, timezone: str | None = None) -> int:
    return local_day(now, timezone).year


def _status(statuses: set[str]) -> str | None:
    """An institution's review status for a year: the least advanced of its readings."""
    for status in ("draft", "submitted", "approved"):
        if status in statuses:
            return status
    return None


# --- the organisation report -------------------------------------------------------------


def _carrier_cell(quantity: Decimal, unit: str, kgce_g: int, co2e_g: int) -> dict:
    return {"quantity": float(quantity), "unit": unit, "kgce": kg(kgce_g), "co2e_kg": kg(co2e_g)}


def _year_totals(readings: list[EnergyReading], methods: EnergyMethods) -> Totals | None:
    if not readings:
        return None
    totals = Totals()
    base_milli: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in readings:
        totals.kgce_g += r.kgce_g
        totals.co2e_g += r.co2e_g
        totals.readings += 1
        if r.carrier == "water":
            totals.water_milli += r.base_quantity_milli
            totals.water_readings += 1
        sums = base_milli[r.carrier]
        sums[0] += r.base_quantity_milli
        sums[1] += r.kgce_g
        sums[2] += r.co2e_g
    totals.by_carrier = {
        c: _carrier_cell(Decimal(m).scaleb(-3), methods.latest.carriers[c].base_unit, k, co2)
        for c, (m, k, co2) in sorted(base_milli.items())}
    return totals


def _months(readings: list[EnergyReading], year: int) -> list[dict]:
    by_month: dict[int, list[EnergyReading]] = defaultdict(list)
    for r in readings:
        by_month[r.month].append(r)
    months = []
    for month in range(1, 13):
        rows = by_month.get(month, [])
        water = [r for r in rows if r.carrier == "water"]
        months.append({
            "period": Period(year, month).text,
            "kgce": kg(sum(r.kgce_g for r in rows)) if rows else None,
            "co2e_kg": kg(sum(r.co2e_g for r in rows)) if rows else None,
            "water_m3": kg(sum(r.base_quantity_milli for r in water)) if water else None,
            "carriers": {r.carrier: _carrier_cell(Decimal(r.quantity), r.unit, r.kgce_g,
                                                  r.co2e_g) for r in rows}})
    annual = by_month.get(0, [])
    months.append({"period": str(year), "kgce": None, "co2e_kg": None, "water_m3": None,
                   "carriers": {r.carrier: _carrier_cell(Decimal(r.quantity), r.unit, r.kgce_g,
                                                         r.co2e_g) for r in annual}}
                  ) if annual else None
    return months


def _readings_flags(this: list[EnergyReading], before: list[EnergyReading],
                    methods: EnergyMethods) -> list[dict]:
    """The year's readings' own flags (单价, 同比), each naming its carrier and period."""
    previous = {(r.carrier, r.month): r.base_quantity_milli for r in before}
    return [{**f, "details": {**f["details"], "carrier": r.carrier, "period": r.period}}
            for r in sorted(this, key=lambda r: (r.month, r.carrier))
            for f in flags_of_reading(methods, r, previous.get((r.carrier, r.month)))]


def _expected_months(year: int, today) -> range:
    if year < today.year:
        return range(1, 13)
    if year > today.year:
        return range(1, 1)
    return range(1, today.month)  # the month in progress is not missing yet


def org_report(session: Session, org: Organisation, year: int, base_year: int, now: datetime,
               methods: EnergyMethods) -> dict:
    """An institution's year: months by carrier, totals, indicators, changes and flags."""
    years = {year, year - 1, base_year}
    readings = list(session.scalars(select(EnergyReading).where(
        EnergyReading.org_id == org.id, EnergyReading.year.in_(years))))
    profiles = {p.year: p for p in session.scalars(select(EnergyProfile).where(
        EnergyProfile.org_id == org.id, EnergyProfile.year.in_(years)))}
    by_year: dict[int, list[EnergyReading]] = defaultdict(list)
    for r in readings:
        by_year[r.year].append(r)

    def figures(y: int) -> YearFigures:
        p = profiles.get(y)
        return YearFigures(y, _year_totals(by_year[y], methods),
                           None if p is None else Denominators(p.building_area_m2, p.occupants))

    this = by_year[year]
    compared = comparison(figures(year), figures(year - 1),
                          figures(base_year) if base_year != year else None)
    monthly: dict[str, set[int]] = defaultdict(set)
    for r in this:
        if not r.annual:
            monthly[r.carrier].add(r.month)
    today = local_day(now, org.timezone)
    flags = checks.missing_months_flags(monthly, _expected_months(year, today))
    flags += _readings_flags(this, by_year[year - 1], methods)
    flags += checks.profile_flags(profile_fields(profiles.get(year)),
                                  profile_fields(profiles.get(year - 1)))
    restated = any(r.restated for r in this)
    flags += [checks.restated_flag(year)] if restated else []
    this_totals = figures(year).totals
    return {"org_id": org.id, "name": org.name, "region": org.region, "sector": org.sector,
            "year": year, "base_year": base_year, "profile": profile_fields(profiles.get(year)),
            "months": _months(this, year), "totals": totals_out(this_totals),
            **compared, "flags": flags + compared["flags"], "restated": restated,
            "base_restated": any(r.restated for r in by_year[base_year]),
            "status": _status({r.status for r in this})}


def org_report_for(session: Session, actor: User, org_id: int, year: int | None,
                   base_year: int, now: datetime, methods: EnergyMethods) -> dict:
    """The report for an admin of the organisation (another organisation's is 404)."""
    org = organisation_for(session, actor, org_id, "admin")
    return org_report(session, org, year or local_year(now, org.timezone), base_year, now,
                      methods)


# --- the region report and the disclosure ------------------------------------------------


def _aggregate(session: Session, region: str | None, sector: str | None, years: set[int],
               approved_only: bool):
    """Per (organisation, year): grams, water, counts by status, restated (one statement over
    the year totals: a few rows per institution, whatever the number of readings)."""
    t = EnergyYearTotal
    stmt = (select(t.org_id, t.year, func.sum(t.kgce_g), func.sum(t.co2e_g),
                   func.sum(t.water_milli), func.sum(t.water_readings), func.sum(t.readings),
                   *(func.sum(case((t.status == s, t.readings), else_=0))
                     for s in ("draft", "submitted", "approved")),
                   func.sum(t.restated_readings))
            .join(Organisation, Organisation.id == t.org_id)
            .where(t.year.in_(years))
            .group_by(t.org_id, t.year))
    if approved_only:
        stmt = stmt.where(t.status == "approved")
    return session.execute(_scoped(stmt, region, sector))


def _scoped(stmt, region: str | None, sector: str | None):
    if region is not None:
        stmt = stmt.where(Organisation.region == region)
    if sector is not None:
        stmt = stmt.where(Organisation.sector == sector)
    return stmt


class _Institution:
    __slots__ = ("org_id", "name", "sector", "totals", "denominators", "statuses", "restated")

    def __init__(self, org_id: int, name: str, sector: str):
        self.org_id, self.name, self.sector = org_id, name, sector
        self.totals: dict[int, Totals] = {}
        self.denominators: dict[int, Denominators] = {}
        self.statuses: dict[int, set[str]] = {}
        self.restated: dict[int, bool] = {}

    def reported(self, year: int) -> bool:
        return year in self.totals and year in self.denominators


def _institutions(session: Session, region: str | None, sector: str | None, years: set[int],
                  approved_only: bool) -> dict[int, _Institution]:
    found: dict[int, _Institution] = {}
    rows = list(_aggregate(session, region, sector, years, approved_only))
    profiles = list(session.execute(_scoped(
        select(EnergyProfile.org_id, EnergyProfile.year, EnergyProfile.building_area_m2,
               EnergyProfile.occupants)
        .join(Organisation, Organisation.id == EnergyProfile.org_id)
        .where(EnergyProfile.year.in_(years)), region, sector)))
    org_ids = {r[0] for r in rows} | {p[0] for p in profiles}
    if not org_ids:
        return found
    for org_id, name, org_sector in session.execute(_scoped(
            select(Organisation.id, Organisation.name, Organisation.sector), region, sector)):
        if org_id in org_ids:
            found[org_id] = _Institution(org_id, name, org_sector)
    for org_id, y, kgce_g, co2e_g, water_milli, waters, count, *by_status, restated in rows:
        inst = found[org_id]
        inst.totals[y] = Totals(int(kgce_g), int(co2e_g), int(water_milli), int(waters),
                                int(count))
        draft, submitted, approved = by_status
        inst.statuses[y] = {"draft"} if draft else {"submitted"} if submitted else (
            {"approved"} if approved else set())
        inst.restated[y] = bool(restated)
    for org_id, y, area, people in profiles:
        found[org_id].denominators[y] = Denominators(area, people)
    return found


def _group_figures(members: list[_Institution], year: int) -> YearFigures:
    """Ratio of totals over the members that reported `year` (a profile and a reading)."""
    reported = [m for m in members if m.reported(year)]
    if not reported:
        return YearFigures(year, None, None)
    totals, denominators = Totals(), Denominators()
    for m in reported:
        totals.add(m.totals[year])
        denominators.add(m.denominators[year])
    return YearFigures(year, totals, denominators)


def _group(members: list[_Institution], year: int, base_year: int) -> dict:
    this = _group_figures(members, year)
    compared = comparison(this, _group_figures(members, year - 1),
                          _group_figures(members, base_year) if base_year != year else None)
    return {"institutions": sum(1 for m in members if m.reported(year)),
            "totals": totals_out(this.totals), **compared}


def _organisation_rows(by_sector: dict[str, list[_Institution]], year: int) -> list[dict]:
    rows = []
    for sector in sorted(by_sector):
        in_sector = sorted(by_sector[sector], key=lambda m: m.org_id)
        figures = [YearFigures(year, m.totals.get(year), m.denominators.get(year))
                   if m.reported(year) else YearFigures(year, None, None) for m in in_sector]
        ranks = competition_ranks([f.ratios["kgce_per_m2"] for f in figures], lowest_first=True)
        for m, f, rank in sorted(zip(in_sector, figures, ranks, strict=True),
                                 key=lambda t: (t[2] is None, t[2] or 0, t[0].org_id)):
            rows.append({"org_id": m.org_id, "name": m.name, "sector": m.sector,
                         "reported": m.reported(year),
                         "status": _status(m.statuses.get(year, set())),
                         "restated": m.restated.get(year, False),
                         "totals": totals_out(m.totals.get(year)),
                         "indicators": shown(f.ratios), "rank": rank, "flags": f.flags})
    return rows


def region_report(session: Session, region: str | None, year: int, base_year: int,
                  now: datetime, sector: str | None = None, *,
                  approved_only: bool = False) -> dict:
    """The coordinator's table: the region, each sector, each institution ranked in it."""
    del now  # the figures depend on the stored readings only; kept for a uniform signature
    found = _institutions(session, region, sector, {year, year - 1, base_year}, approved_only)
    members = list(found.values())
    by_sector: dict[str, list[_Institution]] = defaultdict(list)
    for member in members:
        by_sector[member.sector].append(member)
    restated_years = sorted({y for m in members for y, r in m.restated.items() if r})
    return {"region": region, "sector": sector, "year": year, "base_year": base_year,
            "approved_only": approved_only, **_group(members, year, base_year),
            "by_sector": [{"sector": s, **_group(by_sector[s], year, base_year)}
                          for s in sorted(by_sector)],
            "organisations": _organisation_rows(by_sector, year),
            "restated": year in restated_years, "restated_years": restated_years}


def public_energy(session: Session, region: str | None, year: int, base_year: int,
                  now: datetime) -> dict:
    """Disclosure: the region's, each sector's and each institution's figures, approved only."""
    report = region_report(session, region, year, base_year, now, approved_only=True)
    for row in report["organisations"]:
        row.pop("status")
    return report


def approved_year(session: Session, region: str, year: int
                  ) -> tuple[YearFigures, dict[int, YearFigures]]:
    """The region's and each reporting institution's `year` from approved readings only
    (the exchange document's figures: ratio of totals, as in disclosure)."""
    members = _institutions(session, region, None, {year}, approved_only=True)
    by_org = {org_id: YearFigures(year, m.totals.get(year), m.denominators.get(year))
              for org_id, m in members.items() if m.reported(year)}
    return _group_figures(list(members.values()), year), by_org
