"""What `flask seed-demo` leaves: a region whose history, campaigns, books and rollups hold.

The demo is seeded once per run, into a database of its own: seeding takes most of a minute
on PostgreSQL, and these tests only read it (or re-run commands that must change nothing).
It is seeded at one frozen instant (`DemoRegion.seeded_at`): TEST_NOW, or now, moved a week
on in the first week of January so that "this year so far" holds whole days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from activities.models import Activity
from app.models import User
from campaigns.models import Campaign, CampaignEvent
from points.models import DailyContribution, LedgerEntry, OrgDailyPoints, Redemption
from tests.activities.rollup_checks import expected_rollups, held_rollups
from tests.conftest import PG_ADMIN_URL, RUN_ID, TEST_DATABASE, TEST_NOW
from tests.factories import Factory, now_of
from tests.points.helpers import invariant_violations

# Three weeks of logged days reach back past the demo's last publicity week.
LOGGED_DAYS = 21
GROWTH_SPAN = timedelta(days=7)
SHANGHAI = ZoneInfo("Asia/Shanghai")  # every demo institution's time zone


@dataclass
class DemoRegion:
    app: Flask
    engine: Engine
    seeded_at: datetime
    output: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False,
                     info={"clock": self.app.extensions["clock"]}) as session:
            yield session

    def invoke(self, *args: str):
        """A `flask` command against the demo database."""
        with self.app.app_context():
            return self.app.test_cli_runner().invoke(args=list(args))


def seeding_instant(start: datetime) -> datetime:
    today = start.astimezone(SHANGHAI).date()
    if today < date(today.year, 1, 1) + GROWTH_SPAN:
        return start + GROWTH_SPAN
    return start


@pytest.fixture(scope="module")
def demo_region(app, tmp_path_factory) -> Iterator[DemoRegion]:
    from flask_migrate import upgrade

    from app import create_app
    from app.clock import parse_instant
    from app.config import engine_options, normalise_database_url
    from app.extensions import db

    name = f"lc_test_{RUN_ID}_demo"
    if TEST_DATABASE == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("demo") / "demo.db")
    else:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    url = normalise_database_url(url)
    demo = create_app({"SQLALCHEMY_DATABASE_URI": url,
                       "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
                       # What is checked here lives in the database; without Redis no
                       # board rebuild competes with the seeding for the cores.
                       "REDIS_URL": None})
    seeded_at = demo.extensions["clock"].freeze(
        seeding_instant(parse_instant(TEST_NOW) if TEST_NOW else app.extensions["clock"].now()))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("activities.demo.DAYS", LOGGED_DAYS)
        with demo.app_context():
            upgrade()
            result = demo.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    engine = create_engine(url, **engine_options(url))
    yield DemoRegion(demo, engine, seeded_at, result.output)
    engine.dispose()
    with demo.app_context():
        db.engine.dispose()
    if TEST_DATABASE != "sqlite":
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def seeded(demo_region):
    with demo_region.session() as session:
        yield session


def test_seed_demo_spans_last_year_with_books_contributions_and_rollups_consistent(demo_region,
                                                                                   seeded):
    """The demo region checked for everything a report or a balance relies on."""
    _every_month_of_last_year_has_activity_and_this_year_grew(seeded)
    _books_balance_and_contributions_equal_the_activities(seeded)
    _rollups_equal_the_raw_rows_and_a_rebuild(demo_region, seeded)
    _people_redeemed_at_the_counter_so_reports_show_points_redeemed(seeded)


def _every_month_of_last_year_has_activity_and_this_year_grew(seeded):
    today = now_of(seeded).astimezone(SHANGHAI).date()  # the demo's days are Shanghai days
    by_day: dict[date, int] = defaultdict(int)
    for day in seeded.scalars(select(Activity.local_date)):
        by_day[day] += 1
    by_month: dict[tuple[int, int], int] = defaultdict(int)
    for day, count in by_day.items():
        by_month[(day.year, day.month)] += count

    assert all(by_month[(today.year - 1, month)] > 0 for month in range(1, 13))
    # The whole days of this year so far against the same dates a year earlier (29 Feb has none).
    start = date(today.year, 1, 1)
    this_year = [start + timedelta(days=n) for n in range((today - start).days)
                 if (start + timedelta(days=n)).strftime("%m%d") != "0229"]
    assert len(this_year) >= GROWTH_SPAN.days - 1
    assert sum(by_day[d] for d in this_year) > sum(
        by_day[d.replace(year=d.year - 1)] for d in this_year)


def _books_balance_and_contributions_equal_the_activities(seeded):
    assert invariant_violations(seeded) == []
    activities = seeded.scalars(select(Activity).where(Activity.status == "accepted")).all()
    earned = {int(e.source_id): e.delta for e in seeded.scalars(
        select(LedgerEntry).where(LedgerEntry.source_type == "activity"))}
    assert {a.id: a.points for a in activities if a.points} == earned
    days: dict = defaultdict(lambda: [0, 0, 0])
    for a in activities:
        totals = days[(a.user_id, a.team_id or 0, a.local_date)]
        totals[0] += a.co2e_saved_g
        totals[1] += a.points
        totals[2] += 1
    for bonus in seeded.scalars(select(LedgerEntry).where(LedgerEntry.source_type == "checkin")):
        # Open-day check-ins add their points to the day, as no activity.
        days[(bonus.user_id, bonus.team_id or 0,
              bonus.created_at.astimezone(SHANGHAI).date())][1] += bonus.delta
    held = {(c.user_id, c.team_key, c.day): [c.co2e_g, c.points, c.entries]
            for c in seeded.scalars(select(DailyContribution))}
    assert held == dict(days)


def _rollups_equal_the_raw_rows_and_a_rebuild(demo_region, seeded):
    maintained = held_rollups(seeded)
    assert maintained == expected_rollups(seeded)

    result = demo_region.invoke("rollups", "rebuild")

    assert result.exit_code == 0, result.output
    assert held_rollups(seeded) == maintained


def _people_redeemed_at_the_counter_so_reports_show_points_redeemed(seeded):
    redemptions = seeded.scalars(select(Redemption)).all()
    assert {r.status for r in redemptions} == {"pending", "fulfilled", "cancelled"}
    spent = sum(r.cost_points for r in redemptions if r.status != "cancelled")
    assert spent > 0
    assert sum(seeded.scalars(select(OrgDailyPoints.redeemed))) == spent


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


def test_seed_demo_logs_believable_activity_through_the_service(demo_region):
    with demo_region.session() as session:
        activities = session.query(Activity).all()
        assert len({a.user_id for a in activities}) > 50
        commute = [a for a in activities if a.type in ("walk", "cycle", "ebike", "bus", "metro",
                                                       "carpool", "ev_commute")]
        assert len(commute) > len(activities) / 2
        assert sum(a.points for a in activities) == sum(
            e.delta for e in session.query(LedgerEntry).filter_by(source_type="activity"))
        assert sum(a.co2e_saved_g for a in activities) == sum(
            d.co2e_g for d in session.query(DailyContribution))
