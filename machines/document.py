"""The region's exchange document `bth-exchange/1`: institutions under pseudonyms, no person.

Numbers are JSON numbers in their shortest round-trip form (Python floats), so a verifier
that parses and re-serialises the document gets the bytes that were signed.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from app.figures import kg, share
from app.models import Organisation
from energy.factors import EnergyMethods
from energy.figures import shown
from energy.reports import approved_year
from reports import queries
from reports.withholding import MIN_PUBLIC_PARTICIPANTS

FORMAT = "bth-exchange/1"
INDICATORS = ("kgce_per_m2", "kgce_per_person", "water_m3_per_person", "co2e_kg_per_m2")
TOTALS = ("kgce", "water_m3", "co2e_kg", "building_area_m2", "occupants")


def pseudonym(secret: bytes, org_id: int) -> str:
    """Stable for a deployment, unlinkable to the id without its secret."""
    return hmac.new(secret, f"org:{org_id}".encode(), hashlib.sha256).hexdigest()[:20]


def number(value: Decimal | int | float | None) -> float | int | None:
    if value is None or isinstance(value, int):
        return value
    return float(value)


def programme_figures(year: queries.OrgYear, headcount: int) -> dict | None:
    """Participants, carbon saved and participation; None under 10 participants."""
    if year.active_users < MIN_PUBLIC_PARTICIPANTS:
        return None
    return {"participants": year.active_users, "co2e_saved_kg": number(kg(year.co2e_g)),
            "participation_rate": number(share(year.active_users, headcount))}


def energy_figures(session: Session, region: str, year: int) -> tuple[dict, dict]:
    """(region totals, org id -> indicators) from approved readings only; an institution
    without an approved reading or a profile that year has unknown (null) indicators."""
    region_year, by_org = approved_year(session, region, year)
    totals, area = region_year.totals, region_year.denominators
    water = kg(totals.water_milli) if totals and totals.water_readings else None
    region_totals = {"kgce": kg(totals.kgce_g) if totals else kg(0),
                     "water_m3": water,
                     "co2e_kg": kg(totals.co2e_g) if totals else kg(0),
                     "building_area_m2": area.building_area_m2 if area else 0,
                     "occupants": area.occupants if area else 0}
    indicators = {org_id: {name: value for name, value in shown(figures.ratios).items()
                           if name in INDICATORS}
                  for org_id, figures in by_org.items()}
    return region_totals, indicators


def build_document(session: Session, region: str, year: int, now: datetime, *,
                   issuer: str, pseudonym_secret: bytes, methods: EnergyMethods) -> dict:
    """The unsigned document of a region's year."""
    orgs: list[Organisation] = queries.organisations_in(session, region)
    years = queries.org_years(session, region, date(year - 1, 1, 1), date(year, 1, 1),
                              date(year + 1, 1, 1))
    totals, indicators = energy_figures(session, region, year)
    organisations = [
        {"id": pseudonym(pseudonym_secret, org.id), "sector": org.sector,
         "indicators": {name: number(indicators.get(org.id, {}).get(name))
                        for name in INDICATORS},
         "programme": programme_figures(years.get((org.id, 1), queries.OrgYear()),
                                        org.headcount)}
        for org in orgs]
    organisations.sort(key=lambda o: o["id"])  # no order that hints at registration
    return {"format": FORMAT, "region": region, "year": year,
            "generated_at": now.isoformat(timespec="seconds"), "issuer": issuer,
            "factor_version": methods.in_force_on(date(year, 1, 1)).version,
            "totals": {name: number(totals.get(name)) for name in TOTALS},
            "organisations": organisations}
