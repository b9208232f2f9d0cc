"""`flask seed-demo` seeds campaigns before the activities, so the demo reports have results."""

from __future__ import annotations

from sqlalchemy import func, select

from activities.cli import seed_demo_activities
from activities.models import Activity
from app.models import User
from campaigns.models import Campaign, CampaignEvent
from campaigns.setup import seed_demo_campaigns
from tests.factories import Factory


def test_campaigns_are_seeded_before_the_activities(app):
    seeders = app.extensions["demo_seeders"]
    assert seeders.index(seed_demo_campaigns) < seeders.index(seed_demo_activities)


def test_seed_demo_gives_a_past_campaign_with_results_and_a_running_one(demo_region):
    # "past" and "running" are judged at the instant the demo was seeded (its clock is frozen).
    client = demo_region.app.test_client()
    with demo_region.session() as session:
        make = Factory(session, demo_region.app)
        organizer = session.scalar(select(User).where(User.username == "bj_organizer"))
        week = session.scalar(select(Campaign).where(Campaign.org_id == organizer.org_id,
                                                     Campaign.name == "节能宣传周"))

        response = client.get(f"/api/v1/campaigns/{week.id}/report",
                              headers=make.headers(organizer))

        report = response.get_json()
        assert (response.status_code, report["status"], report["final"]) == (200, "past", True)
        assert report["summary"]["co2e_saved_kg"] > 0
        assert report["summary"]["participants"] > 0
        assert report["points"]["activity_points"] > 0
        assert report["points"]["checkin_points"] > 0
        inside = session.scalars(select(Activity).where(
            Activity.org_id == organizer.org_id, Activity.occurred_at >= week.starts_at,
            Activity.occurred_at < week.ends_at)).all()
        assert inside
        assert {(a.campaign_id, a.multiplier >= 2) for a in inside} == {(week.id, True)}
        running = client.get("/api/v1/campaigns?status=active",
                             headers=make.headers(organizer)).get_json()["items"]
        assert running
        assert session.scalar(select(func.count(CampaignEvent.id)).where(
            CampaignEvent.campaign_id.in_([c["id"] for c in running]))) >= 1

        campaigns = session.scalar(select(func.count(Campaign.id)))
        assert demo_region.invoke("seed-demo").exit_code == 0
        assert session.scalar(select(func.count(Campaign.id))) == campaigns
