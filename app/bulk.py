"""Many new rows into one table at once, for seeding: COPY on PostgreSQL, executemany on SQLite.

SQLAlchemy's multi-row INSERT on PostgreSQL builds one statement per page of rows, and
psycopg rewrites every page's placeholders in Python: for the demo's tens of thousands of
rows that rewriting costs more than the database's own work. COPY sends the rows as data.
"""

from __future__ import annotations

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys, column names) into `table`."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` fresh ids of `table`'s id sequence (PostgreSQL), ascending."""
    return sorted(session.scalars(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": count}))
