"""Board figures: rebuild time and read latency with N activities' worth of history.

python -m bench.boards --activities 200000   (PostgreSQL `lc_bench_boards`, Redis db 14)
Prints rebuild seconds and per-read milliseconds from Redis and from SQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

import psycopg

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--reads", type=int, default=300)
    args = parser.parse_args()
    name = "lc_bench_boards"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update({"APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-long-enough-for-hs256",
                       "DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + "/" + name,
                       "REDIS_URL": "redis://127.0.0.1:6379/14", "REDIS_PREFIX": "bench:",
                       "LEADERBOARD_RECONCILE_SECONDS": "0"})
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app import create_app
    from app.auth import issue_access_token, token_settings
    from app.clock import now_utc
    from app.extensions import db
    from app.models import Organisation, Team, User
    from app.redis_store import get_gateway
    from leaderboards.sync import sync_boards
    from points.models import DailyContribution

    app = create_app()
    with app.app_context():
        upgrade()
        gateway = get_gateway(app)
        gateway.client.flushdb()
        orgs = [Organisation(name=f"单位{n}", region="beijing", sector="government",
                             headcount=args.people // 5, floor_area_m2=0) for n in range(5)]
        db.session.add_all(orgs)
        db.session.flush()
        teams = [Team(org_id=orgs[n % 5].id, name=f"团队{n}") for n in range(100)]
        db.session.add_all(teams)
        db.session.flush()
        people = [User(username=f"b{n}", display_name=f"员工{n}", org_id=teams[n % 100].org_id,
                       team_id=teams[n % 100].id) for n in range(args.people)]
        db.session.add_all(people)
        db.session.commit()
        today = now_utc().date()
        rows = [{"user_id": p.id, "org_id": p.org_id, "team_id": p.team_id, "team_key": p.team_id,
                 "day": today - timedelta(days=n // len(people)), "co2e_g": 100 + n % 977,
                 "points": 10 + n % 97, "entries": 1}
                for n, p in ((n, people[n % len(people)]) for n in range(args.activities))]
        for start in range(0, len(rows), 20000):
            db.session.execute(insert(DailyContribution), rows[start:start + 20000])
        db.session.commit()
        started = time.perf_counter()
        report = sync_boards(gateway, db.session, now_utc(), force=True)
        rebuild_s = time.perf_counter() - started
        viewer = people[7]
        token = issue_access_token(viewer, token_settings(app.config), now_utc())
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    results = {}
    for label, ready in (("redis", True), ("sql", False)):
        if not ready:
            gateway.client.delete(gateway.key("lb:ready"))
        for scope in ("users", "teams"):
            times = []
            for _ in range(args.reads):
                t0 = time.perf_counter()
                response = client.get(f"/api/v1/leaderboards/{scope}?period=year", headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            results[f"{scope} from {label}"] = (statistics.median(times),
                                                sorted(times)[int(len(times) * 0.99) - 1])
    print(f"history: {args.activities} activities, {args.people} people, 100 teams, 5 orgs")
    print(f"rebuild: {rebuild_s:.2f} s for {report.boards} boards")
    for label, (p50, p99) in results.items():
        print(f"read {label:<18} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms  (in-process, no HTTP)")


if __name__ == "__main__":
    main()
