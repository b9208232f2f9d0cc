"""Figures shown to people: kilograms from grams, shares, percents, yuan, competition ranks.

Pure functions, no database. Every figure starts from integers (grams, counts) and is
rounded once, here, half up: the same inputs give the same number in every report,
board and export.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

KG_PLACES = Decimal("0.001")
PER_UNIT_KG_PLACES = Decimal("0.000001")  # whole milligrams: a sheet of paper is 4.59 g
RATE_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.1")
YUAN_PLACES = Decimal("0.01")


def _round(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def kg(grams: int) -> Decimal:
    """Integer grams as kilograms with 3 decimals (exact)."""
    return _round(Decimal(int(grams)) / 1000, KG_PLACES)


def per_unit_kg(grams: Decimal | int) -> Decimal:
    """Grams per unit (not always whole) as kilograms with 6 decimals."""
    return _round(Decimal(grams) / 1000, PER_UNIT_KG_PLACES)


def per_capita_kg(grams: int, headcount: int) -> Decimal | None:
    """Kilograms per head, 3 decimals; None without a headcount."""
    if not headcount:
        return None
    return _round(Decimal(int(grams)) / 1000 / Decimal(headcount), KG_PLACES)


def ratio(part: int, whole: int) -> Decimal | None:
    """part / whole with 4 decimals, may pass 1 (progress past a goal); None without a whole."""
    if not whole:
        return None
    return _round(Decimal(part) / Decimal(whole), RATE_PLACES)


def share(part: int, whole: int) -> Decimal | None:
    """part / whole as a fraction 0..1 with 4 decimals; None without a whole.

    Capped at 1: people who have left since they took part still count as participants.
    """
    value = ratio(part, whole)
    return None if value is None else min(Decimal(1), value)


def yuan(amount: Decimal | int) -> Decimal:
    """Money in yuan with 2 decimals (fen)."""
    return _round(Decimal(amount), YUAN_PLACES)


def percent_of(part: Decimal | int, whole: Decimal | int | None) -> Decimal | None:
    """part / whole in percent, 1 decimal; None without a whole."""
    if not whole:
        return None
    return _round(Decimal(part) * 100 / Decimal(whole), PERCENT_PLACES)


def percent_change(current: int | Decimal | None,
                   previous: int | Decimal | None) -> Decimal | None:
    """Change from `previous` to `current` in percent, 1 decimal; None from 0 or unknown."""
    if current is None or not previous:
        return None
    return _round((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous),
                  PERCENT_PLACES)


def competition_ranks(values: Sequence[Decimal | float | int | Fraction | None], *,
                      lowest_first: bool = False) -> list[int | None]:
    """Ranks of `values` in input order, largest first (or lowest first, e.g. energy per m2);
    equal values share a rank (1, 2, 2, 4). A None (no figure) has no rank.
    """
    first_position: dict[Decimal | float | int | Fraction, int] = {}
    known = sorted((v for v in values if v is not None), reverse=not lowest_first)
    for position, value in enumerate(known, start=1):
        first_position.setdefault(value, position)
    return [None if v is None else first_position[v] for v in values]

