"""What an organizer cannot do with campaigns and open days: pay themselves, stretch a
running campaign, back-date one, guess check-in codes (issue 13)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import AuditEntry
from points.ledger import account_of
from tests.campaigns.conftest import campaign_body, iso


def checkin(client, make, user, code):
    return client.post("/api/v1/checkins", json={"code": code}, headers=make.headers(user))


def error_code(response):
    return response.get_json()["error"]["code"]


@pytest.fixture
def post_event(client, make, clock):
    """post_event(actor, campaign_id, points): an open day from 10 minutes ago, 2 hours."""

    def post(actor, campaign_id, points):
        start = clock.now() - timedelta(minutes=10)
        return client.post(f"/api/v1/campaigns/{campaign_id}/events", json={
            "name": "开放日", "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2)),
            "points": points, "max_checkins": 50}, headers=make.headers(actor))

    return post


# --- an organizer pays themselves ------------------------------------------------------------

def test_the_creator_of_an_event_cannot_check_in_to_it(client, make, world, new_campaign,
                                                        new_event, session):
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"], points=10)

    response = checkin(client, make, world.organizer, event["checkin_code"])

    assert (response.status_code, error_code(response)) == (403, "own_event_checkin")
    assert account_of(session, world.organizer.id) == (0, 0)
    assert checkin(client, make, world.staff, event["checkin_code"]).status_code == 201


def test_an_event_gives_at_most_200_points(client, make, world, new_campaign, post_event):
    campaign = new_campaign(world.organizer)

    response = post_event(world.organizer, campaign["id"], 10_000)

    assert (response.status_code, error_code(response)) == (422, "validation_error")
    assert "points" in response.get_json()["error"]["details"]


def test_the_events_of_a_campaign_give_at_most_1000_points_together(client, make, world,
                                                                     new_campaign, post_event):
    campaign = new_campaign(world.organizer)
    for _ in range(5):
        assert post_event(world.admin, campaign["id"], 200).status_code == 201

    response = post_event(world.admin, campaign["id"], 1)

    assert (response.status_code, error_code(response)) == (422,
                                                           "campaign_event_points_exceeded")
    assert "points" in response.get_json()["error"]["details"]


def test_an_event_above_the_threshold_waits_for_an_admins_approval(
        client, make, world, new_campaign, session, post_event):
    campaign = new_campaign(world.organizer)
    event = post_event(world.organizer, campaign["id"], 100).get_json()
    assert (event["requires_approval"], event["approved_at"]) == (True, None)

    waiting = checkin(client, make, world.staff, event["checkin_code"])
    url = f"/api/v1/campaigns/{campaign['id']}/events/{event['id']}/approve"
    by_organizer = client.post(url, headers=make.headers(world.organizer))
    approved = client.post(url, headers=make.headers(world.admin))
    again = client.post(url, headers=make.headers(world.admin))
    checked_in = checkin(client, make, world.staff, event["checkin_code"])

    assert (waiting.status_code, error_code(waiting)) == (409, "event_not_approved")
    assert by_organizer.status_code == 403
    assert approved.status_code == 200
    assert approved.get_json()["approved_by"] == world.admin.id
    assert (again.status_code, error_code(again)) == (409, "event_already_approved")
    assert (checked_in.status_code, checked_in.get_json()["points"]) == (201, 100)
    audit = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "campaign_event.approve")).all()
    assert [(a.actor_id, a.target_id) for a in audit] == [(world.admin.id, str(event["id"]))]


def test_another_organisations_admin_cannot_approve(client, make, world, new_campaign, post_event):
    campaign = new_campaign(world.organizer)
    event = post_event(world.organizer, campaign["id"], 100).get_json()
    other_admin = make.user(world.other_org, None, role="admin")

    response = client.post(f"/api/v1/campaigns/{campaign['id']}/events/{event['id']}/approve",
                           headers=make.headers(other_admin))

    assert response.status_code == 404


def test_the_approval_threshold_is_an_organisation_setting(client, make, world, new_campaign,
                                                           session, post_event):
    org_url = f"/api/v1/orgs/{world.org.id}"
    default = client.get(org_url, headers=make.headers(world.admin)).get_json()
    patched = client.patch(org_url, json={"event_approval_points": 150},
                           headers=make.headers(world.admin))
    campaign = new_campaign(world.organizer)

    event = post_event(world.organizer, campaign["id"], 100).get_json()

    assert default["event_approval_points"] == 50
    assert patched.get_json()["event_approval_points"] == 150
    assert event["requires_approval"] is False
    assert checkin(client, make, world.staff, event["checkin_code"]).status_code == 201
    assert session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "org.update")) == "org.update"


def test_an_admins_own_big_event_is_approved_as_it_is_created(client, make, world,
                                                              new_campaign, post_event):
    campaign = new_campaign(world.organizer)

    event = post_event(world.admin, campaign["id"], 100).get_json()

    assert event["requires_approval"] is True
    assert event["approved_by"] == world.admin.id
    assert checkin(client, make, world.staff, event["checkin_code"]).status_code == 201


# --- campaign windows ----------------------------------------------------------------------

def test_a_started_campaign_cannot_end_later(client, make, world, new_campaign):
    campaign = new_campaign(world.organizer)
    later = datetime.fromisoformat(campaign["ends_at"]) + timedelta(days=300)

    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"ends_at": iso(later)},
                            headers=make.headers(world.organizer))

    assert (response.status_code, error_code(response)) == (409, "campaign_end_not_extendable")
    stored = client.get(f"/api/v1/campaigns/{campaign['id']}",
                        headers=make.headers(world.organizer)).get_json()
    assert stored["ends_at"] == campaign["ends_at"]


def test_a_started_campaign_cannot_end_before_now(client, make, world, new_campaign, clock):
    campaign = new_campaign(world.organizer)
    past = clock.now() - timedelta(minutes=10)

    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"ends_at": iso(past)},
                            headers=make.headers(world.organizer))

    assert response.status_code == 422
    assert "ends_at" in response.get_json()["error"]["details"]


def test_a_campaign_may_start_at_most_an_hour_in_the_past(client, make, world, clock):
    clock.freeze()

    two_hours = client.post("/api/v1/campaigns", json=campaign_body(
        clock.now(), starts_in=timedelta(hours=-2)), headers=make.headers(world.organizer))
    half_hour = client.post("/api/v1/campaigns", json=campaign_body(
        clock.now(), starts_in=timedelta(minutes=-30)), headers=make.headers(world.organizer))

    assert (two_hours.status_code, error_code(two_hours)) == (422, "campaign_starts_in_past")
    assert "starts_at" in two_hours.get_json()["error"]["details"]
    assert half_hour.status_code == 201


def test_a_campaign_lasts_at_most_92_days(client, make, world, new_campaign, clock):
    too_long = client.post("/api/v1/campaigns", json=campaign_body(
        clock.now(), starts_in=timedelta(days=1), lasts=timedelta(days=93)),
        headers=make.headers(world.organizer))
    upcoming = new_campaign(world.organizer, starts_in=timedelta(days=1),
                            lasts=timedelta(days=92))
    stretched = client.patch(f"/api/v1/campaigns/{upcoming['id']}", json={
        "ends_at": iso(datetime.fromisoformat(upcoming["ends_at"]) + timedelta(days=1))},
        headers=make.headers(world.organizer))

    assert (too_long.status_code, error_code(too_long)) == (422, "campaign_too_long")
    assert (stretched.status_code, error_code(stretched)) == (422, "campaign_too_long")


def test_window_messages_are_english_on_request(client, make, world, new_campaign):
    campaign = new_campaign(world.organizer)
    later = datetime.fromisoformat(campaign["ends_at"]) + timedelta(days=1)

    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"ends_at": iso(later)},
                            headers=make.headers(world.organizer, **{"Accept-Language": "en"}))

    assert response.get_json()["error"]["message"].startswith("The campaign has started")


# --- guessing check-in codes ---------------------------------------------------------------

def test_repeated_wrong_checkin_codes_are_refused_with_429(client, make, world, new_campaign,
                                                           new_event, session, clock):
    clock.freeze()  # limits count in windows of the clock: stopped, none is straddled
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"], points=10)

    wrong = [checkin(client, make, world.staff, f"WRONG{n:03d}").status_code for n in range(10)]
    right = checkin(client, make, world.staff, event["checkin_code"])

    assert wrong == [404] * 10
    assert (right.status_code, error_code(right)) == (429, "rate_limited")
    assert int(right.headers["Retry-After"]) > 0
    assert account_of(session, world.staff.id) == (0, 0)
