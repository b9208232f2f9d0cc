"""A year's totals and indicators, shared by the organisation, region and public reports.

Indicators are ratios of totals (sum of kgce / sum of area), kept as exact fractions
until shown: 2 places for an indicator, 2 places for a change of the unrounded ratios.
A figure whose inputs are missing is None, and the flag says which input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from energy import checks
from energy.accounting import change_pct, kg, ratio, two_places

INDICATORS = ("kgce_per_m2", "kgce_per_person", "water_m3_per_person", "co2e_kg_per_m2",
              "co2e_kg_per_person")


@dataclass
class Totals:
    kgce_g: int = 0
    co2e_g: int = 0
    water_milli: int = 0
    water_readings: int = 0
    readings: int = 0
    by_carrier: dict[str, dict] = field(default_factory=dict)

    def add(self, other: Totals) -> None:
        self.kgce_g += other.kgce_g
        self.co2e_g += other.co2e_g
        self.water_milli += other.water_milli
        self.water_readings += other.water_readings
        self.readings += other.readings


@dataclass
class Denominators:
    building_area_m2: int = 0
    occupants: int = 0

    def add(self, other: Denominators) -> None:
        self.building_area_m2 += other.building_area_m2
        self.occupants += other.occupants


def ratios(totals: Totals | None, denominators: Denominators | None) -> dict[str, Fraction | None]:
    """The unrounded indicators; None where an input is missing."""
    if totals is None or denominators is None or totals.readings == 0:
        return dict.fromkeys(INDICATORS)
    area, people = denominators.building_area_m2, denominators.occupants
    water = Fraction(totals.water_milli, 1000) if totals.water_readings else None
    return {
        "kgce_per_m2": ratio(Fraction(totals.kgce_g, 1000), area),
        "kgce_per_person": ratio(Fraction(totals.kgce_g, 1000), people),
        "water_m3_per_person": ratio(water, people),
        "co2e_kg_per_m2": ratio(Fraction(totals.co2e_g, 1000), area),
        "co2e_kg_per_person": ratio(Fraction(totals.co2e_g, 1000), people),
    }


def shown(values: dict[str, Fraction | None]) -> dict[str, float | None]:
    return {name: two_places(value) for name, value in values.items()}


def changes(this: dict, that: dict) -> dict[str, float | None]:
    return {name: change_pct(this[name], that[name]) for name in INDICATORS}


def missing_flags(year: int, totals: Totals | None, denominators: Denominators | None) -> list:
    """Why indicators of `year` are null: no profile, no readings, or no water readings."""
    if denominators is None:
        return [checks.inputs_missing_flag(list(INDICATORS), "profile", year)]
    if totals is None or totals.readings == 0:
        return [checks.inputs_missing_flag(list(INDICATORS), "readings", year)]
    if totals.water_readings == 0:
        return [checks.inputs_missing_flag(["water_m3_per_person"], "water_readings", year)]
    return []


def tce(grams: int) -> float:
    """Tonnes of standard coal, 3 places half up (grams are never negative)."""
    return (2 * grams + 1000) // 2000 / 1000


def totals_out(totals: Totals | None) -> dict:
    totals = totals or Totals()
    return {"kgce": kg(totals.kgce_g), "tce": tce(totals.kgce_g), "co2e_kg": kg(totals.co2e_g),
            "water_m3": kg(totals.water_milli) if totals.water_readings else None,
            "readings": totals.readings, "by_carrier": totals.by_carrier}


@dataclass
class YearFigures:
    """A year's totals, denominators, and what the report shows of them."""

    year: int
    totals: Totals | None
    denominators: Denominators | None

    @cached_property
    def ratios(self) -> dict[str, Fraction | None]:
        return ratios(self.totals, self.denominators)

    @property
    def flags(self) -> list:
        return missing_flags(self.year, self.totals, self.denominators)

    def summary(self) -> dict:
        return {"year": self.year, "totals": totals_out(self.totals),
                "indicators": shown(self.ratios)}


def comparison(this: YearFigures, previous: YearFigures, base: YearFigures | None) -> dict:
    """Indicators of `this`, the year before and the base year, and the changes."""
    now = this.ratios
    out = {"indicators": shown(now), "previous_year": previous.summary(),
           "change_pct": changes(now, previous.ratios)}
    out["base"] = base.summary() if base else None
    out["change_vs_base_pct"] = changes(now, base.ratios) if base else dict.fromkeys(INDICATORS)
    flags = [*this.flags, *previous.flags, *(base.flags if base else [])]
    return {**out, "flags": flags}
