"""Rows shared by a team or an organisation, moved at the end of the work that moves them.

A rollup row shared by many writers (an organisation's points of the day, a team's day or
month of a behaviour, a person's day as the boards read it) stays locked from its
increment to the COMMIT. A service function that moves several of them therefore collects
the increments in a `SharedRows` while it does its own work and writes them with `write`
as its last statements, each an additive upsert (`app.upserts`) or, for a row known to
exist, an additive update; tables in the one order every path takes them in
(`LOCK_ORDER`, the logging statement's too, `activities.logbook_sql`) and rows in key
order, so two transactions never take shared rows crosswise.

Nothing is queued past the call: the increments are written in the caller's transaction,
so a savepoint or transaction that rolls back takes them with it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

LOCK_ORDER = ("activity_monthly_rollups", "activity_rollups", "daily_contributions",
              "org_daily_points", "org_active_people")


class SharedRows:
    """Increments of shared rows, written together by `write`."""

    __slots__ = ("_moves",)

    def __init__(self):
        self._moves: list[tuple[int, tuple, object, dict]] = []

    def add(self, statement, key: tuple, values: dict) -> None:
        """`statement` (an additive upsert or update of a `LOCK_ORDER` table) with `values`,
        for the row `key` (its sort key within the table)."""
        self._moves.append((LOCK_ORDER.index(statement.table.name), key, statement, values))

    def write(self, session: Session) -> None:
        """Write what was added, one statement per table (its rows in one executemany)."""
        moves = sorted(self._moves, key=lambda move: (move[0], move[1]))
        self._moves = []
        batches: list[tuple[object, list[dict]]] = []
        for _, _, statement, values in moves:
            if batches and batches[-1][0] is statement:
                batches[-1][1].append(values)
            else:
                batches.append((statement, [values]))
        for statement, rows in batches:
            session.execute(statement, rows)
