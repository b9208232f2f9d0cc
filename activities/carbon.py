"""Carbon and points arithmetic over a factor set: Decimal inside, integer grams out.

Method (FACTORS.md): saved = baseline - project per unit; per entry
saved_g = max(0, round_half_up(quantity x saved_per_unit_g - per_entry_deduction_g)).
Per-unit figures are rounded half up to 1 microgram (only divisions need it) and
entries are computed from those rounded figures, so the per-unit figure stored on
an activity reproduces its grams exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import NamedTuple

from activities.factors import GRID, QUANTITY_PLACES, Behaviour, Factor, FactorSet, Term

GRAMS_PER_KG = Decimal(1000)
PER_UNIT_QUANTUM_G = Decimal("0.000001")
EQUIVALENT_QUANTUM = Decimal("0.1")
# Wide enough that no product of factors loses a digit before the explicit roundings.
_CONTEXT = Context(prec=40)
_QUANTITY_QUANTUM = Decimal(1).scaleb(-QUANTITY_PLACES)


class InvalidQuantityError(ValueError):
    """A quantity is not a non-negative Decimal with at most 3 decimal places."""


@dataclass(frozen=True)
class PerUnit:
    """Grams of CO2e per unit of a behaviour in one region, under one factor set."""

    behaviour: str
    factor_version: str
    grid_factor: str | None  # the grid factor key used, None if the formula has no grid
    baseline_g: Decimal
    project_g: Decimal
    saved_g: Decimal  # baseline_g - project_g; may be negative, entries clamp at 0
    per_entry_deduction_g: Decimal
    factors: tuple[Factor, ...]  # every factor the formula used, grid resolved
    no_source: bool


@dataclass(frozen=True)
class Saving:
    """Carbon of one entry; project_g includes the per-entry deduction."""

    behaviour: str
    factor_version: str
    quantity: Decimal
    saved_g: int
    baseline_g: int
    project_g: int
    per_unit_saved_g: Decimal
    per_entry_deduction_g: Decimal
    factors: tuple[Factor, ...]
    no_source: bool


class Credit(NamedTuple):
    credited: Decimal
    capped: bool


@dataclass(frozen=True)
class Equivalent:
    """Saved grams as units of one factor, rounded down to 0.1 (never overstated)."""

    key: str
    value: Decimal
    factor: str
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str


def per_unit(behaviour: Behaviour | str, region: str, factor_set: FactorSet) -> PerUnit:
    """Baseline, project and saved grams per unit of `behaviour` in `region`.

    The behaviour is resolved by key in `factor_set`, so a catalogue entry from
    another version never mixes with this set's factors.
    """
    key = behaviour if isinstance(behaviour, str) else behaviour.key
    cached = factor_set.per_unit_cache.get((key, region))
    if cached is not None:
        return cached
    unit = factor_set.per_unit_cache[(key, region)] = _per_unit(key, region, factor_set)
    return unit


def _per_unit(key: str, region: str, factor_set: FactorSet) -> PerUnit:
    entry = factor_set.behaviour(key)
    grid_key = factor_set.grid_factor_key(region)
    formula = entry.formula
    baseline_g = _sum_terms_g(formula.baseline, grid_key, factor_set)
    project_g = _sum_terms_g(formula.project, grid_key, factor_set)
    used = _factors_used(formula.terms, grid_key, factor_set)
    return PerUnit(
        behaviour=entry.key,
        factor_version=factor_set.version,
        grid_factor=grid_key if any(GRID in t.refs for t in formula.terms) else None,
        baseline_g=baseline_g,
        project_g=project_g,
        saved_g=baseline_g - project_g,
        per_entry_deduction_g=_sum_terms_g(formula.per_entry_deduction, grid_key, factor_set),
        factors=used,
        no_source=entry.no_source,
    )


def estimate_saving(
    behaviour: Behaviour | str, quantity: Decimal, region: str, factor_set: FactorSet
) -> Saving:
    """Carbon of one entry of `quantity` units (pass the credited quantity under the cap)."""
    quantity = _check_quantity(quantity, "quantity")
    unit = per_unit(behaviour, region, factor_set)
    with localcontext(_CONTEXT):
        saved_g = _round_half_up(quantity * unit.saved_g - unit.per_entry_deduction_g)
        baseline_g = _round_half_up(quantity * unit.baseline_g)
        project_g = _round_half_up(quantity * unit.project_g + unit.per_entry_deduction_g)
    return Saving(
        behaviour=unit.behaviour,
        factor_version=unit.factor_version,
        quantity=quantity,
        saved_g=max(0, saved_g),
        baseline_g=baseline_g,
        project_g=project_g,
        per_unit_saved_g=unit.saved_g,
        per_entry_deduction_g=unit.per_entry_deduction_g,
        factors=unit.factors,
        no_source=unit.no_source,
    )


def points_for_grams(saved_g: int, factor_set: FactorSet) -> int:
    """Points of the first entry of a behaviour in a day: saved_g // grams_per_point,
    at least the minimum (later entries: `entry_points`).

    Call it only for an entry with credited quantity > 0: an entry wholly past
    its daily cap earns 0 points, which the caller decides.
    """
    if isinstance(saved_g, bool) or not isinstance(saved_g, int) or saved_g < 0:
        raise ValueError(f"saved_g must be a non-negative int, got {saved_g!r}")
    rule = factor_set.points
    return max(rule.min_points_per_entry, saved_g // rule.grams_per_point)


def entry_points(saved_g: int, day_as_one_g: int, day_points: int, factor_set: FactorSet) -> int:
    """Points (before any multiplier) of an accepted entry of a behaviour.

    `day_points`: what the behaviour's earlier entries of the person's local day earned;
    `day_as_one_g`: the grams of the day's quantity with this entry, as ONE entry. The first
    entry of the day (nothing earned yet) earns at least the minimum, a later one at most
    its own grams' points, and the day never earns more than its quantity logged once: so
    splitting an entry (into parts each rounded on its own) never earns more.
    """
    for value in (day_as_one_g, day_points):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"day totals must be non-negative ints, got {value!r}")
    own = (points_for_grams(saved_g, factor_set) if day_points == 0
           else saved_g // factor_set.points.grams_per_point)
    return max(0, min(own, points_for_grams(day_as_one_g, factor_set) - day_points))


def apply_multiplier(points: int, multiplier: Decimal) -> int:
    """Campaign points: points x multiplier, rounded down."""
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise ValueError(f"points must be a non-negative int, got {points!r}")
    if isinstance(multiplier, bool) or not isinstance(multiplier, Decimal | int):
        raise TypeError(f"multiplier must be a Decimal, got {multiplier!r}")
    if not Decimal(multiplier).is_finite() or multiplier < 0:
        raise ValueError(f"multiplier must be a finite, non-negative Decimal, got {multiplier}")
    with localcontext(_CONTEXT):
        return int((points * Decimal(multiplier)).to_integral_value(rounding=ROUND_FLOOR))


def credited_quantity(quantity: Decimal, used_today: Decimal, daily_cap: Decimal) -> Credit:
    """The part of an entry that counts under the daily cap, and whether the cap cut it.

    `used_today` is the quantity of this behaviour already credited today.
    """
    quantity = _check_quantity(quantity, "quantity")
    used_today = _check_quantity(used_today, "used_today")
    daily_cap = _check_quantity(daily_cap, "daily_cap")
    remaining = max(Decimal(0), daily_cap - used_today)
    return Credit(credited=min(quantity, remaining), capped=quantity > remaining)


def equivalents(saved_g: int, factor_set: FactorSet) -> tuple[Equivalent, ...]:
    """Saved grams expressed through the set's equivalent rules (car km, cups, meals)."""
    if isinstance(saved_g, bool) or not isinstance(saved_g, int) or saved_g < 0:
        raise ValueError(f"saved_g must be a non-negative int, got {saved_g!r}")
    result = []
    for rule in factor_set.equivalents:
        per_item_g = factor_set.factor(rule.factor).value * GRAMS_PER_KG
        with localcontext(_CONTEXT):
            value = (Decimal(saved_g) / per_item_g).quantize(
                EQUIVALENT_QUANTUM, rounding=ROUND_DOWN
            )
        result.append(
            Equivalent(
                key=rule.key,
                value=value,
                factor=rule.factor,
                label_zh=rule.label_zh,
                label_en=rule.label_en,
                unit_zh=rule.unit_zh,
                unit_en=rule.unit_en,
            )
        )
    return tuple(result)


