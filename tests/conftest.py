"""Fixtures: a real SQLite or PostgreSQL database built by the migrations, a real Redis.

`TEST_DATABASE` picks the engine (tests/run_all.py runs both). Each run gets its own
PostgreSQL database and Redis key prefix, so runs never see each other's data.
Tests commit for real; every table is emptied after each test that used the app.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS = os.environ.get("TEST_REDIS", "redis://127.0.0.1:6379/15")
RUN_ID = uuid.uuid4().hex[:10]
IS_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The instant every test starts at (ISO 8601 with offset), e.g. TEST_NOW=2027-01-01T00:00:30+08:00;
# unset: the real time. The clock runs on from there unless a test freezes or moves it.
TEST_NOW = os.environ.get("TEST_NOW") or None


def pytest_report_header(config):
    return (f"database: {TEST_DATABASE}; redis: {TEST_REDIS or 'none'}; run {RUN_ID}; "
            f"clock: {TEST_NOW or 'real time'}")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
        return
    name = f"lc_test_{RUN_ID}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url):
    os.environ.update({
        "APP_ENV": "testing",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "DATABASE_URL": database_url,
        "REDIS_PREFIX": f"lct:{RUN_ID}:",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in production
        "WECHAT_APPID": "wx-test-appid",
        "WECHAT_SECRET": "wx-test-secret",
        "LEADERBOARD_RECONCILE_SECONDS": "0",  # tests drive rebuilds themselves
        "POINTS_EXPIRY_CHECK_SECONDS": "0",  # tests run expiry themselves
    })
    if TEST_REDIS:
        os.environ["REDIS_URL"] = TEST_REDIS
    else:
        os.environ.pop("REDIS_URL", None)
    from flask_migrate import upgrade

    from app import create_app

    application = create_app()
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(scope="session")
def engine(app, database_url):
    """A plain engine for test setup and checks (SQLite: deferred, so reads take no lock)."""
    from app.config import engine_options, normalise_database_url

    url = normalise_database_url(database_url)
    eng = create_engine(url, **engine_options(url))
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s
        s.rollback()


@pytest.fixture
def clock(app):
    """The app's clock: `clock.now()`, `clock.freeze(at)`, `clock.advance(timedelta)`."""
    return app.extensions["clock"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis_gateway(app):
    from app.redis_store import get_gateway

    gateway = get_gateway(app)
    if gateway is None:
        if IS_CI:
            pytest.fail("Redis is required under CI")
        pytest.skip("Redis not available")
    return gateway


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Empty every table (and our Redis keys) after a test that touched the app."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    engine = request.getfixturevalue("engine")
    from app.clock import parse_instant

    app.extensions["clock"].set(parse_instant(TEST_NOW) if TEST_NOW else None)
    yield
    from app.extensions import db

    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        # DELETE rather than TRUNCATE: on PostgreSQL a TRUNCATE of every table costs ~0.5 s
        # a test, DELETE of a few rows ~10 ms. Ids restart as TRUNCATE ... RESTART IDENTITY did.
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n"
                              " ON n.oid = c.relnamespace"
                              " WHERE c.relkind = 'S' AND n.nspname = current_schema()"))
    from app.redis_store import get_gateway

    gateway = get_gateway(app)
    if gateway is not None and gateway.ping():
        keys = list(gateway.client.scan_iter(match=gateway.prefix + "*", count=1000))
        if keys:
            gateway.client.delete(*keys)


@pytest.fixture
def make(session, app):
    from tests.factories import Factory

    return Factory(session, app)
