"""Demo energy ledger for `flask seed-demo`: profiles, a 2015 base year, monthly readings.

Each demo institution gets realistic monthly readings for last year and this year up to
last month (heating season: gas or district heat from November to March; summer
cooling: electricity peaks in July and August), a 2015 base year kept as annual totals,
and its profiles. Last year is approved, the 2015 base year approved, last month
submitted for review, the rest of this year draft. Entered through the ledger's own
rules; a second run adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import local_day
from app.clock import now_utc
from app.models import Organisation, User
from energy.factors import EnergyMethods
from energy.models import EnergyProfile, EnergyReading
from energy.readings import check_items, write_readings
from energy.service import review_submission, submit_period

BASE_YEAR = 2015
# Monthly shares of a year's use (index 0 = January).
COOLING = [0.080, 0.072, 0.070, 0.066, 0.078, 0.098, 0.118, 0.120, 0.090, 0.068, 0.068, 0.072]
HEATING = [0.240, 0.200, 0.130, 0, 0, 0, 0, 0, 0, 0, 0.180, 0.250]
FLAT = [1 / 12] * 12

# name -> (area m2, occupants, {carrier: (unit, yearly quantity in that unit, shape, price)})
PLANS: dict[str, tuple[int, int, dict[str, tuple[str, float, list[float], float]]]] = {
    "北京市东城区机关事务管理局": (12000, 420, {
        "electricity": ("kWh", 1_020_000, COOLING, 0.82),
        "heat": ("GJ", 4_300, HEATING, 88.0),
        "water": ("m3", 9_800, FLAT, 7.5),
        "gasoline": ("L", 14_000, FLAT, 8.1),
    }),
    "天津市第一中学": (30000, 2100, {
        "electricity": ("MWh", 1_150, COOLING, 0.71),
        "natural_gas": ("m3", 265_000, HEATING, 3.6),
        "water": ("t", 52_000, FLAT, 6.2),
    }),
    "河北省人民医院": (85000, 3300, {
        "electricity": ("MWh", 9_400, COOLING, 0.66),
        "natural_gas": ("万m3", 98, [0.6 * h + 0.4 / 12 for h in HEATING], 3.3),
        "heat": ("GJ", 21_000, HEATING, 70.0),
        "water": ("m3", 310_000, FLAT, 5.4),
        "diesel": ("L", 26_000, FLAT, 7.6),
    }),
}
BASE_YEAR_EXTRA = 1.17  # 2015 used about 17% more (the plan's savings since then)
THIS_YEAR_SAVING = 0.97


def _monthly_items(plan: dict, year: int, last_month: int, scale: float,
                   rng: random.Random) -> list[dict]:
    items = []
    for carrier, (unit, yearly, shape, price) in plan.items():
        for month in range(1, last_month + 1):
            quantity = round(yearly * scale * shape[month - 1] * rng.uniform(0.94, 1.06), 2)
            items.append({"carrier": carrier, "period": f"{year}-{month:02d}",
                          "quantity": str(quantity), "unit": unit,
                          "cost_yuan": str(round(_priced(unit, quantity, price), 2))})
    return items


def _priced(unit: str, quantity: float, price: float) -> float:
    """Cost of `quantity` at `price` per base unit (万 and MWh are 10,000 and 1,000)."""
    return quantity * price * {"万m3": 10_000, "MWh": 1_000}.get(unit, 1)


def _annual_items(plan: dict) -> list[dict]:
    return [{"carrier": carrier, "period": str(BASE_YEAR),
             "quantity": str(round(yearly * BASE_YEAR_EXTRA, 1)), "unit": unit}
            for carrier, (unit, yearly, _shape, _price) in plan.items()]


def seed_energy(session: Session, methods: EnergyMethods, now: datetime,
                echo: Callable[[str], None]) -> None:
    """Seed each demo institution's ledger unless it already has readings."""
    coordinator = session.scalar(select(User).where(User.username == "coordinator"))
    rng = random.Random(15)
    for name, (area, occupants, plan) in PLANS.items():
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None or session.scalar(select(EnergyReading.id).where(
                EnergyReading.org_id == org.id).limit(1)) is not None:
            continue
        today = local_day(now, org.timezone)
        this_year, last_year = today.year, today.year - 1
        for year, factor in ((BASE_YEAR, 1 / 1.05), (last_year, 1.0), (this_year, 1.0)):
            session.add(EnergyProfile(org_id=org.id, year=year, building_area_m2=area,
                                      occupants=round(occupants * factor), created_at=now,
                                      updated_at=now))
        items = (_annual_items(plan) + _monthly_items(plan, last_year, 12, 1.0, rng)
                 + _monthly_items(plan, this_year, today.month - 1, THIS_YEAR_SAVING, rng))
        checked = check_items(session, methods, org, items, now)
        if checked.errors:
            raise RuntimeError(f"demo energy items refused: {checked.errors[:3]}")
        write_readings(session, coordinator, checked.values, now)
        for period in (str(BASE_YEAR), str(last_year)):
            submission = submit_period(session, coordinator, org.id, period, now)
            review_submission(session, coordinator, submission.id, True, None, now)
        if today.month > 1:
            submit_period(session, coordinator, org.id, f"{this_year}-{today.month - 1:02d}",
                          now)
        echo(f"能源台账 (energy ledger): {name} {len(items)} readings")
    session.flush()


def seed_demo_energy(session: Session, echo: Callable[[str], None]) -> None:
    """`flask seed-demo` seeder (runs after the identity seed)."""
    seed_energy(session, current_app.extensions["energy_methods"], now_utc(), echo)
