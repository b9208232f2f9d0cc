"""Campaign rules: who may create and edit, validation, visibility, fixed rules after start."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import AuditEntry
from tests.campaigns.conftest import campaign_body


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def test_organizer_creates_a_campaign_for_their_organisation(clock, client, make, world):
    body = campaign_body(clock.now(), activity_multipliers={"metro": 3}, goal_co2e_kg=120.5)
    response = client.post("/api/v1/campaigns", json=body, headers=make.headers(world.organizer))
    assert response.status_code == 201
    body = response.get_json()
    assert body["org_id"] == world.org.id
    assert body["status"] == "active"
    assert body["multiplier"] == 2
    assert body["activity_multipliers"] == {"metro": 3}
    assert body["goal_co2e_kg"] == 120.5


def test_creating_a_campaign_is_audited(client, make, world, session, new_campaign):
    campaign = new_campaign(world.organizer)
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "campaign", AuditEntry.target_id == str(campaign["id"])))
    assert list(actions) == ["campaign.create"]


def test_staff_may_not_create_a_campaign(clock, client, make, world):
    response = client.post("/api/v1/campaigns", json=campaign_body(clock.now()),
                           headers=make.headers(world.staff))
    assert response.status_code == 403


def test_organizer_may_not_create_for_another_organisation(clock, client, make, world):
    response = client.post("/api/v1/campaigns", json=campaign_body(clock.now(),
                                                                 org_id=world.other_org.id),
                           headers=make.headers(world.organizer))
    assert response.status_code == 404


def test_only_a_superadmin_creates_a_region_wide_campaign(clock, client, make, world):
    denied = client.post("/api/v1/campaigns", json=campaign_body(clock.now(), region="beijing"),
                         headers=make.headers(world.admin))
    allowed = client.post("/api/v1/campaigns", json=campaign_body(clock.now(), region="beijing"),
                          headers=make.headers(world.superadmin))
    assert denied.status_code == 403
    assert allowed.status_code == 201
    assert allowed.get_json()["region"] == "beijing"


@pytest.mark.parametrize(("fields", "field"), [
    ({"lasts": timedelta(0)}, "ends_at"),
    ({"lasts": timedelta(hours=-1)}, "ends_at"),
    ({"multiplier": 0.5}, "multiplier"),
    ({"multiplier": 5.01}, "multiplier"),
    ({"multiplier": 1.234}, "multiplier"),
    ({"activity_multipliers": {"metro": 6}}, "activity_multipliers"),
    ({"activity_multipliers": {"teleport": 2}}, "activity_multipliers"),
    ({"goal_co2e_kg": -1}, "goal_co2e_kg"),
])
def test_invalid_campaigns_are_refused_with_the_field(clock, client, make, world, fields, field):
    response = client.post("/api/v1/campaigns", json=campaign_body(clock.now(), **fields),
                           headers=make.headers(world.organizer))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]


def test_staff_see_their_organisations_and_regions_campaigns_only(client, make, world,
                                                                  new_campaign):
    own = new_campaign(world.organizer)
    region = new_campaign(world.superadmin, region="beijing")
    new_campaign(world.other_organizer)
    new_campaign(world.superadmin, region="tianjin")
    response = client.get("/api/v1/campaigns", headers=make.headers(world.staff))
    assert response.status_code == 200
    assert [c["id"] for c in response.get_json()["items"]] == [region["id"], own["id"]]


def test_campaigns_are_listed_by_status(client, make, world, new_campaign):
    active = new_campaign(world.organizer)
    upcoming = new_campaign(world.organizer, starts_in=timedelta(days=3))
    past = new_campaign(world.organizer, starts_in=timedelta(days=-10), lasts=timedelta(days=2))
    headers = make.headers(world.staff)
    found = {status: [c["id"] for c in client.get(f"/api/v1/campaigns?status={status}",
                                                   headers=headers).get_json()["items"]]
             for status in ("active", "upcoming", "past")}
    assert found == {"active": [active["id"]], "upcoming": [upcoming["id"]], "past": [past["id"]]}


def test_another_organisations_campaign_is_not_found(client, make, world, new_campaign):
    campaign = new_campaign(world.other_organizer)
    read = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=make.headers(world.staff))
    edit = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"description": "改"},
                        headers=make.headers(world.organizer))
    assert read.status_code == 404
    assert edit.status_code == 404


def test_staff_may_not_edit_a_campaign(client, make, world, new_campaign):
    campaign = new_campaign(world.organizer, starts_in=timedelta(days=1))
    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"name": "改名"},
                            headers=make.headers(world.staff))
    assert response.status_code == 403


def test_anything_may_change_before_the_start(client, make, world, new_campaign):
    campaign = new_campaign(world.organizer, starts_in=timedelta(days=1))
    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={
        "name": "全国低碳日", "multiplier": 3, "activity_multipliers": {"cycle": 4}},
        headers=make.headers(world.organizer))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["multiplier"], body["activity_multipliers"]) == (
        "全国低碳日", 3, {"cycle": 4})


@pytest.mark.parametrize("change", [{"multiplier": 3}, {"activity_multipliers": {"walk": 2}},
                                    {"name": "改名"}, {"goal_co2e_kg": 1},
                                    {"starts_at": "2020-01-01T00:00:00+08:00"}])
def test_rules_are_fixed_once_the_campaign_has_started(client, make, world, new_campaign,
                                                        change):
    campaign = new_campaign(world.organizer)
    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json=change,
                            headers=make.headers(world.organizer))
    assert response.status_code == 409
    assert error_code(response) == "campaign_started"


def test_a_started_campaign_takes_a_new_description_and_an_earlier_end(client, make, world,
                                                                        new_campaign, session):
    campaign = new_campaign(world.organizer)
    new_end = (datetime.fromisoformat(campaign["ends_at"]) - timedelta(days=1)).isoformat()
    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={
        "description": "提前一天结束", "ends_at": new_end}, headers=make.headers(world.organizer))
    assert response.status_code == 200
    assert response.get_json()["description"] == "提前一天结束"
    assert datetime.fromisoformat(response.get_json()["ends_at"]) == datetime.fromisoformat(new_end)
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_id == str(campaign["id"])).order_by(AuditEntry.id))
    assert list(actions) == ["campaign.create", "campaign.update"]


def test_messages_are_english_on_request(client, make, world, new_campaign):
    campaign = new_campaign(world.organizer)
    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"multiplier": 4},
                            headers=make.headers(world.organizer, **{"Accept-Language": "en"}))
    assert response.get_json()["error"]["message"] == \
        "The campaign has started; its rules are fixed"
