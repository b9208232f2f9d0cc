"""Optional step past one primary's comfort: activities and the ledger partitioned by month.

PostgreSQL declarative partitioning (RANGE by month: activities on `local_date`, the ledger
on `created_at`), with a DEFAULT partition so no insert can ever fail for want of a month.
On SQLite every function here does nothing.

Why optional, not in the migration chain (SCALING.md): a unique key of a partitioned table
must contain the partition key, so `activities (user_id, client_id)` and
`ledger_entries (source_type, source_id)`, on which replays and exactly-once credits rest,
cannot stay plain unique constraints. Here each moves to a small key table filled by a
trigger in the same transaction (`activity_client_ids`, `ledger_sources`): a repeat still
fails with unique_violation, which the services already map to "answer the original". That
changes how two core invariants are enforced, rewrites the two largest tables under an
exclusive lock, drops the foreign keys that point at `activities.id` alone
(`activity_reviews.activity_id`: a partitioned table's `id` cannot be referenced without its
month), and needs a monthly job (`flask partitions-ahead`); an operator chooses it,
with a maintenance window, when one primary's tables grow too large.

`flask partition-by-month` converts; `flask partitions-ahead --months 3` (monthly, from a
timer) adds the coming months so rows never land in the DEFAULT partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import Connection, text


@dataclass(frozen=True)
class MonthlyTable:
    name: str
    key: str  # partition key column
    key_is_date: bool  # date (a local day) or timestamptz (UTC month bounds)
    unique_name: str  # the unique constraint that becomes a key table
    unique_columns: tuple[str, str]
    key_table: str


TABLES = (
    MonthlyTable("activities", "local_date", True, "uq_activities_user_id_client_id",
                 ("user_id", "client_id"), "activity_client_ids"),
    MonthlyTable("ledger_entries", "created_at", False,
                 "uq_ledger_entries_source_type_source_id", ("source_type", "source_id"),
                 "ledger_sources"),
)


def _month(day: date, offset: int = 0) -> date:
    months = day.year * 12 + day.month - 1 + offset
    return date(months // 12, months % 12 + 1, 1)


def _month_of(value: date | datetime) -> date:
    """The first day of a key's month (a timestamp's month in UTC, as the bounds are)."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
    return _month(value)


def _bound(table: MonthlyTable, month: date) -> str:
    return f"'{month.isoformat()}'" if table.key_is_date else f"'{month.isoformat()} 00:00+00'"


def is_partitioned(conn: Connection, table: str) -> bool:
    return bool(conn.scalar(text(
        "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = :name AND c.relnamespace = current_schema()::regnamespace"),
        {"name": table}))


def _add_month(conn: Connection, table: MonthlyTable, month: date) -> bool:
    name = f"{table.name}_{month:%Y_%m}"
    exists = conn.scalar(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name})
    if exists:
        return False
    conn.execute(text(
        f"CREATE TABLE {name} PARTITION OF {table.name} FOR VALUES FROM "
        f"({_bound(table, month)}) TO ({_bound(table, _month(month, 1))})"))
    return True


def partitions_ahead(conn: Connection, today: date, months: int) -> list[str]:
    """Create the partitions of this month and the next `months` (idempotent)."""
    if conn.dialect.name != "postgresql":
        return []
    created = []
    for table in TABLES:
        if not is_partitioned(conn, table.name):
            continue
        for offset in range(months + 1):
            month = _month(today, offset)
            if _add_month(conn, table, month):
                created.append(f"{table.name}_{month:%Y_%m}")
    return created


