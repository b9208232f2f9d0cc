"""Fixtures: a real SQLite or PostgreSQL database built by the migrations, a real Redis.

`TEST_DATABASE` picks the engine (tests/run_all.py runs both). Each run gets its own
PostgreSQL database and Redis key prefix, so runs never see each other's data.

Isolation (the "joining a Session into an external transaction" recipe): each test runs
inside one outer transaction on one connection, and the test's `session`, the factories
and the app's `db.session` (requests, CLI, services under `app.app_context()`) all join it
with `join_transaction_mode="create_savepoint"`: their commits release savepoints, and
the outer transaction is rolled back after the test. Tests marked `concurrency` (several
threads or processes) or `commits` (they count the app's statements, or read through another
connection) commit for real, and every table is emptied after them.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from flask import current_app, has_app_context
from sqlalchemy import create_engine, event, text
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


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "commits: commits for real (no outer transaction), for a test that counts the"
        " app's statements or reads through another connection; tables emptied after")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
        return
    name = f"lc_test_{RUN_ID}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # A throwaway database: a commit need not wait for the disk.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
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
    from app.config import engine_options, normalise_database_url
    from app.extensions import db

    url = normalise_database_url(database_url)
    # The concurrency tests queue a few hundred requests on one pool: on a loaded CI machine
    # a request may wait longer than production's fail-fast 5 s for a connection.
    application = create_app({"SQLALCHEMY_ENGINE_OPTIONS": {**engine_options(url),
                                                             "pool_timeout": 60}}
                             if url.startswith("postgresql") else None)
    # When a test hands the app a connection in an outer transaction (SharedTransaction), the
    # app's sessions commit and roll back savepoints on it, never the outer transaction.
    db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    with application.app_context():
        upgrade()
        if db.engine.dialect.name == "sqlite":
            # A throwaway database: a commit need not wait for the disk.
            event.listen(db.engine, "connect", _sqlite_without_fsync)
            db.engine.dispose()
    return application


def _sqlite_without_fsync(dbapi_connection, _record):
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session")
def engine(app, database_url):
    """A plain engine for checks from outside the app (SQLite: deferred, so reads take no lock)."""
    from app.config import engine_options, normalise_database_url

    url = normalise_database_url(database_url)
    eng = create_engine(url, **engine_options(url))
    yield eng
    eng.dispose()


def commits_for_real(request) -> bool:
    node = request.node
    return bool(node.get_closest_marker("concurrency") or node.get_closest_marker("commits"))


class SharedTransaction:
    """One connection in an outer transaction that the app and the test's sessions join."""

    def __init__(self, app):
        from flask_sqlalchemy.session import Session as AppSession

        from app import ratelimit
        from app.extensions import db

        with app.app_context():
            self.engine = db.engine
        self.connection = self.engine.connect()
        self.outer = self.connection.begin()
        self.test_sessions: list[Session] = []
        self.joined_apps: list = []
        # The app's sessions choose their bind in flask-sqlalchemy's get_bind: a joined app's
        # go to the shared connection, while `db.engine` stays the app's own engine.
        self._app_session_class = AppSession
        self._own_get_bind = AppSession.get_bind
        shared = self

        def get_bind(app_session, mapper=None, clause=None, bind=None, **kwargs):
            return shared._app_bind(app_session, mapper, clause, bind, **kwargs)

        AppSession.get_bind = get_bind
        # Rate counters commit on a connection of their own; here they count in a savepoint of
        # the outer transaction (another connection would wait for its lock on SQLite), so
        # hits without Redis end with the test like everything else.
        self._ratelimit = ratelimit
        self._own_counter_transaction = ratelimit.counter_transaction
        ratelimit.counter_transaction = self._counter_transaction
        self.join(app)
        event.listen(Session, "after_transaction_create", self._before_app_work)

    def _app_bind(self, app_session, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and has_app_context() and any(
                joined is current_app._get_current_object() for joined in self.joined_apps):
            return self.connection
        return self._own_get_bind(app_session, mapper, clause, bind, **kwargs)

    def join(self, app) -> None:
        """Send `app`'s sessions to the shared connection (an app on this database only)."""
        from app.extensions import db

        with app.app_context():
            if db.engine.url != self.engine.url:
                return
            db.session.remove()
        self.joined_apps.append(app)

    def leave(self, app) -> None:
        """Give a joined app its own engine back."""
        from app.extensions import db

        if any(joined is app for joined in self.joined_apps):
            with app.app_context():
                db.session.remove()
            self.joined_apps = [joined for joined in self.joined_apps if joined is not app]

    def session(self) -> Session:
        session = Session(bind=self.connection, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)
        self.test_sessions.append(session)
        return session

    def _before_app_work(self, session: Session, transaction) -> None:
        # Committed work of a request must survive a later `session.rollback()` of the test,
        # as it would with real commits: so a test session holding only reads ends its
        # savepoint before an app session opens one (never nested inside it).
        if transaction.parent is not None or session in self.test_sessions:
            return
        for test_session in self.test_sessions:
            if test_session.in_transaction() and not (
                    test_session.new or test_session.dirty or test_session.deleted):
                test_session.commit()

    @contextmanager
    def _counter_transaction(self):
        with self.connection.begin_nested():
            yield self.connection

    def close(self) -> None:
        self._ratelimit.counter_transaction = self._own_counter_transaction
        event.remove(Session, "after_transaction_create", self._before_app_work)
        for session in self.test_sessions:
            session.close()
        for app in list(self.joined_apps):
            self.leave(app)
        self._app_session_class.get_bind = self._own_get_bind
        self.outer.rollback()
        self.connection.close()


@pytest.fixture
def shared_transaction(request, app):
    """The test's outer transaction, or None for a test that commits for real."""
    if commits_for_real(request):
        yield None
        return
    shared = SharedTransaction(app)
    yield shared
    shared.close()


@pytest.fixture
def session(app, engine, shared_transaction):
    """The test's own session; `session.info["clock"]` is the app's clock (`now_of`)."""
    if shared_transaction is not None:
        s = shared_transaction.session()
        s.info["clock"] = app.extensions["clock"]
        yield s
        return
    with Session(engine, expire_on_commit=False, info={"clock": app.extensions["clock"]}) as s:
        yield s
        s.rollback()


@pytest.fixture
def make_app(app, shared_transaction):
    """create_app() with overrides, for tests that must not touch the shared app.

    It keeps the test's clock; on the test database it joins the test's outer transaction,
    so it sees the test's rows.
    """
    from app import create_app
    from app.extensions import db

    created = []

    def build(overrides: dict | None = None):
        application = create_app(overrides)
        application.extensions["clock"] = app.extensions["clock"]
        created.append(application)
        if shared_transaction is not None:
            shared_transaction.join(application)
        return application

    yield build
    for application in created:
        if shared_transaction is not None:
            shared_transaction.leave(application)
        with application.app_context():
            db.engine.dispose()


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
    """Start the clock at TEST_NOW; afterwards undo the test's rows and our Redis keys."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    shared = request.getfixturevalue("shared_transaction")
    engine = request.getfixturevalue("engine")
    from app.clock import parse_instant

    app.extensions["clock"].set(parse_instant(TEST_NOW) if TEST_NOW else None)
    yield
    if shared is None:
        _empty_tables(engine)
    _clear_caches(app, engine)


def _empty_tables(engine) -> None:
    from app.extensions import db

    with engine.begin() as conn:
        # DELETE rather than TRUNCATE: on PostgreSQL a TRUNCATE of every table costs ~0.5 s
        # a test, DELETE of a few rows ~10 ms.
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))


def _clear_caches(app, engine) -> None:
    if engine.dialect.name == "postgresql":
        # Sequences ignore rollbacks: ids restart at 1 for every test, as on SQLite.
        with engine.begin() as conn:
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
