"""Start-up wiring of the campaigns domain."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session


def init_campaigns(app: Flask) -> None:
    """Answer activity logging's multiplier signal (activities never import us)."""
    from activities.campaign_hook import multipliers_at
    from campaigns.effects import campaign_multipliers

    multipliers_at.connect(campaign_multipliers)
    seeders = app.extensions.setdefault("demo_seeders", [])
    if seed_demo_campaigns not in seeders:
        # First of all seeders: demo activities logged later must find the campaigns.
        seeders.insert(0, seed_demo_campaigns)


def seed_demo_campaigns(session: Session, echo: Callable[[str], None]) -> None:
    """Demo publicity weeks and open days (run by `flask seed-demo`, before the activities)."""
    from app.clock import now_utc
    from campaigns.demo import seed_campaigns

    seed_campaigns(session, echo, now_utc())
