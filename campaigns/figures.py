"""Pure report arithmetic: shares, competition ranks, percent change. No database."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

RATE_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.1")


def share(part: int, whole: int) -> Decimal:
    """part / whole as a fraction 0..1 with four places; 0 when there is no whole.

    Capped at 1: people who left since they took part still count as participants.
    """
    if not whole:
        return Decimal(0)
    return min(Decimal(1), (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES))


def competition_ranks(values: Sequence[int | Decimal]) -> list[int]:
    """Ranks of `values` (largest first), in input order; equal values share a rank (1, 2, 2, 4)."""
    first_position: dict[int | Decimal, int] = {}
    for position, value in enumerate(sorted(values, reverse=True), start=1):
        first_position.setdefault(value, position)
    return [first_position[value] for value in values]


def percent_change(current: int | Decimal, previous: int | Decimal) -> Decimal | None:
    """Relative change from `previous` to `current` in percent (one place); None from 0."""
    if not previous:
        return None
    change = (Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)
    return change.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)
