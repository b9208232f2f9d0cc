"""Declarative base, shared column types and the SQLite transaction recipe."""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

from app.i18n import FieldMessage

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# The years the service takes in dates, times and cursors: near year 1 or 9999 the time zone
# arithmetic of local days, weeks and months overflows.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
OUT_OF_RANGE_MESSAGE = FieldMessage("year_out_of_range", earliest=EARLIEST_YEAR, latest=LATEST_YEAR)


def year_supported(moment: date) -> bool:
    """`moment` (a date or datetime) falls in the years the service takes."""
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR


MAX_ID = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL)


class IdConverter(IntegerConverter):
    """`<int:...>` in a route: a number no id column can hold matches no route (404, not 500);
    so do digits of other scripts (werkzeug's `\\d` matches `１２` and `١٢`)."""

    regex = r"[0-9]+"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite transactions take the write lock up front (BEGIN IMMEDIATE).

    pysqlite's own deferred BEGIN lets two writers both read and then collide on
    upgrade ("database is locked"); an immediate transaction queues them on the
    busy timeout instead, which is what keeps stock and balances exact.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
