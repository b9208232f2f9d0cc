"""The optional monthly partitioning of activities and the ledger (app/partitioning.py).

On PostgreSQL a database of its own is migrated, filled through the API, partitioned, and
used again: rows kept, ids continuing, replays and exactly-once credits still exact, the
SQL invariants of the drills holding. On SQLite the step does nothing.
"""

from __future__ import annotations

import uuid
from datetime import date

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.partitioning import partition_by_month, partitions_ahead
from bench.drill_checks import sql_invariants
from tests.conftest import PG_ADMIN_URL, RUN_ID, TEST_DATABASE

postgres_only = pytest.mark.skipif(TEST_DATABASE != "postgresql",
                                   reason="declarative partitioning is PostgreSQL's")


def test_on_sqlite_it_changes_nothing(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("the SQLite run checks the no-op")
    with engine.begin() as conn:
        assert partition_by_month(conn, date(2026, 12, 4)) == []
        assert partitions_ahead(conn, date(2026, 12, 4), 3) == []


@pytest.fixture
def scratch(app):
    """An app on a freshly migrated PostgreSQL database of its own (no Redis)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import engine_options, normalise_database_url
    from app.extensions import db

    name = f"lc_part_{RUN_ID}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    plain_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    url = normalise_database_url(plain_url)
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                              "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)})
    with application.app_context():
        upgrade()
    engine = create_engine(url)
    yield application, engine, plain_url
    engine.dispose()
    with application.app_context():
        db.engine.dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def log(client, headers, client_id: str):
    return client.post("/api/v1/activities", headers=headers,
                       json={"type": "metro", "quantity": "12", "client_id": client_id})


@postgres_only
def test_partitioning_keeps_rows_ids_replays_and_credits(scratch, clock):
    from tests.factories import Factory

    application, engine, plain_url = scratch
    with Session(engine, expire_on_commit=False) as session:
        make = Factory(session, application)
        org = make.org()
        user = make.user(org, make.team(org))
        headers = make.headers(user)
    client = application.test_client()
    before = [log(client, headers, f"before-{n}").get_json() for n in range(3)]

    with engine.begin() as conn:
        assert partition_by_month(conn, clock.now().date()) == ["activities", "ledger_entries"]
    with engine.begin() as conn:
        assert partition_by_month(conn, clock.now().date()) == []  # once only
        logged_on = conn.scalar(text("SELECT min(local_date) FROM activities"))
        month = f"activities_{logged_on:%Y_%m}"
        assert conn.scalar(text("SELECT count(*) FROM pg_inherits i JOIN pg_class c "
                                "ON c.oid = i.inhrelid WHERE c.relname = :m"), {"m": month}) == 1

    replay = log(client, headers, "before-1")
    assert replay.status_code == 201
    assert replay.get_json()["id"] == before[1]["id"]  # the key table still finds repeats
    after = log(client, headers, f"after-{uuid.uuid4().hex}")
    assert after.status_code == 201
    assert after.get_json()["id"] > max(b["id"] for b in before)  # the id sequence went along
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM activities")) == 4
        assert conn.scalar(text("SELECT count(*) FROM ledger_entries")) == 4
        assert conn.scalar(text("SELECT count(*) FROM activity_client_ids")) == 4
    assert [c.name for c in sql_invariants(plain_url) if not c.passed] == []


@postgres_only
def test_a_repeated_source_is_refused_by_the_key_table(scratch, clock):
    from sqlalchemy.exc import IntegrityError

    from tests.factories import Factory

    application, engine, _ = scratch
    with Session(engine) as session:
        user_id = Factory(session, application).user().id
    with engine.begin() as conn:
        partition_by_month(conn, clock.now().date())
    insert = text("""INSERT INTO ledger_entries (user_id, delta, kind, source_type, source_id,
                     balance_after, created_at) VALUES (:u, 5, 'earn', 'test', 'one', 5, now())""")
    with engine.begin() as conn:
        conn.execute(insert, {"u": user_id})
    with pytest.raises(IntegrityError, match="pk_ledger_sources"), engine.begin() as conn:
        conn.execute(insert, {"u": user_id})


@postgres_only
def test_partitions_ahead_adds_only_missing_months(scratch):
    _application, engine, _ = scratch
    with engine.begin() as conn:
        partition_by_month(conn, date(2026, 11, 15), months_ahead=1)
    with engine.begin() as conn:
        created = partitions_ahead(conn, date(2026, 12, 2), 2)
    assert created == ["activities_2027_01", "activities_2027_02",
                       "ledger_entries_2027_01", "ledger_entries_2027_02"]
    with engine.begin() as conn:
        assert partitions_ahead(conn, date(2026, 12, 2), 2) == []
