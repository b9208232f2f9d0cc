"""What campaigns do to activities: the best multiplier among covering campaigns, points only.

The hook tests call activities.campaign_hook.campaign_multiplier_for exactly as activity
logging does; the HTTP tests log through POST /api/v1/activities.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from activities.campaign_hook import campaign_multiplier_for
from campaigns.rules import CampaignRule, best_multiplier
from tests.factories import now_of


def multiplier_now(session, user, activity_type="metro", at=None):
    return campaign_multiplier_for(session, user, activity_type, at or now_of(session))


# --- pure rule --------------------------------------------------------------------------

def test_featured_behaviour_takes_the_larger_of_its_and_the_overall_factor():
    rule = CampaignRule(1, Decimal("2"), {"cycle": "3.50", "metro": "1.50"})
    assert best_multiplier([rule], "cycle") == (Decimal("3.50"), 1)
    assert best_multiplier([rule], "metro") == (Decimal("2"), 1)
    assert best_multiplier([rule], "walk") == (Decimal("2"), 1)


def test_overlapping_campaigns_take_the_best_factor_never_the_product():
    rules = [CampaignRule(1, Decimal("2"), {}), CampaignRule(2, Decimal("3"), {})]
    assert best_multiplier(rules, "metro") == (Decimal("3"), 2)


def test_a_tie_names_the_oldest_campaign():
    rules = [CampaignRule(7, Decimal("2"), {}), CampaignRule(4, Decimal("2"), {})]
    assert best_multiplier(rules, "metro") == (Decimal("2"), 4)


def test_no_campaign_means_factor_one_and_no_campaign_id():
    assert best_multiplier([], "metro") == (Decimal("1"), None)


# --- the hook, on the database ------------------------------------------------------------

def test_inside_the_window_the_campaign_doubles_and_is_named(session, world, new_campaign):
    campaign = new_campaign(world.organizer, multiplier=2)
    assert multiplier_now(session, world.staff) == (Decimal("2"), campaign["id"])


def test_outside_the_window_nothing_is_multiplied(session, world, new_campaign):
    new_campaign(world.organizer, starts_in=timedelta(days=1))
    new_campaign(world.organizer, starts_in=timedelta(days=-9), lasts=timedelta(days=2))
    assert multiplier_now(session, world.staff) == (Decimal("1"), None)


def test_the_end_of_the_window_is_excluded(clock, session, world, new_campaign):
    campaign = new_campaign(world.organizer, starts_in=timedelta(days=-2), lasts=timedelta(days=1))
    end = clock.now() - timedelta(days=1)
    assert multiplier_now(session, world.staff, at=end - timedelta(seconds=1))[1] == campaign["id"]
    assert multiplier_now(session, world.staff, at=end + timedelta(seconds=1)) == (
        Decimal("1"), None)


def test_another_organisations_campaign_does_not_apply(session, world, new_campaign):
    new_campaign(world.other_organizer, multiplier=3)
    assert multiplier_now(session, world.staff) == (Decimal("1"), None)


def test_a_region_campaign_covers_every_organisation_of_the_region(session, world, new_campaign):
    campaign = new_campaign(world.superadmin, region="beijing", multiplier=1.5)
    assert multiplier_now(session, world.staff) == (Decimal("1.5"), campaign["id"])
    assert multiplier_now(session, world.other_staff) == (Decimal("1"), None)


def test_overlapping_campaigns_apply_the_best_multiplier(session, world, new_campaign):
    new_campaign(world.superadmin, region="beijing", multiplier=2)
    featured = new_campaign(world.organizer, multiplier=1, activity_multipliers={"cycle": 3})
    assert multiplier_now(session, world.staff, "cycle") == (Decimal("3"), featured["id"])
    assert multiplier_now(session, world.staff, "metro")[0] == Decimal("2")


# --- through activity logging ---------------------------------------------------------------

@pytest.fixture
def log(client, make):
    def post(user, **fields):
        response = client.post("/api/v1/activities", json={"type": "metro", "quantity": 10,
                                                           **fields}, headers=make.headers(user))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return post


@pytest.fixture
def neighbour(make):
    """Staff of another Beijing organisation (same grid factor), under no campaign."""
    org = make.org(region="beijing")
    return make.user(org, make.team(org))


def test_logging_inside_a_campaign_doubles_points_but_not_grams(world, new_campaign, log,
                                                                neighbour):
    campaign = new_campaign(world.organizer, multiplier=2)
    boosted, plain = log(world.staff), log(neighbour)
    assert boosted["points"] == 2 * plain["points"]
    assert boosted["co2e_saved_kg"] == plain["co2e_saved_kg"]
    assert boosted["campaign_id"] == campaign["id"]
    assert plain["campaign_id"] is None


def test_logging_before_the_campaign_started_is_not_multiplied(clock, world, new_campaign, log,
                                                               neighbour):
    new_campaign(world.organizer, multiplier=2, starts_in=timedelta(hours=-1))
    earlier = (clock.now() - timedelta(days=1)).isoformat()
    before, plain = log(world.staff, occurred_at=earlier), log(neighbour, occurred_at=earlier)
    assert before["points"] == plain["points"]
    assert before["campaign_id"] is None


def test_logging_under_overlapping_campaigns_takes_the_best_not_the_product(
        world, new_campaign, log, neighbour):
    new_campaign(world.organizer, multiplier=2)
    best = new_campaign(world.organizer, multiplier=3)
    boosted, plain = log(world.staff), log(neighbour)
    assert boosted["points"] == 3 * plain["points"]
    assert boosted["campaign_id"] == best["id"]
