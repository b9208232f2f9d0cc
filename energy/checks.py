"""The checks a reviewer runs (单价, 同比, 定比, 分母, 缺月): data-quality flags, never refusals.

Every flag is `{code, message, details}`; this module is the only place that decides
one. Thresholds are design choices of API.md (40% year over year, 10% denominators);
price bands come from factors.json (FACTORS.md, "Plausible unit prices").
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from app.i18n import message_for
from energy.factors import Carrier

YOY_JUMP = Fraction(40, 100)
DENOMINATOR_CHANGE = Fraction(10, 100)


def flag(code: str, details: dict | None = None, params: dict | None = None) -> dict:
    return {"code": code, "message": message_for(f"flag_{code}", params), "details": details or {}}


def unit_price_flag(carrier: Carrier, base_quantity: Decimal, cost_fen: int | None) -> dict | None:
    """单价: cost per unit of the band's unit outside the carrier's plausible band."""
    if cost_fen is None or base_quantity == 0:
        return None
    band_quantity = Fraction(base_quantity) / Fraction(carrier.units[carrier.price_unit])
    price = Fraction(cost_fen, 100) / band_quantity
    if Fraction(carrier.price_min) <= price <= Fraction(carrier.price_max):
        return None
    return flag("unit_price", {
        "unit_price_yuan": float(round(price, 4)), "unit": f"yuan/{carrier.price_unit}",
        "min": float(carrier.price_min), "max": float(carrier.price_max)})


def yoy_jump_flag(this_milli: int, previous_milli: int | None, previous_period: str) -> dict | None:
    """同比: the same period a year before differs by more than 40% (of that year's)."""
    if previous_milli is None or previous_milli == 0:
        return None
    change = Fraction(this_milli - previous_milli, previous_milli)
    if abs(change) <= YOY_JUMP:
        return None
    return flag("yoy_jump", {"previous_period": previous_period,
                             "change_pct": float(round(change * 100, 2)),
                             "threshold_pct": int(YOY_JUMP * 100)},
                {"threshold_pct": int(YOY_JUMP * 100)})


def denominator_flag(this: dict, previous: dict | None) -> dict | None:
    """定比 of the denominators: area or occupants moved more than 10% from the year before."""
    if previous is None:
        return None
    changed = {}
    for name in ("building_area_m2", "occupants"):
        before, now = previous[name], this[name]
        if before and abs(Fraction(now - before, before)) > DENOMINATOR_CHANGE:
            changed[name] = {"previous": before, "current": now,
                             "change_pct": float(round(Fraction(now - before, before) * 100, 2))}
    if not changed:
        return None
    return flag("denominator_change", {"previous_year": previous["year"], **changed},
                {"threshold_pct": int(DENOMINATOR_CHANGE * 100)})


def reading_flags(carrier: Carrier, base_quantity: Decimal, cost_fen: int | None,
                  this_milli: int, previous_milli: int | None, previous_period: str) -> list[dict]:
    """单价 and 同比 of one reading: what the reading shows and the report repeats."""
    flags = [unit_price_flag(carrier, base_quantity, cost_fen),
             yoy_jump_flag(this_milli, previous_milli, previous_period)]
    return [f for f in flags if f]


def profile_flags(this: dict | None, previous: dict | None) -> list[dict]:
    """定比 of the denominators, for a profile given as a dict of its fields (None: none)."""
    found = None if this is None else denominator_flag(this, previous)
    return [found] if found else []


def missing_months_flags(months_by_carrier: dict[str, set[int]],
                         expected_months: range) -> list[dict]:
    """缺月: a carrier with monthly readings in some months of the year but not in others."""
    flags = []
    for carrier in sorted(months_by_carrier):
        have = months_by_carrier[carrier]
        missing = [m for m in expected_months if m not in have]
        if have and missing:
            flags.append(flag("missing_months", {"carrier": carrier, "missing": missing}))
    return flags


def inputs_missing_flag(indicators: list[str], missing: str, year: int) -> dict:
    """A null indicator says why (no profile, no readings, no water readings)."""
    return flag("inputs_missing", {"indicators": indicators, "missing": missing, "year": year})


def restated_flag(year: int) -> dict:
    return flag("restated", {"year": year})
