"""`flask seed-demo` seeds campaigns before the activities, so the demo reports have results
(what it leaves: tests/test_demo_region.py)."""

from __future__ import annotations

from activities.cli import seed_demo_activities
from campaigns.setup import seed_demo_campaigns


def test_campaigns_are_seeded_before_the_activities(app):
    seeders = app.extensions["demo_seeders"]
    assert seeders.index(seed_demo_campaigns) < seeders.index(seed_demo_activities)
