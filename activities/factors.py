"""Versioned emission factor sets, loaded and validated from factors.json.

The file is a list of factor sets; each carries its source factors (value as a
decimal string, unit, data year, source, confidence), the behaviour catalogue
with declarative formulas over those factors, the region -> grid factor
mapping and the points rule. Nothing is read at import: call
`load_factor_registry(default_factors_path())`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

# A formula term may name this instead of a factor key: the regional grid factor.
GRID = "grid"
CATEGORIES = frozenset({"commute", "business_travel", "office", "canteen"})
# Quantities and limits have at most this many decimal places.
QUANTITY_PLACES = 3

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_QUANTITY_QUANTUM = Decimal(1).scaleb(-QUANTITY_PLACES)


class FactorFileError(ValueError):
    """factors.json is malformed; the message names the file, version and bad key."""


class FactorSetNotFoundError(LookupError):
    """No factor set has the requested version or is in force on the requested day."""


class UnknownBehaviourError(LookupError):
    """The behaviour key is not in the factor set's catalogue."""


@dataclass(frozen=True)
class Factor:
    key: str
    value: Decimal
    unit: str
    data_year: int | None
    source: str
    confidence: str
    # For sources written "same announcement" etc.: the factor whose source is meant.
    same_source_as: str | None = None


@dataclass(frozen=True)
class Term:
    """Product of `multiply` refs and `scale`, divided by `divide_by` refs: kg CO2e."""

    multiply: tuple[str, ...]
    divide_by: tuple[str, ...] = ()
    scale: Decimal = Decimal(1)
    note: str = ""

    @property
    def refs(self) -> tuple[str, ...]:
        return self.multiply + self.divide_by


@dataclass(frozen=True)
class Formula:
    """Baseline and project terms in kg per unit; the deduction in kg per entry."""

    baseline: tuple[Term, ...]
    project: tuple[Term, ...]
    per_entry_deduction: tuple[Term, ...] = ()

    @property
    def terms(self) -> tuple[Term, ...]:
        return self.baseline + self.project + self.per_entry_deduction


@dataclass(frozen=True)
class Behaviour:
    key: str
    category: str
    name_zh: str
    name_en: str
    unit: str
    unit_zh: str
    unit_en: str
    max_per_entry: Decimal
    daily_cap: Decimal
    limits_note: str
    formula: Formula
    note: str
    # No sourced factor: zero carbon, participation points only.
    no_source: bool = False


@dataclass(frozen=True)
class PointsRule:
    grams_per_point: int
    min_points_per_entry: int
    note: str


@dataclass(frozen=True)
class EquivalentRule:
    """Saved grams expressed as units of one factor (e.g. km of solo petrol driving)."""

    key: str
    factor: str
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str


@dataclass(frozen=True)
class FactorSet:
    version: str
    effective_from: date
    description: str
    formula_note: str
    grid_regions: tuple[tuple[str, str], ...]
    grid_default: str
    points: PointsRule
    equivalents: tuple[EquivalentRule, ...]
    factors: tuple[Factor, ...]
    behaviours: tuple[Behaviour, ...]
    _factor_index: dict[str, Factor] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _behaviour_index: dict[str, Behaviour] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    # (behaviour, region) -> carbon.PerUnit: the set is immutable, so each is worked out once.
    per_unit_cache: dict[tuple[str, str], object] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_factor_index", {f.key: f for f in self.factors})
        object.__setattr__(self, "_behaviour_index", {b.key: b for b in self.behaviours})

    def factor(self, key: str) -> Factor:
        """The factor with this key (KeyError if absent)."""
        return self._factor_index[key]

    def behaviour(self, key: str) -> Behaviour:
        """The catalogue entry with this key; UnknownBehaviourError if absent."""
        try:
            return self._behaviour_index[key]
        except KeyError:
            raise UnknownBehaviourError(f"{self.version}: unknown behaviour {key!r}") from None

    def grid_factor_key(self, region: str) -> str:
        """Grid factor key for an organisation's region; other regions get the default."""
        wanted = region.strip().lower()
        for name, key in self.grid_regions:
            if name == wanted:
                return key
        return self.grid_default

    def grid_factor(self, region: str) -> Factor:
        return self.factor(self.grid_factor_key(region))


