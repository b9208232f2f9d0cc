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

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from activities.models import Activity
from activities.rollups import RollupRows
from points.ledger import earnings_ctes, earnings_params, org_points_cte


@dataclass
class Writes:
    """Every row a request's accepted entries move (entries in request order)."""

    user_id: int
    org_id: int
    team_id: int | None
    now: datetime
    activities: list[Activity]
    usage: dict[tuple[str, date], tuple[int, int]]  # (type, day) -> (used_milli, base_points)
    monthly: dict[date, int]  # month -> points earned by this request (> 0 only)
    rollups: RollupRows
    reviews: list[tuple[int, str]]  # (index of the entry, rule)
    earnings: list[tuple[int, int, str]]  # (index of the entry, points > 0, reason)
    points_day: date  # the organisation-local day the points are issued on
    contributions: dict[date, list[int]] = field(default_factory=dict)  # day -> [g, pts, n]


_GATE = "WHERE (SELECT count(*) FROM {}) >= 0"

STATEMENT = text(f"""\
WITH ids AS (
  SELECT n AS ord, nextval(pg_get_serial_sequence('activities', 'id')) AS id
  FROM generate_series(1, CAST(:n AS integer)) AS n
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
  FROM unnest(CAST(:a_type AS text[]), CAST(:a_quantity AS numeric[]),
    CAST(:a_credited AS numeric[]), CAST(:a_occurred_at AS timestamptz[]),
    CAST(:a_local_date AS date[]), CAST(:a_region AS text[]), CAST(:a_factor_version AS text[]),
    CAST(:a_per_unit AS numeric[]), CAST(:a_co2e AS integer[]), CAST(:a_points AS integer[]),
    CAST(:a_base_points AS integer[]), CAST(:a_capped AS boolean[]),
    CAST(:a_grams_per_point AS integer[]), CAST(:a_points_capped AS boolean[]),
    CAST(:a_campaign_id AS integer[]), CAST(:a_multiplier AS numeric[]),
    CAST(:a_client_id AS text[]), CAST(:a_request_hash AS text[]), CAST(:a_note AS text[]))
    WITH ORDINALITY AS v(type, quantity, credited, occurred_at, local_date, region,
      factor_version, per_unit, co2e, points, base_points, capped, grams_per_point,
      points_capped, campaign_id, multiplier, client_id, request_hash, note, ord)
  JOIN ids ON ids.ord = v.ord
  ORDER BY v.ord
  RETURNING 1
),
usage AS (
  INSERT INTO activity_daily_usage (user_id, type, day, used_milli, base_points)
  SELECT :user_id, v.type, v.day, v.used, v.base
  FROM unnest(CAST(:u_type AS text[]), CAST(:u_day AS date[]), CAST(:u_used AS integer[]),
    CAST(:u_base AS integer[])) AS v(type, day, used, base)
  {_GATE.format("acts")}
  ORDER BY v.type, v.day
  ON CONFLICT (user_id, type, day) DO UPDATE
    SET used_milli = excluded.used_milli, base_points = excluded.base_points
  RETURNING 1
),
monthly AS (
  INSERT INTO points_monthly_earnings (user_id, month, points)
  SELECT :user_id, v.month, v.points
  FROM unnest(CAST(:m_month AS date[]), CAST(:m_points AS integer[])) AS v(month, points)
  {_GATE.format("usage")}
  ORDER BY v.month
  ON CONFLICT (user_id, month) DO UPDATE
    SET points = points_monthly_earnings.points + excluded.points
  RETURNING 1
),
participants AS (
  INSERT INTO monthly_participants (org_id, month, user_id, activities)
  SELECT :org_id, v.month, :user_id, v.n
  FROM unnest(CAST(:p_month AS date[]), CAST(:p_n AS integer[])) AS v(month, n)
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
  FROM unnest(CAST(:r_ord AS integer[]), CAST(:r_rule AS text[])) AS v(ord, rule)
  JOIN ids ON ids.ord = v.ord
  {_GATE.format("participants")}
  ORDER BY v.ord
  RETURNING 1
),
{earnings_ctes(sources="ids", after="reviews")},
month_rollups AS (
  INSERT INTO activity_monthly_rollups (org_id, month, type, activities, co2e_g, points)
  SELECT :org_id, v.month, v.type, v.n, v.co2e, v.points
  FROM unnest(CAST(:mr_month AS date[]), CAST(:mr_type AS text[]), CAST(:mr_n AS integer[]),
    CAST(:mr_co2e AS bigint[]), CAST(:mr_points AS bigint[])) AS v(month, type, n, co2e, points)
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
  FROM unnest(CAST(:dr_day AS date[]), CAST(:dr_type AS text[]), CAST(:dr_n AS integer[]),
    CAST(:dr_co2e AS bigint[]), CAST(:dr_points AS bigint[])) AS v(day, type, n, co2e, points)
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
  FROM unnest(CAST(:c_day AS date[]), CAST(:c_co2e AS integer[]), CAST(:c_points AS integer[]),
    CAST(:c_n AS integer[])) AS v(day, co2e, points, n)
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
  FROM unnest(CAST(:ap_start AS date[]), CAST(:ap_span AS text[])) AS v(start, span)
  {_GATE.format("org_points")}
  ORDER BY v.start, v.span
  ON CONFLICT (org_id, start, span) DO UPDATE SET people = org_active_people.people + 1
  RETURNING 1
)
SELECT ids.id FROM ids {_GATE.format("active_people")} ORDER BY ids.ord
""")


