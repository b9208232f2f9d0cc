"""Counters added at commit time: a hot row is locked for one statement, not a whole request.

Some rollups are shared by everyone in an organisation (its points of the day). An
upsert in the middle of a request would hold that row's lock until the request commits,
so every other writer of the organisation would queue behind the rest of the request.
`add_at_commit` queues the increment instead; right before the outermost COMMIT the
queued increments are summed per row and applied, one statement per table (its rows as one
multi-row statement, when they share a statement built by `app.upserts`) in a fixed key
order (so two transactions never take them crosswise).

Savepoints are honoured: increments queued inside a savepoint that rolls back are
dropped with it; a rolled-back transaction applies nothing. Reads inside the same
transaction do not see the queued amounts (nothing reads these rows while writing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.session_queue import TransactionQueue

_INCREMENTS = TransactionQueue("commit_time_increments")
_installed = False

Builder = Callable[..., Any]  # amounts -> a statement, or (statement, parameters)


def add_at_commit(session: Session, key: tuple, build: Builder, *amounts: int) -> None:
    """Queue `amounts` for the row `key`; `build(*summed_amounts)` runs once at commit."""
    _INCREMENTS.add(session, (key, build, amounts))


def install() -> None:
    """Register the session listeners once per process (create_app calls it)."""
    global _installed
    if _installed:
        return
    _installed = True
    _INCREMENTS.install()
    event.listen(Session, "before_commit", _apply)


def _apply(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is released: its increments wait for the real commit
    pending = _INCREMENTS.take(session)
    if not pending:
        return
    totals: dict[tuple, tuple[Builder, list[int]]] = {}
    for key, build, amounts in pending:
        _build, summed = totals.setdefault(key, (build, [0] * len(amounts)))
        for index, amount in enumerate(amounts):
            summed[index] += amount
    batches: list[tuple[Any, list]] = []  # one statement per table: its rows together
    for key in sorted(totals, key=repr):
        build, summed = totals[key]
        if not any(summed):
            continue
        built = build(*summed)
        statement, parameters = built if isinstance(built, tuple) else (built, {})
        if batches and batches[-1][0] is statement and parameters:
            batches[-1][1].append(parameters)
        else:
            batches.append((statement, [parameters] if parameters else []))
    for statement, rows in batches:
        session.execute(statement, rows or None)