@dataclass(frozen=True)
class FactorRegistry:
    """All factor set versions, ordered by effective date."""

    sets: tuple[FactorSet, ...]

    def __post_init__(self) -> None:
        if not self.sets:
            raise ValueError("a factor registry needs at least one factor set")
        object.__setattr__(self, "sets", tuple(sorted(self.sets, key=lambda s: s.effective_from)))

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(s.version for s in self.sets)

    @property
    def behaviour_keys(self) -> frozenset[str]:
        """Every behaviour key of every version."""
        return frozenset(b.key for s in self.sets for b in s.behaviours)

    @property
    def latest(self) -> FactorSet:
        """The set with the latest effective date (it may not be in force yet)."""
        return self.sets[-1]

    def get(self, version: str) -> FactorSet:
        """The set with this version; FactorSetNotFoundError if none."""
        for factor_set in self.sets:
            if factor_set.version == version:
                return factor_set
        raise FactorSetNotFoundError(f"unknown factor set version {version!r}")

    def in_force_on(self, day: date) -> FactorSet:
        """The set with the latest effective_from <= day (the organisation's local date)."""
        if isinstance(day, datetime):
            # A datetime would silently use its own (often UTC) calendar day.
            raise TypeError("in_force_on takes the local calendar date, not a datetime")
        in_force = [s for s in self.sets if s.effective_from <= day]
        if not in_force:
            raise FactorSetNotFoundError(f"no factor set in force on {day.isoformat()}")
        return in_force[-1]


def default_factors_path() -> Path:
    """Path of factors.json at the repository root."""
    return Path(__file__).resolve().parent.parent / "factors.json"


def load_factor_registry(path: str | os.PathLike[str]) -> FactorRegistry:
    """Read and validate every factor set in `path`; FactorFileError names what is wrong."""
    path = Path(path)
    ctx = _Ctx(path.name)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        ctx.fail(f"cannot read file: {exc}")
    except json.JSONDecodeError as exc:
        ctx.fail(f"invalid JSON: {exc}")
    if not isinstance(raw, list) or not raw:
        ctx.fail("must be a non-empty list of factor sets")
    sets = [_parse_set(ctx.sub(f"factor set #{i}"), item, ctx) for i, item in enumerate(raw)]
    _check_unique(ctx, "factor set version", [s.version for s in sets])
    _check_unique(ctx, "effective_from", [s.effective_from.isoformat() for s in sets])
    return FactorRegistry(tuple(sets))


# --- validation -------------------------------------------------------------------------


class _Ctx:
    """Where in the file we are, for error messages."""

    def __init__(self, where: str) -> None:
        self.where = where

    def sub(self, what: str) -> _Ctx:
        return _Ctx(f"{self.where}: {what}")

    def fail(self, message: str) -> NoReturn:
        raise FactorFileError(f"{self.where}: {message}")


_SET_FIELDS = (
    {"version", "effective_from", "grid_by_region", "points", "factors", "behaviours"},
    # "energy": the institution energy coefficients, loaded and validated by energy/factors.py.
    {"description", "formula_note", "equivalents", "energy"},
)
_FACTOR_FIELDS = (
    {"key", "value", "unit", "data_year", "source", "confidence"},
    {"same_source_as"},
)
_BEHAVIOUR_FIELDS = (
    {
        "key",
        "category",
        "name_zh",
        "name_en",
        "unit",
        "unit_zh",
        "unit_en",
        "max_per_entry",
        "daily_cap",
        "limits_note",
        "formula",
    },
    {"note", "no_source"},
)
_TERM_FIELDS = ({"multiply"}, {"divide_by", "scale", "note"})
_FORMULA_FIELDS = ({"baseline", "project"}, {"per_entry_deduction"})
_POINTS_FIELDS = ({"grams_per_point", "min_points_per_entry", "note"}, set())
_EQUIVALENT_FIELDS = ({"key", "factor", "label_zh", "label_en", "unit_zh", "unit_en"}, set())
_GRID_FIELDS = ({"regions", "default"}, set())


