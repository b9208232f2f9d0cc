"""The institution energy method: carriers, units and coefficients from factors.json.

Each factor set of factors.json carries an "energy" section (FACTORS.md, "Institution
energy"): the coefficients with their sources, and per carrier its units (exact
conversions to the base unit, or a density factor), its standard-coal and CO2
coefficients and its plausible price band. Electricity's CO2 names "grid": the
organisation's regional grid factor, from the set's `grid_by_region`. Nothing is read
at import: call `load_energy_methods(path)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

GRID = "grid"


class EnergyFactorError(ValueError):
    """The energy section of factors.json is malformed; the message names the bad key."""


@dataclass(frozen=True)
class Coefficient:
    key: str
    value: Decimal
    unit: str
    source: str
    confidence: str


@dataclass(frozen=True)
class Carrier:
    key: str
    name_zh: str
    name_en: str
    base_unit: str
    # unit -> how many base units one of it is (exact, or a density coefficient's value)
    units: dict[str, Decimal]
    kgce_per_base: Decimal | None  # None: not energy (water)
    co2_factor: str | None  # a coefficient key, GRID, or None
    co2_scale: Decimal
    price_min: Decimal
    price_max: Decimal
    price_unit: str


@dataclass(frozen=True)
class EnergyMethod:
    """One factor set's energy method."""

    version: str
    effective_from: date
    carriers: dict[str, Carrier]
    coefficients: dict[str, Coefficient]
    grid_by_region: dict[str, Decimal]
    grid_default: Decimal

    def grid_factor(self, region: str) -> Decimal:
        """kg CO2 per kWh of the region's grid (the national average outside BJ/TJ/HB)."""
        return self.grid_by_region.get(region.strip().lower(), self.grid_default)

    def co2_per_base(self, carrier: Carrier, region: str) -> Decimal | None:
        if carrier.co2_factor is None:
            return None
        if carrier.co2_factor == GRID:
            return self.grid_factor(region) * carrier.co2_scale
        return self.coefficients[carrier.co2_factor].value * carrier.co2_scale


@dataclass(frozen=True)
class EnergyMethods:
    """Every version, oldest first; a period before the first set uses the first."""

    methods: tuple[EnergyMethod, ...]

    def in_force_on(self, day: date) -> EnergyMethod:
        in_force = [m for m in self.methods if m.effective_from <= day]
        return in_force[-1] if in_force else self.methods[0]

    @property
    def latest(self) -> EnergyMethod:
        return self.methods[-1]

    def get(self, version: str) -> EnergyMethod:
        for method in self.methods:
            if method.version == version:
                return method
        raise LookupError(f"unknown factor set version {version!r}")


class _Ctx:
    def __init__(self, where: str) -> None:
        self.where = where

    def sub(self, what: str) -> _Ctx:
        return _Ctx(f"{self.where}: {what}")

    def fail(self, message: str) -> NoReturn:
        raise EnergyFactorError(f"{self.where}: {message}")


def _text(ctx: _Ctx, obj: dict, name: str) -> str:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, str) or not value.strip():
        ctx.fail(f"{name} must be a non-empty string, got {value!r}")
    return value


def _decimal(ctx: _Ctx, obj: dict, name: str, *, positive: bool = True) -> Decimal:
    value = _text(ctx, obj, name)
    try:
        number = Decimal(value)
    except InvalidOperation:
        ctx.fail(f"{name} {value!r} is not a decimal")
    if not number.is_finite() or number < 0 or (positive and number == 0):
        ctx.fail(f"{name} {value!r} must be a finite positive decimal")
    return number


def _coefficient(ctx: _Ctx, raw: Any) -> Coefficient:
    key = _text(ctx, raw, "key")
    ctx = ctx.sub(f"coefficient {key!r}")
    return Coefficient(key, _decimal(ctx, raw, "value"), _text(ctx, raw, "unit"),
                       _text(ctx, raw, "source"), _text(ctx, raw, "confidence"))


