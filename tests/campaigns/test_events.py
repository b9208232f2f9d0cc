"""Open-day events and check-ins: once per person, inside the window, within capacity."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import ApiError
from campaigns.checkins import check_in
from campaigns.models import CampaignEvent
from points.ledger import account_of, ledger_sum
from points.models import DailyContribution, LedgerEntry


def checkin(client, make, user, code):
    return client.post("/api/v1/checkins", json={"code": code}, headers=make.headers(user))


def test_organizer_creates_an_event_with_a_checkin_code(world, new_campaign, new_event):
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"], points=15, max_checkins=20)
    assert len(event["checkin_code"]) == 8
    assert (event["points"], event["max_checkins"], event["checkins"]) == (15, 20, 0)


def test_staff_may_not_create_an_event(client, make, world, new_campaign):
    campaign = new_campaign(world.organizer)
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/events", json={
        "name": "开放日", "starts_at": campaign["starts_at"], "ends_at": campaign["ends_at"],
        "points": 5, "max_checkins": 5}, headers=make.headers(world.staff))
    assert response.status_code == 403


def test_an_event_outside_the_campaign_window_is_refused(clock, client, make, world, new_campaign):
    campaign = new_campaign(world.organizer, lasts=timedelta(days=2))
    start = clock.now() + timedelta(days=5)
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/events", json={
        "name": "开放日", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(), "points": 5, "max_checkins": 5},
        headers=make.headers(world.organizer))
    assert response.status_code == 422


def test_organizer_lists_events_with_their_checkin_codes(client, make, world,
                                                         new_campaign, new_event):
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"])
    listed = client.get(f"/api/v1/campaigns/{campaign['id']}/events",
                        headers=make.headers(world.organizer)).get_json()
    assert [e["checkin_code"] for e in listed] == [event["checkin_code"]]


def test_organizer_gets_the_checkin_code_as_an_svg_qr_image(client, make, world, new_campaign,
                                                             new_event):
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"])
    url = f"/api/v1/campaigns/{campaign['id']}/events/{event['id']}/qr"
    response = client.get(url, headers=make.headers(world.organizer))
    denied = client.get(url, headers=make.headers(world.staff))
    assert response.status_code == 200
    assert response.get_json()["image_svg"].startswith("<svg")
    assert response.get_json()["image_data_uri"].startswith("data:image/svg+xml;base64,")
    assert event["checkin_code"] in response.get_json()["image_svg"]  # its <title>
    assert denied.status_code == 403


def test_checkin_credits_the_event_points_once(client, make, world, session, new_campaign,
                                               new_event):
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"], points=15)
    first = checkin(client, make, world.staff, event["checkin_code"].lower())
    again = checkin(client, make, world.staff, event["checkin_code"])
    assert first.status_code == 201
    assert first.get_json()["points"] == 15
    assert first.get_json()["balance"] == 15
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_checked_in"
    assert account_of(session, world.staff.id) == (15, 15)
    assert ledger_sum(session, world.staff.id) == 15


def test_checkin_points_are_a_bonus_from_the_event_and_are_not_multiplied(
        client, make, world, session, new_campaign, new_event):
    campaign = new_campaign(world.organizer, multiplier=5)
    event = new_event(world.organizer, campaign["id"], points=10)
    checkin(client, make, world.staff, event["checkin_code"])
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == world.staff.id))
    assert (entry.kind, entry.ref, entry.delta) == (
        "bonus", f"checkin:{event['id']}:{world.staff.id}", 10)


def test_checkin_points_move_the_boards(client, make, world, session, new_campaign, new_event):
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"], points=10)
    checkin(client, make, world.staff, event["checkin_code"])
    points = session.scalar(select(func.sum(DailyContribution.points))
                            .where(DailyContribution.user_id == world.staff.id))
    assert points == 10


@pytest.mark.parametrize(("opens_in", "lasts"), [
    (timedelta(hours=2), timedelta(hours=1)),     # not open yet
    (timedelta(hours=-3), timedelta(hours=1)),    # already ended
])
def test_checkin_outside_the_event_window_is_closed(client, make, world, new_campaign, new_event,
                                                    opens_in, lasts):
    campaign = new_campaign(world.organizer, starts_in=timedelta(hours=-5))
    event = new_event(world.organizer, campaign["id"], opens_in=opens_in, lasts=lasts)
    response = checkin(client, make, world.staff, event["checkin_code"])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "event_closed"


def test_another_organisations_code_is_refused_without_revealing_it(
        client, make, world, new_campaign, new_event):
    campaign = new_campaign(world.other_organizer)
    event = new_event(world.other_organizer, campaign["id"])
    response = checkin(client, make, world.staff, event["checkin_code"])
    unknown = checkin(client, make, world.staff, "ZZZZ2345")
    assert response.status_code == 404
    assert response.get_json() == unknown.get_json()


def test_a_region_campaigns_event_is_open_to_every_organisation_of_the_region(
        client, make, world, new_campaign, new_event):
    campaign = new_campaign(world.superadmin, region="beijing")
    event = new_event(world.superadmin, campaign["id"])
    assert checkin(client, make, world.staff, event["checkin_code"]).status_code == 201
    assert checkin(client, make, world.other_staff, event["checkin_code"]).status_code == 404


def test_a_checkin_past_max_checkins_is_refused(client, make, world, session, new_campaign,
                                                new_event):
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"], points=5, max_checkins=2)
    first, second, late = make.users(3, world.org, world.team)
    codes = [checkin(client, make, u, event["checkin_code"]).status_code
             for u in (first, second, late)]
    refused = checkin(client, make, late, event["checkin_code"])
    assert codes == [201, 201, 409]
    assert refused.get_json()["error"]["code"] == "event_full"
    assert account_of(session, late.id) == (0, 0)


def _concurrently(engine, users, code, count, now):
    outcomes, errors = [], []

    def worker(user):
        with Session(engine) as s:
            try:
                check_in(s, user, code, now)
                s.commit()
                outcomes.append("ok")
            except ApiError as exc:
                s.rollback()
                outcomes.append(exc.code)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(users[i % len(users)],))
               for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes, errors


@pytest.mark.concurrency
def test_thirty_concurrent_checkins_by_one_person_credit_once(clock, world, session, engine,
                                                              new_campaign, new_event):
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"], points=10)
    outcomes, errors = _concurrently(engine, [world.staff], event["checkin_code"], 30,
                                    clock.now())
    assert errors == []
    assert sorted(outcomes) == ["already_checked_in"] * 29 + ["ok"]
    assert account_of(session, world.staff.id) == (10, 10)
    assert session.get(CampaignEvent, event["id"]).checkins == 1


@pytest.mark.concurrency
def test_concurrent_checkins_never_pass_max_checkins(make, world, session, engine, new_campaign,
                                                     new_event, clock):
    campaign = new_campaign(world.organizer)
    event = new_event(world.organizer, campaign["id"], points=5, max_checkins=3)
    people = make.users(10, world.org, world.team)
    outcomes, errors = _concurrently(engine, people, event["checkin_code"], 10, clock.now())
    assert errors == []
    assert sorted(outcomes) == ["event_full"] * 7 + ["ok"] * 3
    session.expire_all()
    assert session.get(CampaignEvent, event["id"]).checkins == 3
