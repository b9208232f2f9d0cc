"""A campaign goal of any size is answered, never a server error (found by schemathesis)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.campaigns.conftest import campaign_body


@pytest.mark.parametrize("goal", [3.1703291661925026e+28, 1e308])
def test_a_goal_too_large_to_store_is_refused_as_invalid(clock, client, make, world, goal):
    response = client.post("/api/v1/campaigns", json=campaign_body(clock.now(), goal_co2e_kg=goal),
                           headers=make.headers(world.organizer))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_a_huge_goal_in_an_edit_is_refused_as_invalid(client, make, world, new_campaign):
    campaign = new_campaign(world.organizer, starts_in=timedelta(days=1))  # still editable
    response = client.patch(f"/api/v1/campaigns/{campaign['id']}",
                            json={"goal_co2e_kg": 3.1703291661925026e+28},
                            headers=make.headers(world.organizer))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(("goal", "accepted"), [(1234.5, True), (12.3456, False), (1e6, True)])
def test_a_goal_keeps_at_most_three_decimals(clock, client, make, world, goal, accepted):
    response = client.post("/api/v1/campaigns", json=campaign_body(clock.now(), goal_co2e_kg=goal),
                           headers=make.headers(world.organizer))
    assert response.status_code == (201 if accepted else 422)
    if accepted:
        assert response.get_json()["goal_co2e_kg"] == goal
