"""Counters added at commit time: a hot row is locked for one statement, not a whole request.

Some rollups are shared by everyone in an organisation (its points of the day). An
upsert in the middle of a request holds that row's lock until the request commits, so
every other writer of the organisation queues behind the rest of the request (measured:
`make bench`, logging one activity at 3% of the commit baseline, ten of sixteen
connections waiting on one row). `add_at_commit` queues the increment instead; right
before the outermost COMMIT the queued increments are summed per row and applied, one
statement per row in a fixed order (so two transactions never take them crosswise).

Savepoints are honoured: increments queued inside a savepoint that rolls back are
dropped with it; a rolled-back transaction applies nothing. Reads inside the same
transaction do not see the queued amounts (nothing reads these rows while writing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING = "commit_time_increments"
_MARKS = "commit_time_marks"
_installed = False

Builder = Callable[..., Any]  # amounts -> a statement, or (statement, parameters)


def add_at_commit(session: Session, key: tuple, build: Builder, *amounts: int) -> None:
    """Queue `amounts` for the row `key`; `build(*summed_amounts)` runs once at commit."""
    session.info.setdefault(_PENDING, []).append((key, build, amounts))


def install() -> None:
    """Register the session listeners once per process (create_app calls it)."""
    global _installed
    if _installed:
        return
    _installed = True
    event.listen(Session, "after_transaction_create", _remember_position)
    event.listen(Session, "after_soft_rollback", _forget_rolled_back)
    event.listen(Session, "before_commit", _apply)


def _remember_position(session: Session, transaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[id(transaction)] = len(
            session.info.get(_PENDING, ()))


def _forget_rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:
        position = session.info.get(_MARKS, {}).pop(id(previous_transaction), None)
        pending = session.info.get(_PENDING)
        if pending is not None and position is not None:
            del pending[position:]
    elif previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)


def _apply(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is released: its increments wait for the real commit
    pending = session.info.pop(_PENDING, None)
    session.info.pop(_MARKS, None)
    if not pending:
        return
    totals: dict[tuple, tuple[Builder, list[int]]] = {}
    for key, build, amounts in pending:
        _build, summed = totals.setdefault(key, (build, [0] * len(amounts)))
        for index, amount in enumerate(amounts):
            summed[index] += amount
    for key in sorted(totals, key=repr):
        build, summed = totals[key]
        if any(summed):
            built = build(*summed)
            session.execute(*built) if isinstance(built, tuple) else session.execute(built)
