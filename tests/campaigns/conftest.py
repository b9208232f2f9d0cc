"""An organisation with an organizer, an admin and staff, a second organisation, and helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest


@dataclass
class World:
    org: object
    team: object
    organizer: object
    admin: object
    staff: object
    other_org: object
    other_organizer: object
    other_staff: object
    superadmin: object


@pytest.fixture
def world(make):
    org = make.org(name="北京市测试局", headcount=40)
    team = make.team(org, "办公室")
    other = make.org(name="天津市测试中学", region="tianjin", sector="school")
    other_team = make.team(other, "教务处")
    return World(org=org, team=team, organizer=make.user(org, team, role="organizer"),
                 admin=make.user(org, team, role="admin"), staff=make.user(org, team),
                 other_org=other, other_organizer=make.user(other, other_team, role="organizer"),
                 other_staff=make.user(other, other_team),
                 superadmin=make.user(None, None, role="superadmin"))


def iso(moment: datetime) -> str:
    return moment.isoformat()


def campaign_body(now: datetime, starts_in: timedelta = timedelta(hours=-1),
                  lasts: timedelta = timedelta(days=7), **fields) -> dict:
    start = now + starts_in
    return {"name": "节能宣传周", "description": "全国节能宣传周", "starts_at": iso(start),
            "ends_at": iso(start + lasts), "multiplier": 2, **fields}


@pytest.fixture
def new_campaign(client, make, clock):
    """new_campaign(actor, **body fields) -> the created campaign's JSON (asserts 201).

    A campaign starting more than an hour back is created as of its start (creation may
    start one at most an hour in the past), the clock then moved back to now.
    """

    def create(actor, **fields):
        body = campaign_body(clock.now(), **fields)
        back = max(timedelta(0), clock.now() - datetime.fromisoformat(body["starts_at"]))
        clock.advance(-back)
        try:
            response = client.post("/api/v1/campaigns", json=body, headers={
                "Authorization": f"Bearer {make.token(actor, clock.now())}"})
        finally:
            clock.advance(back)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create


@pytest.fixture
def new_event(clock, client, make):
    """new_event(actor, campaign_id, opens_in=-10 min, lasts=1 h, points=10, max_checkins=50)."""

    def create(actor, campaign_id, opens_in=timedelta(minutes=-10), lasts=timedelta(hours=1),
               points=10, max_checkins=50):
        start = clock.now() + opens_in
        response = client.post(f"/api/v1/campaigns/{campaign_id}/events", json={
            "name": "开放日", "starts_at": iso(start), "ends_at": iso(start + lasts),
            "points": points, "max_checkins": max_checkins}, headers=make.headers(actor))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create