def write_all(session: Session, writes: Writes) -> list[int]:
    """Write every row of `writes` in one statement; answers the activities' ids in order."""
    acts = writes.activities
    usage = sorted(writes.usage.items())
    monthly = sorted(writes.monthly.items())
    participants = sorted((month, n) for (_, month, _), n in writes.rollups.participants.items())
    months = sorted(writes.rollups.months.items())
    days = sorted(writes.rollups.days.items())
    contributions = sorted(writes.contributions.items())
    values = {
        "n": len(acts), "user_id": writes.user_id, "org_id": writes.org_id,
        "team_id": writes.team_id, "team_key": writes.team_id or 0, "now": writes.now,
        **earnings_params(writes.earnings, writes.points_day),
        **_columns("a_", acts, type="type", quantity="quantity", credited="credited_quantity",
                   occurred_at="occurred_at", local_date="local_date", region="region",
                   factor_version="factor_version", per_unit="per_unit_saved_g",
                   co2e="co2e_saved_g", points="points", base_points="base_points",
                   capped="capped", grams_per_point="grams_per_point",
                   points_capped="points_capped", campaign_id="campaign_id",
                   multiplier="multiplier", client_id="client_id", request_hash="request_hash",
                   note="note"),
        "u_type": [kind for (kind, _), _ in usage], "u_day": [day for (_, day), _ in usage],
        "u_used": [used for _, (used, _) in usage], "u_base": [base for _, (_, base) in usage],
        "m_month": [month for month, _ in monthly], "m_points": [pts for _, pts in monthly],
        "p_month": [month for month, _ in participants], "p_n": [n for _, n in participants],
        "r_ord": [index + 1 for index, _ in writes.reviews],
        "r_rule": [rule for _, rule in writes.reviews],
        "mr_month": [month for (_, month, _), _ in months],
        "mr_type": [kind for (_, _, kind), _ in months],
        "mr_n": [t[0] for _, t in months], "mr_co2e": [t[1] for _, t in months],
        "mr_points": [t[2] for _, t in months],
        "dr_day": [day for (_, day, _, _), _ in days],
        "dr_type": [kind for (_, _, _, kind), _ in days],
        "dr_n": [t[1] for _, t in days], "dr_co2e": [t[2] for _, t in days],
        "dr_points": [t[3] for _, t in days],
        "c_day": [day for day, _ in contributions],
        "c_co2e": [t[0] for _, t in contributions], "c_points": [t[1] for _, t in contributions],
        "c_n": [t[2] for _, t in contributions],
        "ap_start": [start for _, start, _ in writes.rollups.newly_active],
        "ap_span": [span for _, _, span in writes.rollups.newly_active],
    }
    return list(session.execute(STATEMENT, values).scalars())


def _columns(prefix: str, rows: list[Activity], **names: str) -> dict[str, list]:
    return {prefix + key: [getattr(row, attribute) for row in rows]
            for key, attribute in names.items()}
