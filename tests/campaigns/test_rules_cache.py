"""Campaign rules held per organisation in a worker: no campaigns query while they hold, and
a campaign created or ended by another worker applies from the next log on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.activities.test_write_cost import statements_of
from tests.campaigns.conftest import campaign_body, iso

# Commits for real: the other worker is another app on its own connections.
pytestmark = pytest.mark.commits


def log(client, make, user, n):
    response = client.post("/api/v1/activities", headers=make.headers(user),
                           json={"type": "metro", "quantity": 10, "client_id": f"c-{n}"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_campaign(client, make, organizer, clock, **fields):
    response = client.post("/api/v1/campaigns", json=campaign_body(clock.now(), **fields),
                           headers=make.headers(organizer))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_logging_during_a_campaign_reads_no_campaign_once_held(app, client, make, clock, world):
    campaign = create_campaign(client, make, world.organizer, clock, multiplier=2)
    first = log(client, make, world.staff, 1)

    second, seen = statements_of(app, lambda: log(client, make, world.staff, 2))

    assert (first["campaign_id"], second["campaign_id"]) == (campaign["id"], campaign["id"])
    assert second["multiplier"] == 2
    assert not [s for s in seen if "FROM campaigns" in s]


def test_a_campaign_another_worker_creates_or_ends_applies_at_the_next_log(
        app, client, make, make_app, clock, world):
    other = make_app().test_client()
    assert log(client, make, world.staff, 1)["campaign_id"] is None

    campaign = create_campaign(other, make, world.organizer, clock, multiplier=3)
    during = log(client, make, world.staff, 2)
    assert during["campaign_id"] == campaign["id"]
    assert during["multiplier"] == 3

    ended = other.patch(f"/api/v1/campaigns/{campaign['id']}", headers=make.headers(
        world.organizer), json={"ends_at": iso(clock.now() + timedelta(seconds=1))})
    assert ended.status_code == 200, ended.get_json()
    clock.advance(timedelta(seconds=2))
    assert log(client, make, world.staff, 3)["campaign_id"] is None


def test_a_region_campaign_another_worker_creates_applies_at_the_next_log(
        app, client, make, make_app, clock, world):
    other = make_app().test_client()
    assert log(client, make, world.staff, 1)["campaign_id"] is None

    campaign = create_campaign(other, make, world.superadmin, clock, region="beijing",
                               multiplier=2)
    assert log(client, make, world.staff, 2)["campaign_id"] == campaign["id"]
