"""Report cost against history size: SQL statements and time of GET /reports/orgs/{id}.

.venv/bin/python -m bench.report_scaling   (PostgreSQL database `report_scaling`, dropped and
created on BENCH_PG_URL's server; no Redis)

Seeds 10 organisations of 200 people, then 10,000 and later 1,000,000 activities over two
years with bulk SQL (INSERT ... SELECT generate_series, an `earn` ledger entry for each),
rebuilds the report rollups from them (what `flask rollups rebuild` runs), and prints, for
each size, the statements one report issues and the median of 20 calls through the test
client. The report reads only the rollups, so the statement count must not change.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import psycopg

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE = "report_scaling"
ORGS, PEOPLE_PER_ORG, TEAMS_PER_ORG = 10, 200, 10
TYPES = ("walk", "cycle", "bus", "metro", "duplex_print")

SEED_ACTIVITIES = """
INSERT INTO activities (user_id, org_id, team_id, type, quantity, credited_quantity,
    occurred_at, local_date, region, factor_version, per_unit_saved_g, co2e_saved_g, points,
    capped, status, multiplier, created_at)
SELECT u.id, u.org_id, u.team_id, (ARRAY{types})[1 + g % {type_count}], 3, 3,
       d::timestamp AT TIME ZONE 'UTC', d, 'beijing', 'bth-2025.1', 50,
       100 + g % 977, (100 + g % 977) / 10, false, 'accepted', 1,
       d::timestamp AT TIME ZONE 'UTC'
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
JOIN users u ON u.id = CAST(:first_user AS integer) + g % CAST(:people AS integer)
CROSS JOIN LATERAL (SELECT date '2025-01-01' + (g % 730) AS d) AS day
"""
SEED_LEDGER = """
INSERT INTO ledger_entries (user_id, org_id, team_id, delta, kind, source_type, source_id,
    balance_after, created_at)
SELECT user_id, org_id, team_id, points, 'earn', 'activity', id::text, 0, created_at
FROM activities WHERE id > :after
"""


def environment() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    os.environ.update({"APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-long-enough-for-hs256",
                       "DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + "/" + DATABASE,
                       "LEADERBOARD_RECONCILE_SECONDS": "0"})
    os.environ.pop("REDIS_URL", None)


def seed_people(db) -> tuple[int, int]:
    """Organisations, teams and people; answers (first user id, the admin's id) of org 1."""
    from app.models import Organisation, Team, User

    orgs = [Organisation(name=f"基准单位{n}", region="beijing", sector="government",
                         headcount=PEOPLE_PER_ORG + 50, floor_area_m2=0) for n in range(ORGS)]
    db.session.add_all(orgs)
    db.session.flush()
    teams = [Team(org_id=org.id, name=f"处室{n}") for org in orgs for n in range(TEAMS_PER_ORG)]
    db.session.add_all(teams)
    db.session.flush()
    people = [User(username=f"s{n}", display_name=f"员工{n}", org_id=teams[n % len(teams)].org_id,
                   team_id=teams[n % len(teams)].id) for n in range(ORGS * PEOPLE_PER_ORG)]
    db.session.add_all(people)
    admin = User(username="bench-admin", display_name="管理员", org_id=orgs[0].id, role="admin")
    db.session.add(admin)
    db.session.commit()
    return people[0].id, admin.id


def add_activities(db, first: int, last: int, first_user: int) -> float:
    """Activities numbered first..last and their ledger entries; answers seconds taken."""
    from sqlalchemy import func, select, text

    from activities.models import Activity

    started = time.perf_counter()
    before = db.session.scalar(select(func.coalesce(func.max(Activity.id), 0)))
    types = "[" + ", ".join(f"'{t}'" for t in TYPES) + "]"
    db.session.execute(text(SEED_ACTIVITIES.format(types=types, type_count=len(TYPES))),
                       {"first": first, "last": last, "first_user": first_user,
                        "people": ORGS * PEOPLE_PER_ORG})
    db.session.execute(text(SEED_LEDGER), {"after": before})
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    return time.perf_counter() - started


def rebuild(db) -> float:
    """Every organisation's rollups from its activities and ledger (`flask rollups rebuild`)."""
    from sqlalchemy import select

    from activities.rollups import rebuild_activity_rollups
    from app.models import Organisation
    from points.org_points import rebuild_org_points

    started = time.perf_counter()
    for org_id, timezone in db.session.execute(select(Organisation.id, Organisation.timezone)):
        rebuild_activity_rollups(db.session, org_id)
        rebuild_org_points(db.session, org_id, timezone)
    db.session.commit()
    return time.perf_counter() - started


def raw_total_g(db, org_id: int) -> int:
    """The org's 2026 grams summed from the raw activities: what the report must say."""
    from datetime import date

    from sqlalchemy import func, select

    from activities.models import Activity

    return int(db.session.scalar(select(func.coalesce(func.sum(Activity.co2e_saved_g), 0)).where(
        Activity.org_id == org_id, Activity.status == "accepted",
        Activity.local_date >= date(2026, 1, 1), Activity.local_date < date(2027, 1, 1))))


def measure(app, db, client, url: str, headers: dict, calls: int) -> tuple[int, float, dict]:
    """Statements of one report, the median milliseconds of `calls`, and the report itself."""
    from sqlalchemy import event

    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        assert client.get(url, headers=headers).status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    return len(statements), statistics.median(times), response.get_json()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,1000000",
                        help="total activities at each measurement, increasing")
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    environment()
    from flask_migrate import upgrade

    from app import create_app
    from app.auth import issue_access_token, token_settings
    from app.clock import now_utc
    from app.extensions import db
    from app.models import User

    app = create_app()
    with app.app_context():
        upgrade()
        first_user, admin_id = seed_people(db)
        admin = db.session.get(User, admin_id)
        headers = {"Authorization": "Bearer " + issue_access_token(
            admin, token_settings(app.config), now_utc())}
        url = f"/api/v1/reports/orgs/{admin.org_id}?year=2026"
        db.session.expunge(admin)
    client = app.test_client()
    seeded, counts = 0, []
    for size in (int(s) for s in args.sizes.split(",")):
        with app.app_context():
            seed_s = add_activities(db, seeded + 1, size, first_user)
            rebuild_s = rebuild(db)
            expected_g = raw_total_g(db, admin.org_id)
        seeded = size
        statements, median_ms, report = measure(app, db, client, url, headers, args.calls)
        counts.append(statements)
        assert report["totals"]["co2e_saved_kg"] == expected_g / 1000, "report != raw activities"
        print(f"{size:>9,} activities: seeded in {seed_s:5.1f} s, rollups rebuilt in "
              f"{rebuild_s:5.1f} s; report: {statements} SQL statements, median "
              f"{median_ms:6.2f} ms of {args.calls} calls (org 1: "
              f"{report['totals']['co2e_saved_kg']} kg in 2026, as the raw activities)",
              flush=True)
    print("same statement count at every size:", len(set(counts)) == 1)


if __name__ == "__main__":
    main()