def _check_quantity(value: Decimal, name: str) -> Decimal:
    # Floats are refused: 0.1 as a float is not 0.1, and grams must be reproducible.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidQuantityError(f"{name} must be a Decimal, got {value!r}")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise InvalidQuantityError(f"{name} must be finite and non-negative, got {value}")
    if number != number.quantize(_QUANTITY_QUANTUM, context=_CONTEXT):
        raise InvalidQuantityError(
            f"{name} has more than {QUANTITY_PLACES} decimal places: {value}"
        )
    return number


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=_CONTEXT))


def _resolve(ref: str, grid_key: str, factor_set: FactorSet) -> Factor:
    return factor_set.factor(grid_key if ref == GRID else ref)


def _term_kg(term: Term, grid_key: str, factor_set: FactorSet) -> Decimal:
    with localcontext(_CONTEXT):
        value = term.scale
        for ref in term.multiply:
            value *= _resolve(ref, grid_key, factor_set).value
        for ref in term.divide_by:
            value /= _resolve(ref, grid_key, factor_set).value
        return value


def _sum_terms_g(terms: tuple[Term, ...], grid_key: str, factor_set: FactorSet) -> Decimal:
    with localcontext(_CONTEXT):
        total_kg = sum((_term_kg(t, grid_key, factor_set) for t in terms), Decimal(0))
        return (total_kg * GRAMS_PER_KG).quantize(PER_UNIT_QUANTUM_G, rounding=ROUND_HALF_UP)


def _factors_used(
    terms: tuple[Term, ...], grid_key: str, factor_set: FactorSet
) -> tuple[Factor, ...]:
    used: dict[str, Factor] = {}
    for term in terms:
        for ref in term.refs:
            factor = _resolve(ref, grid_key, factor_set)
            used.setdefault(factor.key, factor)
    return tuple(used.values())
