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

from app.models import Organisation
from reports import queries
from reports.figures import MIN_PUBLIC_PARTICIPANTS, kg, share

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


def energy_figures(session: Session, region: str, year: int) -> tuple[dict, dict, str | None]:
    """(region totals, org id -> indicators, factor version) from approved energy data.

    The energy ledger supplies these; without it every indicator is unknown (null)."""
    return dict.fromkeys(TOTALS, 0), {}, None


def build_document(session: Session, region: str, year: int, now: datetime, *,
                   issuer: str, pseudonym_secret: bytes) -> dict:
    """The unsigned document of a region's year."""
    orgs: list[Organisation] = queries.organisations_in(session, region)
    years = queries.org_years(session, region, date(year - 1, 1, 1), date(year, 1, 1),
                              date(year + 1, 1, 1))
    totals, indicators, factor_version = energy_figures(session, region, year)
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
            "factor_version": factor_version,
            "totals": {name: number(totals.get(name)) for name in TOTALS},
            "organisations": organisations}
