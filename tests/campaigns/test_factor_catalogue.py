"""Campaign rules are checked against the catalogue the app loaded (FACTORS_PATH)."""

from __future__ import annotations

import json

from activities.factors import default_factors_path
from tests.campaigns.conftest import campaign_body


def app_with_walk_renamed(make_app, tmp_path):
    """An app whose catalogue calls the walking behaviour `walk_commute` (no `walk`)."""
    sets = json.loads(default_factors_path().read_text(encoding="utf-8"))
    for factor_set in sets:
        for behaviour in factor_set["behaviours"]:
            if behaviour["key"] == "walk":
                behaviour["key"] = "walk_commute"
    path = tmp_path / "factors.json"
    path.write_text(json.dumps(sets, ensure_ascii=False), encoding="utf-8")
    return make_app({"FACTORS_PATH": str(path)})


def test_a_campaign_may_feature_a_behaviour_only_the_loaded_catalogue_knows(
        make_app, tmp_path, make, world, clock):
    client = app_with_walk_renamed(make_app, tmp_path).test_client()

    response = client.post("/api/v1/campaigns", headers=make.headers(world.organizer),
                           json=campaign_body(clock.now(),
                                              activity_multipliers={"walk_commute": 3}))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["activity_multipliers"] == {"walk_commute": 3}


def test_a_behaviour_missing_from_the_loaded_catalogue_is_refused(make_app, tmp_path, make,
                                                                  world, clock):
    client = app_with_walk_renamed(make_app, tmp_path).test_client()

    response = client.post("/api/v1/campaigns", headers=make.headers(world.organizer),
                           json=campaign_body(clock.now(), activity_multipliers={"walk": 3}))

    assert response.status_code == 422
    assert "activity_multipliers" in response.get_json()["error"]["details"]
