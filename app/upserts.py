"""Additive upserts, built once per shape and reused with bound parameters.

`INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n` is how rollups, accounts and
usage rows move. Building one (the `excluded` alias copies every column) costs more
Python than the statement's round trip on the logging path, so each shape is built once
per process and only the values change per call.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def additive_upsert(session: Session, model, *, keys: tuple[str, ...], adds: tuple[str, ...] = (),
                    others: tuple[str, ...] = (), replaces: tuple[str, ...] = (),
                    touches: tuple[str, ...] = (), returning: str | tuple[str, ...] = ()):
    """The statement for `model`'s table; execute it with `params(...)` of the row's values.

    On a conflict on `keys`: `adds` are summed, `replaces` take the new value, `touches`
    keep theirs (the row is locked all the same); `others` are only written on insert.
    Executed with a list of `params(...)`, it is one multi-row statement (and answers a
    `returning` row per row written, keys included if asked).
    """
    if isinstance(returning, str):
        returning = (returning,)
    return _build(session.get_bind().dialect.name, model.__table__, keys, adds, others,
                  replaces, touches, returning)


def params(**values) -> dict:
    """Bound values for an `additive_upsert` statement."""
    return {f"v_{name}": value for name, value in values.items()}


@lru_cache(maxsize=64)
def _build(dialect: str, table: Table, keys: tuple[str, ...], adds: tuple[str, ...],
           others: tuple[str, ...], replaces: tuple[str, ...], touches: tuple[str, ...],
           returning: tuple[str, ...]):
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    written = (*keys, *others, *adds, *replaces, *touches)
    stmt = insert(table).values({name: bindparam(f"v_{name}", type_=table.c[name].type)
                                 for name in written})
    changes = {name: table.c[name] + stmt.excluded[name] for name in adds}
    changes.update({name: stmt.excluded[name] for name in replaces})
    changes.update({name: table.c[name] for name in touches})
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=changes)
    return stmt.returning(*(table.c[name] for name in returning)) if returning else stmt
