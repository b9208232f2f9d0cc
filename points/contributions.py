"""Daily contributions: the rollup every board, summary and streak reads.

`record_contribution` adds to the (user, team, day) row in the caller's transaction with
one upsert (written at once, or with the caller's other shared rows at its end,
`app.shared_rows`), and queues the same increment as a `ContributionChange` for
`contributions_committed`, sent only once the transaction commits (`app.after_commit`;
the leaderboards connect to it at start-up). Logging moves each day of a request once,
with the request's other rows (the logging statement on PostgreSQL, `record_contributions`
on SQLite), and queues the same changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from blinker import Namespace
from sqlalchemy.orm import Session

from app.after_commit import defer
from app.shared_rows import SharedRows
from app.upserts import additive_upsert, params
from points.models import DailyContribution

signals = Namespace()
contributions_committed = signals.signal("points.contributions-committed", doc="""
Sent after a commit with the app as sender and `items`: the `ContributionChange`s the
committed transaction recorded, in order. Never for rolled-back work.
""")


@dataclass(frozen=True)
class ContributionChange:
    user_id: int
    org_id: int
    team_id: int | None
    day: date
    co2e_g: int
    points: int
    entries: int


def record_contribution(session: Session, *, user_id: int, org_id: int, team_id: int | None,
                        day: date, co2e_g: int = 0, points: int = 0, entries: int = 0,
                        shared: SharedRows | None = None) -> None:
    """Add grams, earned points and entry count to a person's day (negative to reverse):
    written now, or added to `shared` for the caller to write at its end."""
    if not (co2e_g or points or entries):
        return
    values = params(user_id=user_id, org_id=org_id, team_id=team_id, team_key=team_id or 0,
                    day=day, co2e_g=co2e_g, points=points, entries=entries)
    if shared is None:
        session.execute(_upsert(session), values)
    else:
        shared.add(_upsert(session), (user_id, team_id or 0, day), values)
    defer(session, contributions_committed,
          ContributionChange(user_id, org_id, team_id, day, co2e_g, points, entries))


def contributions_written(session: Session, changes: list[ContributionChange]) -> None:
    """Queue for the boards the changes of rows the caller wrote with its own statement
    (the logging path's single statement on PostgreSQL)."""
    defer(session, contributions_committed, *changes)


def record_contributions(session: Session, changes: list[ContributionChange]) -> None:
    """`record_contribution` for many rows in one executemany upsert (seeding history)."""
    changes = [c for c in changes if c.co2e_g or c.points or c.entries]
    if not changes:
        return
    session.execute(_upsert(session), [
        params(user_id=c.user_id, org_id=c.org_id, team_id=c.team_id, team_key=c.team_id or 0,
               day=c.day, co2e_g=c.co2e_g, points=c.points, entries=c.entries)
        for c in changes])
    defer(session, contributions_committed, *changes)


def _upsert(session: Session):
    return additive_upsert(session, DailyContribution, keys=("user_id", "team_key", "day"),
                           others=("org_id", "team_id"), adds=("co2e_g", "points", "entries"))
