"""Pure arithmetic of the energy ledger: periods, exact unit conversion, grams, indicators.

No database here. Quantities are Decimals converted exactly (a high-precision context,
no float); grams are `round(quantity in the base unit x coefficient x 1000)` half up;
indicators are ratios of totals rounded to 2 places; a change is computed from the
unrounded ratios.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction

from app import figures
from energy.factors import Carrier, EnergyMethod

EXACT = Context(prec=60)
MAX_QUANTITY = Decimal("1e10")  # exclusive; keeps grams inside a 64-bit integer
QUANTITY_PLACES = 6
FIRST_YEAR, LAST_YEAR = 2000, 2100
_PERIOD_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


class QuantityOutOfRange(ValueError):
    """Negative, not finite, not a number, too large or too finely divided."""


class PeriodMalformed(ValueError):
    """Not `YYYY-MM` or `YYYY` within the years the ledger keeps."""


@dataclass(frozen=True)
class Period:
    year: int
    month: int  # 0: the whole year

    @property
    def annual(self) -> bool:
        return self.month == 0

    @property
    def text(self) -> str:
        return str(self.year) if self.annual else f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month or 1, 1)


def parse_period(text: object) -> Period:
    match = _PERIOD_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise PeriodMalformed(text)
    year, month = int(match.group(1)), int(match.group(2) or 0)
    if not FIRST_YEAR <= year <= LAST_YEAR or (match.group(2) and not 1 <= month <= 12):
        raise PeriodMalformed(text)
    return Period(year, month)


def parse_quantity(value: object) -> Decimal:
    """A JSON number or a decimal string -> Decimal; QuantityOutOfRange when unusable."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise QuantityOutOfRange(value)
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(str(value))
    except InvalidOperation:
        raise QuantityOutOfRange(value) from None
    if not number.is_finite() or number < 0 or number >= MAX_QUANTITY:
        raise QuantityOutOfRange(value)
    if number != number.quantize(Decimal(1).scaleb(-QUANTITY_PLACES), context=EXACT):
        raise QuantityOutOfRange(value)
    return number


def quantity_text(number: Decimal) -> str:
    """Canonical decimal text: no exponent, no trailing zeros (`1.50` -> `1.5`)."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def round_half_up(value: Decimal | Fraction) -> int:
    if isinstance(value, Fraction):
        value = EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=EXACT))


@dataclass(frozen=True)
class Converted:
    base_quantity: Decimal
    base_quantity_milli: int
    kgce_g: int
    co2e_g: int


def convert(method: EnergyMethod, carrier: Carrier, quantity: Decimal, unit: str,
            region: str) -> Converted:
    """Exact base quantity and the integer grams of kgce and CO2 of one reading."""
    base = EXACT.multiply(quantity, carrier.units[unit])
    kgce = carrier.kgce_per_base
    co2 = method.co2_per_base(carrier, region)
    return Converted(
        base_quantity=base,
        base_quantity_milli=round_half_up(EXACT.multiply(base, 1000)),
        kgce_g=0 if kgce is None else round_half_up(EXACT.multiply(EXACT.multiply(base, kgce),
                                                                   1000)),
        co2e_g=0 if co2 is None else round_half_up(EXACT.multiply(EXACT.multiply(base, co2),
                                                                  1000)),
    )


def kg(grams: int | None) -> float | None:
    """Integer grams as kilograms, a JSON number with at most 3 places."""
    return None if grams is None else float(figures.kg(grams))


def yuan(fen: int | None) -> float | None:
    return None if fen is None else float(Decimal(fen).scaleb(-2))


def ratio(numerator: int | Fraction | None, denominator: int | None) -> Fraction | None:
    if numerator is None or not denominator:
        return None
    return Fraction(numerator) / denominator


def two_places(value: Fraction | None) -> float | None:
    """Rounded half up (away from zero) to 2 places, in integers: exact and quick."""
    if value is None:
        return None
    numerator, denominator = value.numerator, value.denominator
    hundredths = (abs(numerator) * 200 + denominator) // (2 * denominator)
    return (hundredths if numerator >= 0 else -hundredths) / 100


def change_pct(this: Fraction | None, that: Fraction | None) -> float | None:
    """(this - that) / that x 100 of unrounded ratios, 2 places; None without both."""
    if this is None or that is None or that == 0:
        return None
    return two_places((this - that) / that * 100)