def _units(ctx: _Ctx, raw: Any, coefficients: dict[str, Coefficient]) -> dict[str, Decimal]:
    if not isinstance(raw, dict) or not raw:
        ctx.fail("units must be a non-empty object")
    units = {}
    for unit, spec in raw.items():
        if isinstance(spec, dict) and "to_base_factor" in spec:
            key = spec["to_base_factor"]
            if key not in coefficients:
                ctx.fail(f"unit {unit!r} names unknown coefficient {key!r}")
            units[unit] = coefficients[key].value
        else:
            units[unit] = _decimal(ctx.sub(f"unit {unit!r}"), spec, "to_base")
    return units


def _term(ctx: _Ctx, raw: Any, coefficients: dict, allow_grid: bool) -> tuple[str | None,
                                                                              Decimal]:
    if raw is None:
        return None, Decimal(1)
    key = _text(ctx, raw, "factor")
    if key not in coefficients and not (allow_grid and key == GRID):
        ctx.fail(f"unknown coefficient {key!r}")
    scale = _decimal(ctx, raw, "scale") if "scale" in raw else Decimal(1)
    return key, scale


def _carrier(ctx: _Ctx, raw: Any, coefficients: dict[str, Coefficient]) -> Carrier:
    key = _text(ctx, raw, "key")
    ctx = ctx.sub(f"carrier {key!r}")
    units = _units(ctx, raw.get("units"), coefficients)
    base_unit = _text(ctx, raw, "base_unit")
    if units.get(base_unit) != 1:
        ctx.fail(f"base_unit {base_unit!r} must be one of its units, worth 1")
    kgce_key, kgce_scale = _term(ctx.sub("kgce"), raw.get("kgce"), coefficients, False)
    co2_key, co2_scale = _term(ctx.sub("co2"), raw.get("co2"), coefficients, True)
    band = raw.get("price_band")
    band_ctx = ctx.sub("price_band")
    price_unit = _text(band_ctx, band, "unit")
    if price_unit not in units:
        band_ctx.fail(f"unit {price_unit!r} is not one of the carrier's units")
    return Carrier(
        key=key, name_zh=_text(ctx, raw, "name_zh"), name_en=_text(ctx, raw, "name_en"),
        base_unit=base_unit, units=units,
        kgce_per_base=None if kgce_key is None else coefficients[kgce_key].value * kgce_scale,
        co2_factor=co2_key, co2_scale=co2_scale,
        price_min=_decimal(band_ctx, band, "min"), price_max=_decimal(band_ctx, band, "max"),
        price_unit=price_unit)


def _grid(ctx: _Ctx, raw_set: dict) -> tuple[dict[str, Decimal], Decimal]:
    values = {f.get("key"): f.get("value") for f in raw_set.get("factors", [])
              if isinstance(f, dict)}
    grid = raw_set.get("grid_by_region") or {}

    def value(key: str) -> Decimal:
        if key not in values:
            ctx.fail(f"grid factor {key!r} not found")
        return Decimal(values[key])

    regions = {region: value(key) for region, key in (grid.get("regions") or {}).items()}
    return regions, value(grid.get("default", ""))


def _method(ctx: _Ctx, raw_set: Any) -> EnergyMethod:
    version = _text(ctx, raw_set, "version")
    ctx = ctx.sub(version)
    section = raw_set.get("energy")
    if not isinstance(section, dict):
        ctx.fail("has no energy section")
    coefficients = {c.key: c for c in (_coefficient(ctx, raw)
                                       for raw in section.get("coefficients", []))}
    carriers = {c.key: c for c in (_carrier(ctx, raw, coefficients)
                                   for raw in section.get("carriers", []))}
    if not carriers:
        ctx.fail("energy has no carriers")
    grid_regions, grid_default = _grid(ctx, raw_set)
    return EnergyMethod(version, date.fromisoformat(_text(ctx, raw_set, "effective_from")),
                        carriers, coefficients, grid_regions, grid_default)


def load_energy_methods(path: str | Path) -> EnergyMethods:
    """Every factor set's energy method; EnergyFactorError names what is wrong."""
    path = Path(path)
    ctx = _Ctx(path.name)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        ctx.fail(f"cannot read: {exc}")
    if not isinstance(raw, list) or not raw:
        ctx.fail("must be a non-empty list of factor sets")
    methods = sorted((_method(ctx, item) for item in raw), key=lambda m: m.effective_from)
    return EnergyMethods(tuple(methods))
