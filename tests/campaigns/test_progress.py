"""GET /campaigns/{id}: progress from the activities that carry the campaign id and check-ins."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def log(client, make):
    def post(user, quantity=10, **fields):
        response = client.post("/api/v1/activities", json={
            "type": "metro", "quantity": quantity, **fields}, headers=make.headers(user))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return post


def progress_of(client, make, user, campaign_id):
    response = client.get(f"/api/v1/campaigns/{campaign_id}", headers=make.headers(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["progress"]


def test_progress_counts_carbon_participants_and_goal(client, make, world, new_campaign,
                                                      new_event, log):
    campaign = new_campaign(world.organizer, goal_co2e_kg=100)
    logged = log(world.staff)
    event = new_event(world.organizer, campaign["id"], points=7)
    client.post("/api/v1/checkins", json={"code": event["checkin_code"]},
                headers=make.headers(world.admin))
    progress = progress_of(client, make, world.staff, campaign["id"])
    assert progress["co2e_saved_kg"] == logged["co2e_saved_kg"]
    assert progress["participants"] == 2
    assert progress["participation_rate"] == 0.05  # 2 of a headcount of 40
    assert progress["goal_progress"] == pytest.approx(logged["co2e_saved_kg"] / 100, abs=1e-4)
    assert progress["checkin_points"] == 7


def test_activities_outside_the_campaign_do_not_count(client, make, world, new_campaign, log,
                                                       clock):
    campaign = new_campaign(world.organizer, starts_in=timedelta(hours=-1))
    log(world.staff, occurred_at=(clock.now() - timedelta(days=1)).isoformat())
    progress = progress_of(client, make, world.staff, campaign["id"])
    assert (progress["co2e_saved_kg"], progress["participants"], progress["daily"]) == (0, 0, [])


def test_teams_are_ranked_by_carbon_saved(client, make, world, new_campaign, log):
    campaign = new_campaign(world.organizer)
    other_team = make.team(world.org, "信息中心")
    colleague = make.user(world.org, other_team)
    log(world.staff, quantity=5)
    log(colleague, quantity=20)
    teams = progress_of(client, make, world.staff, campaign["id"])["teams"]
    assert [(t["rank"], t["name"]) for t in teams] == [(1, "信息中心"), (2, "办公室")]


def test_the_daily_series_has_one_row_per_local_day(client, make, world, new_campaign, log,
                                                     clock):
    campaign = new_campaign(world.organizer, starts_in=timedelta(days=-3))
    log(world.staff, occurred_at=(clock.now() - timedelta(days=2)).isoformat())
    log(world.staff)
    daily = progress_of(client, make, world.staff, campaign["id"])["daily"]
    assert len(daily) == 2
    assert all(day["participants"] == 1 for day in daily)
