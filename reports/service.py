"""The three reports as plain data: an institution's year, a region side by side, disclosure.

Typed functions with explicit arguments (session, actor, year, factor registry); the
routes parse, call one of them and dump. Figures are kept as integers (grams, counts)
until the last step, where `app.figures` turns them into kilograms, fractions and percents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from activities.factors import FactorRegistry
from activities.service import factor_set_on
from app.calendar import local_day
from app.directory import OrgDirectory, Viewer, org_directory
from app.figures import competition_ranks, kg, per_capita_kg, percent_change, share
from app.models import REGION_NAMES, Organisation, User
from app.redis_store import RedisGateway
from app.service import organisation_for, permitted_org
from reports import queries
from reports.withholding import MIN_PUBLIC_PARTICIPANTS, withhold_small, withhold_total

TOP_BEHAVIOURS = 5
MONTH_FIGURES = ("co2e_saved_kg", "active_users", "participation_rate", "points_issued",
                 "points_redeemed", "activities")
ORG_FIGURES = ("co2e_saved_kg", "points_issued", "points_redeemed", "activities", "active_users",
               "per_capita_co2e_kg", "participation_rate")


def local_year(now: datetime, timezone: str | None) -> int:
    """The calendar year at `now` in a time zone (the organisation's; default Beijing)."""
    return local_day(now, timezone).year


def _month_starts(year: int) -> list[date]:
    return [date(year, month, 1) for month in range(1, 13)]


# --- an institution's year -----------------------------------------------------------

@dataclass(slots=True)
class Figures:
    """Integers behind one period's row of an institution report."""

    co2e_g: int = 0
    activities: int = 0
    active_users: int = 0
    points_issued: int = 0
    points_redeemed: int = 0
    by_type: dict[str, tuple[int, int]] = field(default_factory=dict)  # type -> (grams, count)


NO_FIGURES = Figures()


def behaviour_names(registry: FactorRegistry) -> dict[str, tuple[str, str]]:
    """type -> (Chinese, English) name; a newer factor set's name wins."""
    return {b.key: (b.name_zh, b.name_en) for s in registry.sets for b in s.behaviours}


def top_behaviours(figures: Figures, names: dict[str, tuple[str, str]]) -> list[dict]:
    """The behaviours that saved most (then were logged most, then by name), at most
    TOP_BEHAVIOURS."""
    ranked = sorted([(-g, -n, t) for t, (g, n) in figures.by_type.items() if n > 0])
    top = []
    for minus_grams, minus_count, t in ranked[:TOP_BEHAVIOURS]:
        zh, en = names.get(t, (t, t))
        top.append({"type": t, "name": zh, "name_en": en, "co2e_saved_kg": kg(-minus_grams),
                    "activities": -minus_count})
    return top


def _row(period: str, figures: Figures, headcount: int, names) -> dict:
    return {"period": period, "co2e_saved_kg": kg(figures.co2e_g),
            "active_users": figures.active_users,
            "participation_rate": share(figures.active_users, headcount),
            "points_issued": figures.points_issued, "points_redeemed": figures.points_redeemed,
            "activities": figures.activities, "top_behaviours": top_behaviours(figures, names)}


def compare(current: dict, previous: dict, names: Iterable[str]) -> dict:
    """`current` with the previous period beside it and the change of each figure in percent."""
    return {**current, "previous": previous,
            "change_pct": {n: percent_change(current[n], previous[n]) for n in names}}


def _collect_months(session: Session, org: Organisation | OrgDirectory,
                    year: int) -> tuple[dict[date, Figures], dict[date, int]]:
    """Figures of each month of `year` and the year before, and the active people of each
    of the two years (by first day)."""
    months: dict[date, Figures] = {}
    years: dict[date, int] = {}
    for kind, start, name, first, second in queries.org_months(
            session, org.id, date(year - 1, 1, 1), date(year + 1, 1, 1)):
        if kind == "a" and name == "year":
            years[start] = first
            continue
        figures = months.get(start)
        if figures is None:
            figures = months[start] = Figures()
        if kind == "t":
            figures.co2e_g += first
            figures.activities += second
            figures.by_type[name] = (first, second)
        elif kind == "p":
            figures.points_issued, figures.points_redeemed = first, second
        else:
            figures.active_users = first
    return months, years


def _year_figures(months: dict[date, Figures], year: int, active_users: int) -> Figures:
    total = Figures(active_users=active_users)
    by_type = total.by_type
    for month in _month_starts(year):
        figures = months.get(month)
        if figures is None:
            continue
        total.co2e_g += figures.co2e_g
        total.activities += figures.activities
        total.points_issued += figures.points_issued
        total.points_redeemed += figures.points_redeemed
        for activity_type, (grams, count) in figures.by_type.items():
            summed = by_type.get(activity_type)
            by_type[activity_type] = ((grams, count) if summed is None
                                      else (summed[0] + grams, summed[1] + count))
    return total


def org_report(session: Session, actor: User | Viewer, org_id: int, year: int | None,
               registry: FactorRegistry, now: datetime,
               gateway: RedisGateway | None = None) -> dict:
    """An institution's year month by month beside the year before (admin of it, superadmin).

    Active users of the year are the distinct people active in any of its months. The
    organisation comes from the directory when Redis holds it (`app.directory`: the
    admin's own arrives with their entry, so the report is one statement).
    """
    if gateway is None:
        org = organisation_for(session, actor, org_id, "admin")
    else:
        org = permitted_org(actor, org_id, "admin",
                            lambda: org_directory(session, gateway, org_id, actor))
    year = year or local_year(now, org.timezone)
    names = behaviour_names(registry)
    months, years = _collect_months(session, org, year)
    headcount = org.headcount
    rows = []
    for month in _month_starts(year):
        before = month.replace(year=year - 1)
        rows.append(compare(
            _row(f"{year}-{month.month:02d}", months.get(month, NO_FIGURES), headcount, names),
            _row(f"{year - 1}-{month.month:02d}", months.get(before, NO_FIGURES), headcount,
                 names),
            MONTH_FIGURES))
    this_year = _year_figures(months, year, years.get(date(year, 1, 1), 0))
    last_year = _year_figures(months, year - 1, years.get(date(year - 1, 1, 1), 0))
    return {"org": org_view(org), "year": year, "previous_year": year - 1, "months": rows,
            "totals": compare(_row(str(year), this_year, headcount, names),
                              _row(str(year - 1), last_year, headcount, names),
                              MONTH_FIGURES)}


def org_view(org: Organisation | OrgDirectory) -> dict:
    return {"id": org.id, "name": org.name, "region": org.region, "sector": org.sector,
            "headcount": org.headcount, "timezone": org.timezone}


# --- a region side by side -----------------------------------------------------------

def _org_figures(year: queries.OrgYear, headcount: int) -> dict:
    return {"co2e_saved_kg": kg(year.co2e_g), "points_issued": year.points_issued,
            "points_redeemed": year.points_redeemed, "activities": year.activities,
            "active_users": year.active_users,
            "per_capita_co2e_kg": per_capita_kg(year.co2e_g, headcount),
            "participation_rate": share(year.active_users, headcount)}


def _sum_years(years: Iterable[queries.OrgYear]) -> queries.OrgYear:
    total = queries.OrgYear()
    for year in years:
        total.co2e_g += year.co2e_g
        total.activities += year.activities
        total.points_issued += year.points_issued
        total.points_redeemed += year.points_redeemed
        total.active_users += year.active_users
    return total


def rank_in_sectors(rows: list[dict]) -> None:
    """Set `sector_rank` (by per-capita carbon, ties share a rank) and `sector_size`."""
    by_sector: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_sector[row["sector"]].append(row)
    for peers in by_sector.values():
        ranks = competition_ranks([row["per_capita_co2e_kg"] for row in peers])
        for row, rank in zip(peers, ranks, strict=True):
            row["sector_rank"], row["sector_size"] = rank, len(peers)


def region_report(session: Session, region: str | None, year: int | None,
                  now: datetime) -> dict:
    """Every institution of a region (all: None) with its year beside the year before."""
    year = year or local_year(now, None)
    orgs = queries.organisations_in(session, region)
    years = queries.org_years(session, region, date(year - 1, 1, 1), date(year, 1, 1),
                              date(year + 1, 1, 1))
    rows = []
    for org in orgs:
        current = _org_figures(years.get((org.id, 1), queries.OrgYear()), org.headcount)
        previous = _org_figures(years.get((org.id, 0), queries.OrgYear()), org.headcount)
        rows.append({"id": org.id, "name": org.name, "region": org.region, "sector": org.sector,
                     "headcount": org.headcount, **compare(current, previous, ORG_FIGURES)})
    rank_in_sectors(rows)
    rows.sort(key=lambda r: (r["sector"], r["sector_rank"] or len(rows) + 1, r["id"]))
    headcount = sum(org.headcount for org in orgs)
    ids = [org.id for org in orgs]
    totals = compare(
        _org_figures(_sum_years(years.get((i, 1), queries.OrgYear()) for i in ids), headcount),
        _org_figures(_sum_years(years.get((i, 0), queries.OrgYear()) for i in ids), headcount),
        ORG_FIGURES)
    return {"region": region, "year": year, "previous_year": year - 1, "organisations": rows,
            "totals": {"organisations": len(orgs), "headcount": headcount, **totals}}


# --- public disclosure ---------------------------------------------------------------

PUBLIC_FIGURES = ("participants", "co2e_saved_kg", "per_capita_co2e_kg", "participation_rate")


def public_figures(grams: int, participants: int, headcount: int, withheld) -> dict:
    """Aggregates of a group; every figure None when the group is withheld."""
    figures = {"participants": participants, "co2e_saved_kg": kg(grams),
               "per_capita_co2e_kg": per_capita_kg(grams, headcount),
               "participation_rate": share(participants, headcount)}
    if withheld.withheld:
        figures = dict.fromkeys(PUBLIC_FIGURES)
    return {**figures, "withheld": withheld.withheld, "withheld_reason": withheld.reason}


def _region_entry(region: str, orgs: list[Organisation], years) -> tuple[dict, list[dict]]:
    entries, hidden, grams, people = [], [], 0, 0
    for org in orgs:
        figures = years.get((org.id, 1), queries.OrgYear())
        withheld = withhold_small(figures.active_users)
        if withheld.withheld:
            hidden.append(figures.active_users)
        grams += figures.co2e_g
        people += figures.active_users
        entries.append({"name": org.name, "sector": org.sector, "region": org.region,
                        "headcount": org.headcount,
                        **public_figures(figures.co2e_g, figures.active_users, org.headcount,
                                         withheld)})
    headcount = sum(org.headcount for org in orgs)
    zh, en = REGION_NAMES.get(region, (region, region))
    return ({"region": region, "name": zh, "name_en": en, "organisations": len(orgs),
             "headcount": headcount,
             **public_figures(grams, people, headcount, withhold_total(people, hidden))},
            entries)


def method_of(registry: FactorRegistry, used_days: Iterable[date], year: int) -> dict:
    """The factor set versions behind the figures, and the sets in force during the year.

    An activity is computed with the set in force on its local day and keeps that
    version, so the versions used are those in force on the days with activities.
    """
    used = sorted({s.version for s in (factor_set_on(registry, d) for d in used_days) if s})
    in_year = [s for s in registry.sets
               if s.effective_from < date(year + 1, 1, 1)
               and not any(later.effective_from <= date(year, 1, 1) and
                           later.effective_from > s.effective_from for later in registry.sets)]
    return {"factor_versions": used,
            "factor_sets": [{"version": s.version, "effective_from": s.effective_from,
                             "description": s.description, "formula_note": s.formula_note,
                             "sources": sorted({f.source for f in s.factors})}
                            for s in in_year],
            "min_participants": MIN_PUBLIC_PARTICIPANTS}


def public_disclosure(session: Session, region: str | None, year: int | None,
                      registry: FactorRegistry, now: datetime) -> dict:
    """Regional and per-institution aggregates; no person appears, small groups withheld.

    Regions are disclosed separately (no grand total), so a withheld institution can only
    be reached by subtraction within its own region, which `withhold_total` prevents.
    """
    year = year or local_year(now, None)
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    orgs = queries.organisations_in(session, region)
    years = queries.org_years(session, region, start, start, end)
    by_region: dict[str, list[Organisation]] = defaultdict(list)
    for org in orgs:
        by_region[org.region].append(org)
    regions, organisations = [], []
    for name in sorted(by_region):
        entry, entries = _region_entry(name, by_region[name], years)
        regions.append(entry)
        organisations.extend(entries)
    days = queries.days_with_activities(session, region, start, end)
    return {"region": region, "year": year, "regions": regions, "organisations": organisations,
            "method": method_of(registry, days, year)}
