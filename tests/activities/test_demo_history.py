"""`flask seed-demo` writes the bulk history before the campaigns and the logged days
(what it leaves: tests/test_demo_region.py)."""

from __future__ import annotations

from activities.cli import seed_demo_activities, seed_demo_history
from campaigns.setup import seed_demo_campaigns


def test_history_is_seeded_before_the_campaigns_and_the_logged_days(app):
    seeders = app.extensions["demo_seeders"]
    assert seeders.index(seed_demo_history) < seeders.index(seed_demo_campaigns) \
        < seeders.index(seed_demo_activities)
