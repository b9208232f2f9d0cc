"""`flask seed-demo` spans last year too, and its bulk history is as consistent as logging."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from activities.cli import seed_demo_activities, seed_demo_history
from activities.models import Activity
from campaigns.setup import seed_demo_campaigns
from points.models import DailyContribution, LedgerEntry, OrgDailyPoints, Redemption
from tests.activities.rollup_checks import expected_rollups, held_rollups
from tests.demo_region import GROWTH_SPAN
from tests.factories import now_of
from tests.points.helpers import invariant_violations

SHANGHAI = ZoneInfo("Asia/Shanghai")  # every demo institution's time zone


@pytest.fixture
def seeded(demo_region):
    with demo_region.session() as session:
        yield session


def test_history_is_seeded_before_the_campaigns_and_the_logged_days(app):
    seeders = app.extensions["demo_seeders"]
    assert seeders.index(seed_demo_history) < seeders.index(seed_demo_campaigns) \
        < seeders.index(seed_demo_activities)


def test_seed_demo_spans_last_year_with_books_contributions_and_rollups_consistent(demo_region,
                                                                                   seeded):
    """The demo region checked for everything a report or a balance relies on."""
    _every_month_of_last_year_has_activity_and_this_year_grew(seeded)
    _books_balance_and_contributions_equal_the_activities(seeded)
    _rollups_equal_the_raw_rows_and_a_rebuild(demo_region, seeded)
    _people_redeemed_at_the_counter_so_reports_show_points_redeemed(seeded)


def _every_month_of_last_year_has_activity_and_this_year_grew(seeded):
    today = now_of(seeded).astimezone(SHANGHAI).date()  # the demo's days are Shanghai days
    by_day: dict[date, int] = defaultdict(int)
    for day in seeded.scalars(select(Activity.local_date)):
        by_day[day] += 1
    by_month: dict[tuple[int, int], int] = defaultdict(int)
    for day, count in by_day.items():
        by_month[(day.year, day.month)] += count

    assert all(by_month[(today.year - 1, month)] > 0 for month in range(1, 13))
    # The whole days of this year so far against the same dates a year earlier (29 Feb has none).
    start = date(today.year, 1, 1)
    this_year = [start + timedelta(days=n) for n in range((today - start).days)
                 if (start + timedelta(days=n)).strftime("%m%d") != "0229"]
    assert len(this_year) >= GROWTH_SPAN.days - 1
    assert sum(by_day[d] for d in this_year) > sum(
        by_day[d.replace(year=d.year - 1)] for d in this_year)


def _books_balance_and_contributions_equal_the_activities(seeded):
    assert invariant_violations(seeded) == []
    activities = seeded.scalars(select(Activity).where(Activity.status == "accepted")).all()
    earned = {int(e.source_id): e.delta for e in seeded.scalars(
        select(LedgerEntry).where(LedgerEntry.source_type == "activity"))}
    assert {a.id: a.points for a in activities if a.points} == earned
    days: dict = defaultdict(lambda: [0, 0, 0])
    for a in activities:
        totals = days[(a.user_id, a.team_id or 0, a.local_date)]
        totals[0] += a.co2e_saved_g
        totals[1] += a.points
        totals[2] += 1
    for bonus in seeded.scalars(select(LedgerEntry).where(LedgerEntry.source_type == "checkin")):
        # Open-day check-ins add their points to the day, as no activity.
        days[(bonus.user_id, bonus.team_id or 0,
              bonus.created_at.astimezone(SHANGHAI).date())][1] += bonus.delta
    held = {(c.user_id, c.team_key, c.day): [c.co2e_g, c.points, c.entries]
            for c in seeded.scalars(select(DailyContribution))}
    assert held == dict(days)


def _rollups_equal_the_raw_rows_and_a_rebuild(demo_region, seeded):
    maintained = held_rollups(seeded)
    assert maintained == expected_rollups(seeded)

    result = demo_region.invoke("rollups", "rebuild")

    assert result.exit_code == 0, result.output
    assert held_rollups(seeded) == maintained


def _people_redeemed_at_the_counter_so_reports_show_points_redeemed(seeded):
    redemptions = seeded.scalars(select(Redemption)).all()
    assert {r.status for r in redemptions} == {"pending", "fulfilled", "cancelled"}
    spent = sum(r.cost_points for r in redemptions if r.status != "cancelled")
    assert spent > 0
    assert sum(seeded.scalars(select(OrgDailyPoints.redeemed))) == spent
