"""The campaign seam: activities ask a named signal, the campaigns domain answers.

API.md: an activity's points multiplier is the largest multiplier among the campaigns
covering it (never a product); grams are never multiplied. Activities never import
campaigns: `campaigns.setup` connects its receiver to `multipliers_at` at start-up;
with no receiver every entry has (1, None).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from blinker import Namespace
from sqlalchemy.orm import Session

from app.models import User

NO_CAMPAIGN: tuple[Decimal, int | None] = (Decimal("1"), None)

MultiplierOf = Callable[[str], tuple[Decimal, int | None]]  # behaviour -> (factor, campaign)

signals = Namespace()
multipliers_at = signals.signal("activities.multipliers-at", doc="""
Sent with the person as sender and `session`, `at` (an instant): a receiver answers a
function of a behaviour key giving (points multiplier, campaign id) at that instant.
One lookup serves every behaviour of a batch logged at one instant.
""")


def _none(_activity_type: str) -> tuple[Decimal, int | None]:
    return NO_CAMPAIGN


def multipliers_for(session: Session, user: User, at: datetime) -> MultiplierOf:
    """The multiplier of each behaviour for `user` at `at` ((1, None) without campaigns)."""
    answers = [answer for _receiver, answer in multipliers_at.send(user, session=session, at=at)]
    return answers[0] if answers else _none


def campaign_multiplier_for(session: Session, user: User, activity_type: str,
                            occurred_at: datetime) -> tuple[Decimal, int | None]:
    """(points multiplier, campaign id) for an entry; (1, None) without campaigns."""
    return multipliers_for(session, user, occurred_at)(activity_type)
