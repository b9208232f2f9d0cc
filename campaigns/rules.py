"""Pure campaign arithmetic: which multiplier applies. No database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ONE = Decimal("1")


@dataclass(frozen=True)
class CampaignRule:
    campaign_id: int
    multiplier: Decimal
    activity_multipliers: dict  # behaviour key -> Decimal-like


def multiplier_of(rule: CampaignRule, activity_type: str) -> Decimal:
    """A campaign's factor for a behaviour: the larger of its overall and featured factor."""
    featured = Decimal(str(rule.activity_multipliers.get(activity_type, ONE)))
    return max(Decimal(rule.multiplier), featured)


def best_multiplier(rules: list[CampaignRule], activity_type: str) -> tuple[Decimal, int | None]:
    """(multiplier, campaign id) of the covering campaign with the largest factor.

    Overlapping campaigns never multiply together; on a tie the oldest campaign
    (lowest id) is named. No covering campaign -> (1, None).
    """
    best: tuple[Decimal, int | None] = (ONE, None)
    for rule in sorted(rules, key=lambda r: r.campaign_id):
        factor = multiplier_of(rule, activity_type)
        if best[1] is None or factor > best[0]:
            best = (factor, rule.campaign_id)
    return best
