"""The demo region (`flask seed-demo`), seeded once per run into a database of its own.

Seeding takes most of a minute on PostgreSQL; the tests that check what it leaves only read
it (and re-run commands that must change nothing), so they share one seeding instead of
paying for three. It is seeded at one frozen instant (`DemoRegion.seeded_at`): TEST_NOW, or
now, moved a week on in the first week of January so that "this year so far" holds whole days.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

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


@pytest.fixture(scope="session")
def demo_region(app, tmp_path_factory) -> Iterator[DemoRegion]:
    from flask_migrate import upgrade

    from app import create_app
    from app.clock import parse_instant
    from app.config import engine_options, normalise_database_url
    from app.extensions import db
    from app.redis_store import get_gateway
    from tests.conftest import PG_ADMIN_URL, RUN_ID, TEST_DATABASE, TEST_NOW

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
                       "REDIS_PREFIX": app.config["REDIS_PREFIX"] + "demo:"})
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
        gateway = get_gateway(demo)
        if gateway is not None and gateway.ping():
            keys = list(gateway.client.scan_iter(match=gateway.prefix + "*", count=1000))
            if keys:
                gateway.client.delete(*keys)
    if TEST_DATABASE != "sqlite":
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
