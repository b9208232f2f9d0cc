"""The logging path's writes on PostgreSQL: one statement for a whole request.

`activities.logbook` prices a request's entries in Python and hands over every row they
move (`Writes`); here one data-modifying CTE writes them all and answers the new
activities' ids: the activities (ids drawn from their sequence first, so the ledger
entries and reviews can name them), the usage rows, the monthly earnings, the monthly
participants, the reviews, the account (moved once by the sum) and the ledger entries
(each with the balance it left), then the rows shared by a team or an organisation:
month and day rollups, daily contributions, the organisation's points of the day and its
active people of the months and years the person starts counting in.

Each step waits for the one before it (`WHERE (SELECT count(*) FROM previous) >= 0`), so
rows are locked in one fixed order: the person's own rows, then the shared tables in the
order `rollups_cli.pause_rollup_writers` and every other writer of them use
(`app.shared_rows.LOCK_ORDER`), each table's rows in key order. The route commits right
after this statement, so a shared row is held for one statement and a COMMIT, not for
the rest of the request.
SQLite runs the same rows through one plain statement per table (`logbook._write_plain`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from activities.models import NewActivity
from activities.rollups import RollupRows
from points.ledger import earnings_ctes, earnings_params, org_points_cte


@dataclass
class Writes:
    """Every row a request's accepted entries move (entries in request order)."""

    user_id: int
    org_id: int
    team_id: int | None
    now: datetime
    activities: list[NewActivity]
    usage: dict[tuple[str, date], tuple[int, int]]  # (type, day) -> (used_milli, base_points)
    monthly: dict[date, int]  # month -> points earned by this request (> 0 only)
    rollups: RollupRows
    reviews: list[tuple[int, str]]  # (index of the entry, rule)
    earnings: list[tuple[int, int, str]]  # (index of the entry, points > 0, reason)
    points_day: date  # the organisation-local day the points are issued on
    contributions: dict[date, list[int]] = field(default_factory=dict)  # day -> [g, pts, n]


_GATE = "WHERE (SELECT count(*) FROM {}) >= 0"


def _rows(name: str, columns: str) -> str:
    """The rows `name` of the statement's JSON document, as a table of `columns`."""
    return f"json_to_recordset(CAST(:rows AS json) -> '{name}') AS v({columns})"


_ACTIVITY_ROW = """ord integer, type text, quantity numeric, credited numeric,
    occurred_at timestamptz, local_date date, region text, factor_version text,
    per_unit numeric, co2e integer, points integer, base_points integer, capped boolean,
    grams_per_point integer, points_capped boolean, campaign_id integer, multiplier numeric,
    client_id text, request_hash text, note text"""

STATEMENT = text(f"""\
WITH ids AS (
  SELECT o.ord, nextval(pg_get_serial_sequence('activities', 'id')) AS id
  FROM (SELECT v.ord FROM {_rows("acts", "ord integer")} ORDER BY v.ord) AS o
),
acts AS (
  INSERT INTO activities (id, user_id, org_id, team_id, type, quantity, credited_quantity,
    occurred_at, local_date, region, factor_version, per_unit_saved_g, co2e_saved_g, points,
    base_points, capped, grams_per_point, points_capped, status, campaign_id, multiplier,
    client_id, request_hash, note, created_at, voided_at)
  SELECT ids.id, :user_id, :org_id, CAST(:team_id AS integer), v.type, v.quantity, v.credited,
    v.occurred_at, v.local_date, v.region, v.factor_version, v.per_unit, v.co2e, v.points,
    v.base_points, v.capped, v.grams_per_point, v.points_capped, 'accepted', v.campaign_id,
    v.multiplier, v.client_id, v.request_hash, v.note, :now, NULL
  FROM {_rows("acts", _ACTIVITY_ROW)}
  JOIN ids ON ids.ord = v.ord
  ORDER BY v.ord
  RETURNING 1
),
usage AS (
  INSERT INTO activity_daily_usage (user_id, type, day, used_milli, base_points)
  SELECT :user_id, v.type, v.day, v.used, v.base
  FROM {_rows("usage", "type text, day date, used integer, base integer")}
  {_GATE.format("acts")}
  ORDER BY v.type, v.day
  ON CONFLICT (user_id, type, day) DO UPDATE
    SET used_milli = excluded.used_milli, base_points = excluded.base_points
  RETURNING 1
),
monthly AS (
  INSERT INTO points_monthly_earnings (user_id, month, points)
  SELECT :user_id, v.month, v.points
  FROM {_rows("monthly", "month date, points integer")}
  {_GATE.format("usage")}
  ORDER BY v.month
  ON CONFLICT (user_id, month) DO UPDATE
    SET points = points_monthly_earnings.points + excluded.points
  RETURNING 1
),
participants AS (
  INSERT INTO monthly_participants (org_id, month, user_id, activities)
  SELECT :org_id, v.month, :user_id, v.n
  FROM {_rows("participants", "month date, n integer")}
  {_GATE.format("monthly")}
  ORDER BY v.month
  ON CONFLICT (org_id, month, user_id) DO UPDATE
    SET activities = monthly_participants.activities + excluded.activities
  RETURNING 1
),
reviews AS (
  INSERT INTO activity_reviews (org_id, activity_id, user_id, rule, status, shortfall_points,
    created_at)
  SELECT :org_id, ids.id, :user_id, v.rule, 'open', 0, :now
  FROM {_rows("reviews", "ord integer, rule text")}
  JOIN ids ON ids.ord = v.ord
  {_GATE.format("participants")}
  ORDER BY v.ord
  RETURNING 1
),
{earnings_ctes(sources="ids", after="reviews", rows="CAST(:rows AS json) -> 'earnings'")},
month_rollups AS (
  INSERT INTO activity_monthly_rollups (org_id, month, type, activities, co2e_g, points)
  SELECT :org_id, v.month, v.type, v.n, v.co2e, v.points
  FROM {_rows("month_rollups", "month date, type text, n integer, co2e bigint, points bigint")}
  {_GATE.format("ledger")}
  ORDER BY v.month, v.type
  ON CONFLICT (org_id, month, type) DO UPDATE
    SET activities = activity_monthly_rollups.activities + excluded.activities,
        co2e_g = activity_monthly_rollups.co2e_g + excluded.co2e_g,
        points = activity_monthly_rollups.points + excluded.points
  RETURNING 1
),
day_rollups AS (
  INSERT INTO activity_rollups (org_id, day, team_key, type, team_id, activities, co2e_g,
    points)
  SELECT :org_id, v.day, :team_key, v.type, CAST(:team_id AS integer), v.n, v.co2e, v.points
  FROM {_rows("day_rollups", "day date, type text, n integer, co2e bigint, points bigint")}
  {_GATE.format("month_rollups")}
  ORDER BY v.day, v.type
  ON CONFLICT (org_id, day, team_key, type) DO UPDATE
    SET activities = activity_rollups.activities + excluded.activities,
        co2e_g = activity_rollups.co2e_g + excluded.co2e_g,
        points = activity_rollups.points + excluded.points
  RETURNING 1
),
contributions AS (
  INSERT INTO daily_contributions (user_id, org_id, team_id, team_key, day, co2e_g, points,
    entries)
  SELECT :user_id, :org_id, CAST(:team_id AS integer), :team_key, v.day, v.co2e, v.points, v.n
  FROM {_rows("contributions", "day date, co2e integer, points integer, n integer")}
  {_GATE.format("day_rollups")}
  ORDER BY v.day
  ON CONFLICT (user_id, team_key, day) DO UPDATE
    SET co2e_g = daily_contributions.co2e_g + excluded.co2e_g,
        points = daily_contributions.points + excluded.points,
        entries = daily_contributions.entries + excluded.entries
  RETURNING 1
),
{org_points_cte(after="contributions")},
active_people AS (
  INSERT INTO org_active_people (org_id, start, span, people)
  SELECT :org_id, v.start, v.span, 1
  FROM {_rows("active_people", "start date, span text")}
  {_GATE.format("org_points")}
  ORDER BY v.start, v.span
  ON CONFLICT (org_id, start, span) DO UPDATE SET people = org_active_people.people + 1
  RETURNING 1
)
SELECT ids.id FROM ids {_GATE.format("active_people")} ORDER BY ids.ord
""")