def _convert(conn: Connection, table: MonthlyTable, today: date, months_ahead: int) -> None:
    t, key = table.name, table.key
    a, b = table.unique_columns
    foreign_keys = conn.execute(text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"), {"t": t}).all()
    indexes = conn.scalars(text(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = :t AND indexname NOT IN (:pk, :uq)"),
        {"t": t, "pk": f"pk_{t}", "uq": table.unique_name}).all()
    # A foreign key to `id` alone (activity_reviews.activity_id) cannot point at a
    # partitioned table, whose unique keys must hold the partition key: dropped, and named.
    incoming = conn.execute(text(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE confrelid = CAST(:t AS regclass) AND contype = 'f'"), {"t": t}).all()
    for referencing, name in incoming:
        conn.execute(text(f"ALTER TABLE {referencing} DROP CONSTRAINT {name}"))
    sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": t})
    first, last = conn.execute(text(f"SELECT min({key}), max({key}) FROM {t}")).one()
    conn.execute(text(f"CREATE TABLE {t}_partitioned (LIKE {t} INCLUDING DEFAULTS "
                      f"INCLUDING CONSTRAINTS) PARTITION BY RANGE ({key})"))
    conn.execute(text(f"ALTER TABLE {t} RENAME TO {t}_unpartitioned"))
    conn.execute(text(f"ALTER TABLE {t}_partitioned RENAME TO {t}"))
    month = _month_of(first) if first is not None else _month(today)
    end = _month(max(_month_of(last), _month(today)) if last is not None else today,
                 months_ahead)
    while month <= end:
        _add_month(conn, table, month)
        month = _month(month, 1)
    conn.execute(text(f"CREATE TABLE {t}_default PARTITION OF {t} DEFAULT"))
    conn.execute(text(f"INSERT INTO {t} SELECT * FROM {t}_unpartitioned"))
    conn.execute(text(f"ALTER SEQUENCE {sequence} OWNED BY {t}.id"))
    conn.execute(text(f"DROP TABLE {t}_unpartitioned"))
    conn.execute(text(f"ALTER TABLE {t} ADD CONSTRAINT pk_{t} PRIMARY KEY (id, {key})"))
    for name, definition in foreign_keys:
        conn.execute(text(f"ALTER TABLE {t} ADD CONSTRAINT {name} {definition}"))
    for definition in indexes:
        conn.execute(text(definition))
    conn.execute(text(f"CREATE INDEX ix_{t}_{a}_{b} ON {t} ({a}, {b})"))
    _key_table(conn, table)


def _key_table(conn: Connection, table: MonthlyTable) -> None:
    """The unique key kept outside the partitions, claimed by a trigger on every insert."""
    t, k = table.name, table.key_table
    a, b = table.unique_columns
    conn.execute(text(f"CREATE TABLE {k} AS SELECT {a}, {b} FROM {t} WHERE {b} IS NOT NULL"))
    conn.execute(text(f"ALTER TABLE {k} ADD CONSTRAINT pk_{k} PRIMARY KEY ({a}, {b})"))
    conn.execute(text(f"""
        CREATE FUNCTION {k}_claim() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- a repeat raises unique_violation here, as the old unique constraint did
            INSERT INTO {k} ({a}, {b}) VALUES (NEW.{a}, NEW.{b});
            RETURN NEW;
        END $$"""))
    conn.execute(text(f"""
        CREATE FUNCTION {k}_release() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM {k} WHERE {a} = OLD.{a} AND {b} = OLD.{b};
            RETURN OLD;
        END $$"""))
    conn.execute(text(f"CREATE TRIGGER {k}_claim BEFORE INSERT ON {t} FOR EACH ROW "
                      f"WHEN (NEW.{b} IS NOT NULL) EXECUTE FUNCTION {k}_claim()"))
    conn.execute(text(f"CREATE TRIGGER {k}_release AFTER DELETE ON {t} FOR EACH ROW "
                      f"WHEN (OLD.{b} IS NOT NULL) EXECUTE FUNCTION {k}_release()"))


def partition_by_month(conn: Connection, today: date, months_ahead: int = 3) -> list[str]:
    """Convert activities and ledger_entries (not yet partitioned) in this transaction;
    the names of the tables converted. Holds an exclusive lock on both while it copies."""
    if conn.dialect.name != "postgresql":
        return []
    converted = []
    for table in TABLES:
        if is_partitioned(conn, table.name):
            continue
        conn.execute(text(f"LOCK TABLE {table.name} IN ACCESS EXCLUSIVE MODE"))
        _convert(conn, table, today, months_ahead)
        converted.append(table.name)
    return converted


@click.command("partition-by-month")
@click.option("--months-ahead", default=3, show_default=True)
@with_appcontext
def partition_by_month_command(months_ahead: int) -> None:
    """Optional (SCALING.md): activities and ledger_entries partitioned by month."""
    from app.clock import now_utc
    from app.extensions import db

    with db.engine.begin() as conn:
        converted = partition_by_month(conn, now_utc().date(), months_ahead)
    click.echo(f"partitioned: {', '.join(converted) or 'nothing to do'}")


@click.command("partitions-ahead")
@click.option("--months", default=3, show_default=True)
@with_appcontext
def partitions_ahead_command(months: int) -> None:
    """Create the coming months' partitions (run monthly after partition-by-month)."""
    from app.clock import now_utc
    from app.extensions import db

    with db.engine.begin() as conn:
        created = partitions_ahead(conn, now_utc().date(), months)
    click.echo(f"created: {', '.join(created) or 'none needed'}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(partition_by_month_command)
    app.cli.add_command(partitions_ahead_command)
