"""The campaign multiplier hook: (1, None) until a campaigns package plugs in a provider.

API.md: an activity's points multiplier is the largest multiplier among the
campaigns covering it (never a product); grams are never multiplied. Activities
never import campaigns: campaigns register their provider at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from app.models import User

NO_CAMPAIGN: tuple[Decimal, int | None] = (Decimal("1"), None)

Provider = Callable[[Session, User, str, datetime], tuple[Decimal, int | None]]
_provider: Provider | None = None


def set_provider(provider: Provider | None) -> None:
    """Install the function that answers campaign_multiplier_for (None: no campaigns)."""
    global _provider  # noqa: PLW0603 - one process-wide plug, set at start-up
    _provider = provider


def campaign_multiplier_for(session: Session, user: User, activity_type: str,
                            occurred_at: datetime) -> tuple[Decimal, int | None]:
    """(points multiplier, campaign id) for an entry; (1, None) without campaigns."""
    if _provider is None:
        return NO_CAMPAIGN
    return _provider(session, user, activity_type, occurred_at)