_ACTIVITY_COLUMNS = {
    "type": "type", "quantity": "quantity", "credited": "credited_quantity",
    "occurred_at": "occurred_at", "local_date": "local_date", "region": "region",
    "factor_version": "factor_version", "per_unit": "per_unit_saved_g", "co2e": "co2e_saved_g",
    "points": "points", "base_points": "base_points", "capped": "capped",
    "grams_per_point": "grams_per_point", "points_capped": "points_capped",
    "campaign_id": "campaign_id", "multiplier": "multiplier", "client_id": "client_id",
    "request_hash": "request_hash", "note": "note"}


def write_all(session: Session, writes: Writes) -> list[int]:
    """Write every row of `writes` in one statement; answers the activities' ids in order.

    The rows travel as one JSON document (`_rows`), not as arrays: psycopg adapts array
    parameters element by element in Python, and a statement of more than 50 parameters
    is parsed again on every call. Decimals and instants go as text, read back exactly
    by the columns' types.
    """
    earn, earnings = earnings_params(writes.earnings, writes.points_day)
    rows = {
        "acts": [{"ord": ord_, **{key: getattr(activity, attribute)
                                  for key, attribute in _ACTIVITY_COLUMNS.items()}}
                 for ord_, activity in enumerate(writes.activities, start=1)],
        "usage": [{"type": kind, "day": day, "used": used, "base": base}
                  for (kind, day), (used, base) in sorted(writes.usage.items())],
        "monthly": [{"month": month, "points": points}
                    for month, points in sorted(writes.monthly.items())],
        "participants": [{"month": month, "n": n} for (_, month, _), n
                         in sorted(writes.rollups.participants.items())],
        "reviews": [{"ord": index + 1, "rule": rule} for index, rule in writes.reviews],
        "earnings": earnings,
        "month_rollups": [{"month": month, "type": kind, "n": n, "co2e": co2e, "points": points}
                          for (_, month, kind), (n, co2e, points)
                          in sorted(writes.rollups.months.items())],
        "day_rollups": [{"day": day, "type": kind, "n": n, "co2e": co2e, "points": points}
                        for (_, day, _, kind), (_, n, co2e, points)
                        in sorted(writes.rollups.days.items())],
        "contributions": [{"day": day, "co2e": co2e, "points": points, "n": n}
                          for day, (co2e, points, n) in sorted(writes.contributions.items())],
        "active_people": [{"start": start, "span": span}
                          for _, start, span in writes.rollups.newly_active],
    }
    values = {"user_id": writes.user_id, "org_id": writes.org_id,
              "team_id": writes.team_id, "team_key": writes.team_id or 0, "now": writes.now,
              "rows": json.dumps(rows, default=_as_text, separators=(",", ":")), **earn}
    return list(session.execute(STATEMENT, values).scalars())


def _as_text(value) -> str:
    """Decimals, dates and instants in the JSON document: their exact text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not written by the logging statement")
