"""Pure report arithmetic: kilograms, shares, per-capita, percent change, ranks, withholding.

No database. Every figure is computed from integers (grams, counts), so the same
number comes out in JSON and in CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

KG_PLACES = Decimal("0.001")
RATE_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.1")
# A public figure aggregating fewer people than this is withheld (API.md).
MIN_PUBLIC_PARTICIPANTS = 10

FEWER_PARTICIPANTS = "fewer_than_10_participants"
REVEALS_WITHHELD = "would_reveal_withheld_institution"


def kg(grams: int) -> Decimal:
    """Integer grams as kilograms with 3 decimals (exact)."""
    return (Decimal(int(grams)) / 1000).quantize(KG_PLACES)


def share(part: int, whole: int) -> Decimal | None:
    """part / whole as a fraction 0..1 with 4 places; None without a whole.

    Capped at 1: people who have left still count as having taken part.
    """
    if not whole:
        return None
    rate = (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    return min(Decimal(1), rate)


def per_capita_kg(grams: int, headcount: int) -> Decimal | None:
    """Kilograms per head of the declared headcount, 3 places; None without a headcount."""
    if not headcount:
        return None
    return (Decimal(int(grams)) / 1000 / Decimal(headcount)).quantize(
        KG_PLACES, rounding=ROUND_HALF_UP)


def percent_change(current: int | Decimal | None,
                   previous: int | Decimal | None) -> Decimal | None:
    """Change from `previous` to `current` in percent, 1 place; None from 0 or unknown."""
    if current is None or not previous:
        return None
    change = (Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)
    return change.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def competition_ranks(values: Sequence[Decimal | int | None]) -> list[int | None]:
    """Ranks of `values` in input order, largest first; equal values share a rank (1, 2, 2, 4).

    A None (no figure) has no rank.
    """
    first_position: dict[Decimal | int, int] = {}
    known = sorted((v for v in values if v is not None), reverse=True)
    for position, value in enumerate(known, start=1):
        first_position.setdefault(value, position)
    return [None if v is None else first_position[v] for v in values]


@dataclass(frozen=True)
class Withholding:
    withheld: bool
    reason: str | None = None


def withhold_small(participants: int) -> Withholding:
    """A group of fewer than MIN_PUBLIC_PARTICIPANTS people is never shown."""
    if participants < MIN_PUBLIC_PARTICIPANTS:
        return Withholding(True, FEWER_PARTICIPANTS)
    return Withholding(False)


def withhold_total(participants: int, withheld_parts: Sequence[int]) -> Withholding:
    """A total is withheld when small, or when it would give away withheld parts.

    The total minus the parts shown is the sum of the withheld parts: when those together
    aggregate 1 to 9 people, showing the total would reveal them by subtraction.
    """
    own = withhold_small(participants)
    if own.withheld:
        return own
    hidden = sum(withheld_parts)
    if 0 < hidden < MIN_PUBLIC_PARTICIPANTS:
        return Withholding(True, REVEALS_WITHHELD)
    return Withholding(False)
