"""Leaderboards for a campaign: `period=campaign:<id>` ranks what was logged under it."""

from __future__ import annotations

from datetime import timedelta


def board(client, make, viewer, scope, period, **params):
    return client.get(f"/api/v1/leaderboards/{scope}", query_string={"period": period, **params},
                      headers=make.headers(viewer))


def log(client, make, user, quantity, **fields):
    response = client.post("/api/v1/activities", json={"type": "metro", "quantity": quantity,
                                                       **fields}, headers=make.headers(user))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_campaign_board_counts_only_what_was_logged_under_the_campaign(
        client, make, world, new_campaign, clock):
    campaign = new_campaign(world.organizer, multiplier=2)
    keen = make.user(world.org, world.team)
    before = (clock.now() - timedelta(days=2)).isoformat()
    log(client, make, world.staff, 10, occurred_at=before)  # before the campaign: not counted
    inside = log(client, make, world.staff, 5)
    keen_inside = log(client, make, keen, 20)
    response = board(client, make, world.staff, "users", f"campaign:{campaign['id']}",
                     metric="points")
    assert response.status_code == 200
    body = response.get_json()
    assert [(e["id"], e["value"]) for e in body["entries"]] == [
        (keen.id, keen_inside["points"]), (world.staff.id, inside["points"])]
    assert body["me"] == {"rank": 2, "value": inside["points"]}
    assert body["period"]["start"] is not None
    teams = board(client, make, world.staff, "teams", f"campaign:{campaign['id']}").get_json()
    assert teams["entries"][0]["value"] == round(
        inside["co2e_saved_kg"] + keen_inside["co2e_saved_kg"], 3)


def test_another_organisations_campaign_board_is_not_found(client, make, world, new_campaign):
    campaign = new_campaign(world.other_organizer)
    response = board(client, make, world.staff, "users", f"campaign:{campaign['id']}")
    assert response.status_code == 404


def test_a_malformed_campaign_period_is_a_422(client, make, world):
    response = board(client, make, world.staff, "users", "campaign:abc")
    assert response.status_code == 422