def _fields(ctx: _Ctx, raw: Any, spec: tuple[set[str], set[str]]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        ctx.fail("must be an object")
    required, optional = spec
    missing = sorted(required - raw.keys())
    if missing:
        ctx.fail(f"missing field {missing[0]!r}")
    unknown = sorted(raw.keys() - required - optional)
    if unknown:
        ctx.fail(f"unknown field {unknown[0]!r}")
    return raw


def _item_ctx(ctx: _Ctx, kind: str, index: int, raw: Any) -> _Ctx:
    """Label a list item by its key when it has one, so errors name the bad key."""
    key = raw.get("key") if isinstance(raw, dict) else None
    return ctx.sub(f"{kind} {key!r}" if isinstance(key, str) else f"{kind} #{index}")


def _text(ctx: _Ctx, obj: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = obj.get(name, default)
    if not isinstance(value, str) or not value.strip():
        ctx.fail(f"{name} must be a non-empty string, got {value!r}")
    return value


def _key(ctx: _Ctx, obj: Mapping[str, Any], name: str = "key") -> str:
    value = _text(ctx, obj, name)
    if not _KEY_RE.match(value):
        ctx.fail(f"{name} {value!r} must be lower_snake_case")
    return value


def _decimal_text(ctx: _Ctx, obj: Mapping[str, Any], name: str) -> Decimal:
    """A decimal carried as a JSON string, so no float ever touches it."""
    value = obj[name]
    if not isinstance(value, str):
        ctx.fail(f'{name} must be a decimal string like "0.5580", got {value!r}')
    try:
        number = Decimal(value)
    except InvalidOperation:
        ctx.fail(f"{name} {value!r} is not a decimal")
    if not number.is_finite() or number < 0:
        ctx.fail(f"{name} {value!r} must be a finite, non-negative decimal")
    return number


def _limit(ctx: _Ctx, obj: Mapping[str, Any], name: str) -> Decimal:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int | str):
        ctx.fail(f"{name} must be an integer or a decimal string, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        ctx.fail(f"{name} {value!r} is not a decimal")
    if not number.is_finite() or number <= 0:
        ctx.fail(f"{name} must be positive, got {value!r}")
    if number != number.quantize(_QUANTITY_QUANTUM):
        ctx.fail(f"{name} {value!r} has more than {QUANTITY_PLACES} decimal places")
    return number


def _positive_int(ctx: _Ctx, obj: Mapping[str, Any], name: str) -> int:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        ctx.fail(f"{name} must be a positive integer, got {value!r}")
    return value


def _str_list(ctx: _Ctx, obj: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = obj.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        ctx.fail(f"{name} must be a list of strings, got {value!r}")
    return tuple(value)


def _check_unique(ctx: _Ctx, what: str, keys: Iterable[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            ctx.fail(f"duplicate {what} {key!r}")
        seen.add(key)


def _parse_factor(ctx: _Ctx, raw: Any) -> Factor:
    obj = _fields(ctx, raw, _FACTOR_FIELDS)
    key = _key(ctx, obj)
    if key == GRID:
        ctx.fail(f"{GRID!r} is reserved for the regional grid factor")
    data_year = obj["data_year"]
    if data_year is not None and (isinstance(data_year, bool) or not isinstance(data_year, int)):
        ctx.fail(f"data_year must be an integer or null, got {data_year!r}")
    same = obj.get("same_source_as")
    return Factor(
        key=key,
        value=_decimal_text(ctx, obj, "value"),
        unit=_text(ctx, obj, "unit"),
        data_year=data_year,
        source=_text(ctx, obj, "source"),
        confidence=_text(ctx, obj, "confidence"),
        same_source_as=None if same is None else _text(ctx, obj, "same_source_as"),
    )


def _parse_term(ctx: _Ctx, raw: Any) -> Term:
    obj = _fields(ctx, raw, _TERM_FIELDS)
    multiply = _str_list(ctx, obj, "multiply")
    if not multiply:
        ctx.fail("multiply must name at least one factor")
    scale = _decimal_text(ctx, obj, "scale") if "scale" in obj else Decimal(1)
    if scale == 0:
        ctx.fail("scale must be positive")
    note = _text(ctx, obj, "note") if "note" in obj else ""
    return Term(multiply, _str_list(ctx, obj, "divide_by"), scale, note)


def _parse_terms(ctx: _Ctx, obj: Mapping[str, Any], name: str) -> tuple[Term, ...]:
    value = obj.get(name, [])
    if not isinstance(value, list):
        ctx.fail(f"{name} must be a list of terms")
    return tuple(_parse_term(ctx.sub(f"{name}[{i}]"), t) for i, t in enumerate(value))


def _parse_formula(ctx: _Ctx, raw: Any) -> Formula:
    obj = _fields(ctx, raw, _FORMULA_FIELDS)
    return Formula(
        baseline=_parse_terms(ctx, obj, "baseline"),
        project=_parse_terms(ctx, obj, "project"),
        per_entry_deduction=_parse_terms(ctx, obj, "per_entry_deduction"),
    )


def _parse_behaviour(ctx: _Ctx, raw: Any) -> Behaviour:
    obj = _fields(ctx, raw, _BEHAVIOUR_FIELDS)
    key = _key(ctx, obj)
    category = _text(ctx, obj, "category")
    if category not in CATEGORIES:
        ctx.fail(f"category {category!r} is not one of {sorted(CATEGORIES)}")
    no_source = obj.get("no_source", False)
    if not isinstance(no_source, bool):
        ctx.fail(f"no_source must be true or false, got {no_source!r}")
    return Behaviour(
        key=key,
        category=category,
        name_zh=_text(ctx, obj, "name_zh"),
        name_en=_text(ctx, obj, "name_en"),
        unit=_key(ctx, obj, "unit"),
        unit_zh=_text(ctx, obj, "unit_zh"),
        unit_en=_text(ctx, obj, "unit_en"),
        max_per_entry=_limit(ctx, obj, "max_per_entry"),
        daily_cap=_limit(ctx, obj, "daily_cap"),
        limits_note=_text(ctx, obj, "limits_note"),
        formula=_parse_formula(ctx.sub("formula"), obj["formula"]),
        note=_text(ctx, obj, "note") if "note" in obj else "",
        no_source=no_source,
    )


def _check_behaviour(ctx: _Ctx, behaviour: Behaviour, factors: Mapping[str, Factor]) -> None:
    """Formula refs exist, divisors are non-zero, and sourcing matches the formula."""
    formula = behaviour.formula
    for term in formula.terms:
        for ref in term.refs:
            if ref != GRID and ref not in factors:
                ctx.fail(f"behaviour {behaviour.key!r} references unknown factor {ref!r}")
    ctx = ctx.sub(f"behaviour {behaviour.key!r}")
    for term in formula.terms:
        for ref in term.divide_by:
            if ref == GRID or factors[ref].value == 0:
                ctx.fail(f"divides by {ref!r}, which is not a non-zero factor")
    if behaviour.no_source and formula.terms:
        ctx.fail("no_source behaviour must have an empty formula (zero carbon)")
    if not behaviour.no_source and not formula.baseline:
        ctx.fail("baseline is empty: mark the behaviour no_source if no factor was found")


def _parse_grid(
    ctx: _Ctx, raw: Any, factors: Mapping[str, Factor]
) -> tuple[tuple[tuple[str, str], ...], str]:
    obj = _fields(ctx, raw, _GRID_FIELDS)
    regions = obj["regions"]
    if not isinstance(regions, dict) or not regions:
        ctx.fail("regions must be a non-empty object of region -> factor key")
    for region, key in [*regions.items(), ("default", obj["default"])]:
        if not isinstance(region, str) or region != region.strip().lower() or not region:
            ctx.fail(f"region {region!r} must be a lower-case name")
        if key not in factors:
            ctx.fail(f"region {region!r} maps to unknown factor {key!r}")
    return tuple(sorted(regions.items())), obj["default"]


def _parse_points(ctx: _Ctx, raw: Any) -> PointsRule:
    obj = _fields(ctx, raw, _POINTS_FIELDS)
    return PointsRule(
        grams_per_point=_positive_int(ctx, obj, "grams_per_point"),
        min_points_per_entry=_positive_int(ctx, obj, "min_points_per_entry"),
        note=_text(ctx, obj, "note"),
    )


def _parse_equivalent(ctx: _Ctx, raw: Any, factors: Mapping[str, Factor]) -> EquivalentRule:
    obj = _fields(ctx, raw, _EQUIVALENT_FIELDS)
    key = _key(ctx, obj)
    factor = _text(ctx, obj, "factor")
    if factor not in factors or factors[factor].value == 0:
        ctx.fail(f"references unknown or zero factor {factor!r}")
    texts = {name: _text(ctx, obj, name) for name in _EQUIVALENT_FIELDS[0] - {"key", "factor"}}
    return EquivalentRule(key=key, factor=factor, **texts)


def _parse_list(ctx: _Ctx, obj: Mapping[str, Any], name: str) -> list[Any]:
    value = obj.get(name, [])
    if not isinstance(value, list):
        ctx.fail(f"{name} must be a list")
    return value


def _parse_set(ctx: _Ctx, raw: Any, file_ctx: _Ctx) -> FactorSet:
    obj = _fields(ctx, raw, _SET_FIELDS)
    version = _text(ctx, obj, "version")
    ctx = file_ctx.sub(version)
    try:
        effective_from = date.fromisoformat(_text(ctx, obj, "effective_from"))
    except ValueError:
        ctx.fail(f"effective_from {obj['effective_from']!r} is not a YYYY-MM-DD date")
    factors = tuple(
        _parse_factor(_item_ctx(ctx, "factor", i, f), f)
        for i, f in enumerate(_parse_list(ctx, obj, "factors"))
    )
    _check_unique(ctx, "factor key", [f.key for f in factors])
    by_key = {f.key: f for f in factors}
    for factor in factors:
        if factor.same_source_as is not None and factor.same_source_as not in by_key:
            ctx.fail(
                f"factor {factor.key!r}: same_source_as names unknown factor "
                f"{factor.same_source_as!r}"
            )
    behaviours = tuple(
        _parse_behaviour(_item_ctx(ctx, "behaviour", i, b), b)
        for i, b in enumerate(_parse_list(ctx, obj, "behaviours"))
    )
    _check_unique(ctx, "behaviour key", [b.key for b in behaviours])
    for behaviour in behaviours:
        _check_behaviour(ctx, behaviour, by_key)
    equivalents = tuple(
        _parse_equivalent(_item_ctx(ctx, "equivalent", i, e), e, by_key)
        for i, e in enumerate(_parse_list(ctx, obj, "equivalents"))
    )
    _check_unique(ctx, "equivalent key", [e.key for e in equivalents])
    grid_regions, grid_default = _parse_grid(
        ctx.sub("grid_by_region"), obj["grid_by_region"], by_key
    )
    return FactorSet(
        version=version,
        effective_from=effective_from,
        description=_text(ctx, obj, "description", "-"),
        formula_note=_text(ctx, obj, "formula_note", "-"),
        grid_regions=grid_regions,
        grid_default=grid_default,
        points=_parse_points(ctx.sub("points"), obj["points"]),
        equivalents=equivalents,
        factors=factors,
        behaviours=behaviours,
    )
