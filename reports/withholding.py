"""Which public figures are withheld so no small group can be made out. No database.

The figures themselves (kilograms, shares, ranks) come from `app.figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A public figure aggregating fewer people than this is withheld (API.md).
MIN_PUBLIC_PARTICIPANTS = 10

FEWER_PARTICIPANTS = "fewer_than_10_participants"
REVEALS_WITHHELD = "would_reveal_withheld_institution"


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
