"""Points policy: defaults, changes (audited), bad input changing nothing, and the rate
applied to entries logged afterwards, the catalogue and estimates."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from activities.models import Activity
from app.models import AuditEntry
from tests.points.helpers import auth

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULTS = {"grams_per_point": 10, "monthly_earn_cap": None, "expiry_months": None,
            "point_value_yuan": 0.01, "annual_budget_yuan": None}


def _policy_url(org) -> str:
    return f"/api/v1/orgs/{org.id}/points-policy"


def test_an_organisation_without_a_policy_has_the_defaults(client, make, world):
    response = client.get(_policy_url(world.org), headers=make.headers(world.admin))
    assert response.status_code == 200
    assert response.get_json() == DEFAULTS


def test_an_admin_sets_the_policy_and_the_change_is_audited(client, make, world, session):
    body = {"grams_per_point": 20, "monthly_earn_cap": 3000, "expiry_months": 12,
            "point_value_yuan": 0.005, "annual_budget_yuan": 50000.5}
    response = client.patch(_policy_url(world.org), json=body, headers=make.headers(world.admin))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == body
    assert client.get(_policy_url(world.org), headers=make.headers(world.admin)).get_json() == body
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "points.policy")).one()
    assert audit.actor_id == world.admin.id
    assert audit.org_id == world.org.id
    assert audit.changes["grams_per_point"] == ["10", "20"]
    assert audit.changes["annual_budget_yuan"] == ["None", "50000.5"]
    # Another organisation keeps its own (default) policy.
    other = client.get(_policy_url(world.other_org), headers=make.headers(world.other_admin))
    assert other.get_json() == DEFAULTS


def test_a_partial_change_keeps_the_other_fields_and_null_lifts_a_cap(client, make, world):
    headers = make.headers(world.admin)
    client.patch(_policy_url(world.org), json={"monthly_earn_cap": 100, "expiry_months": 6},
                 headers=headers)
    response = client.patch(_policy_url(world.org), json={"monthly_earn_cap": None},
                            headers=headers)
    assert response.get_json() == {**DEFAULTS, "expiry_months": 6}


@pytest.mark.parametrize(("body", "field"), [
    ({"grams_per_point": 0}, "grams_per_point"),
    ({"grams_per_point": -5}, "grams_per_point"),
    ({"monthly_earn_cap": -1}, "monthly_earn_cap"),
    ({"expiry_months": 0}, "expiry_months"),
    ({"expiry_months": 121}, "expiry_months"),
    ({"annual_budget_yuan": "lots"}, "annual_budget_yuan"),
    ({"annual_budget_yuan": True}, "annual_budget_yuan"),
    ({"annual_budget_yuan": -100}, "annual_budget_yuan"),
    ({"point_value_yuan": 0}, "point_value_yuan"),
    ({"point_value_yuan": 0.00001}, "point_value_yuan"),
    ({"grams_per_point": 12.5}, "grams_per_point"),
    ({"point_value_yuan": 5.68e297}, "point_value_yuan"),
    ({"annual_budget_yuan": 1e300}, "annual_budget_yuan"),
])
def test_bad_values_are_refused_and_change_nothing(client, make, world, session, body, field):
    headers = make.headers(world.admin)
    client.patch(_policy_url(world.org), json={"grams_per_point": 15}, headers=headers)
    response = client.patch(_policy_url(world.org), json={"monthly_earn_cap": 7, **body},
                            headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]
    assert client.get(_policy_url(world.org), headers=headers).get_json() == {
        **DEFAULTS, "grams_per_point": 15}
    assert len(session.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.policy")).all()) == 1


def test_staff_cannot_read_or_change_the_policy_and_another_org_is_hidden(client, make, world):
    assert client.get(_policy_url(world.org),
                      headers=make.headers(world.staff)).status_code == 403
    response = client.patch(_policy_url(world.org), json={"grams_per_point": 1},
                            headers=make.headers(world.other_admin))
    assert response.status_code == 404


def _log(client, make, clock, user, quantity=10, activity_type="cycle"):
    response = client.post("/api/v1/activities", json={"type": activity_type,
                                                       "quantity": quantity},
                           headers=auth(make, user, clock))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_new_rate_applies_to_later_entries_only(client, make, world, session, clock):
    clock.freeze(datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI))
    before = _log(client, make, clock, world.staff)
    client.patch(_policy_url(world.org), json={"grams_per_point": 20},
                 headers=auth(make, world.admin, clock))
    # The next day: a later entry of the same day shares that day's points (FACTORS.md).
    clock.advance(timedelta(days=1))
    after = _log(client, make, clock, world.staff)
    assert before["grams_per_point"] == 10
    assert after["grams_per_point"] == 20
    assert before["co2e_saved_kg"] == after["co2e_saved_kg"]
    grams = round(before["co2e_saved_kg"] * 1000)
    assert before["points"] == grams // 10
    assert after["points"] == grams // 20
    # The earlier entry keeps its points and its rate.
    session.expire_all()
    stored = session.get(Activity, before["id"])
    assert stored.points == before["points"]
    assert stored.grams_per_point == 10


def test_catalogue_and_estimate_show_the_organisations_rate(client, make, world, clock):
    clock.freeze(datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI))
    headers = auth(make, world.staff, clock)

    def cycle_rate():
        items = client.get("/api/v1/activity-types", headers=headers).get_json()["items"]
        return next(i for i in items if i["key"] == "cycle")["points_per_unit"]

    estimate = {"type": "cycle", "quantity": 10}
    default_rate = cycle_rate()
    default_points = client.post("/api/v1/carbon/estimate", json=estimate,
                                 headers=headers).get_json()["points"]
    client.patch(_policy_url(world.org), json={"grams_per_point": 40},
                 headers=auth(make, world.admin, clock))
    assert cycle_rate() == pytest.approx(default_rate / 4, abs=0.001)  # 3 places on the wire
    points = client.post("/api/v1/carbon/estimate", json=estimate,
                         headers=headers).get_json()["points"]
    assert points < default_points
    assert points == _log(client, make, clock, world.staff)["points"]
