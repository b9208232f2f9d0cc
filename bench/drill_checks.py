"""What the drills assert afterwards: SQL invariants, and Redis boards against SQL truth.

The invariants are plain SQL over the tables, written independently of the services that
maintain them: each query counts the rows that break one rule (0 is a pass).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from app.figures import kg

INVARIANTS = {
    "balance = sum of ledger (and earned = earning kinds)": """
        SELECT count(*) FROM points_accounts a
        LEFT JOIN (SELECT user_id, sum(delta) AS total,
                          sum(delta) FILTER (WHERE kind IN ('earn', 'adjust', 'bonus')) AS earned
                   FROM ledger_entries GROUP BY user_id) l USING (user_id)
        WHERE a.balance <> coalesce(l.total, 0) OR a.earned_total <> coalesce(l.earned, 0)""",
    "every ledger user has an account": """
        SELECT count(*) FROM (SELECT DISTINCT user_id FROM ledger_entries) l
        LEFT JOIN points_accounts a USING (user_id) WHERE a.user_id IS NULL""",
    "balance_after = running sum of ledger": """
        SELECT count(*) FROM (
            SELECT balance_after,
                   sum(delta) OVER (PARTITION BY user_id ORDER BY id) AS running
            FROM ledger_entries) x
        WHERE balance_after <> running""",
    "activity with points has exactly one earn entry": """
        SELECT count(*) FROM activities a
        LEFT JOIN (SELECT source_id, count(*) AS n, sum(delta) AS points
                   FROM ledger_entries WHERE source_type = 'activity' GROUP BY source_id) l
               ON l.source_id = a.id::text
        WHERE (a.points > 0 AND (l.n IS DISTINCT FROM 1 OR l.points <> a.points))
           OR (a.points = 0 AND l.n IS NOT NULL)""",
    "no activity ledger entry without its activity": """
        SELECT count(*) FROM ledger_entries l
        LEFT JOIN activities a ON l.source_id = a.id::text
        WHERE l.source_type = 'activity' AND a.id IS NULL""",
    "daily rollup = sum of accepted activities": """
        SELECT count(*) FROM daily_contributions d
        FULL JOIN (SELECT user_id, coalesce(team_id, 0) AS team_key, local_date AS day,
                          sum(co2e_saved_g) AS co2e_g, sum(points) AS points,
                          count(*) AS entries
                   FROM activities WHERE status = 'accepted'
                   GROUP BY 1, 2, 3) a USING (user_id, team_key, day)
        WHERE coalesce(d.co2e_g, 0) <> coalesce(a.co2e_g, 0)
           OR coalesce(d.points, 0) <> coalesce(a.points, 0)
           OR coalesce(d.entries, 0) <> coalesce(a.entries, 0)""",
    "daily usage = credited quantity": """
        SELECT count(*) FROM activity_daily_usage u
        FULL JOIN (SELECT user_id, type, local_date AS day,
                          sum(credited_quantity * 1000) AS milli
                   FROM activities WHERE status = 'accepted' GROUP BY 1, 2, 3) a
               USING (user_id, type, day)
        WHERE coalesce(u.used_milli, 0) <> coalesce(a.milli, 0)""",
}


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


def sql_invariants(url: str) -> list[Check]:
    with psycopg.connect(url, autocommit=True) as conn:
        checks = []
        for name, sql in INVARIANTS.items():
            broken = conn.execute(sql).fetchone()[0]
            checks.append(Check(name, broken == 0, f"{broken} rows break it"))
        return checks


def stored_activities(url: str, keys: list[tuple[int, str]]) -> dict[tuple[int, str], dict]:
    """(user_id, client_id) -> the stored row's id, points and ledger entry count."""
    if not keys:
        return {}
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("""
            SELECT a.user_id, a.client_id, a.id, a.points,
                   (SELECT count(*) FROM ledger_entries l
                    WHERE l.source_type = 'activity' AND l.source_id = a.id::text)
            FROM activities a
            JOIN unnest(%s::int[], %s::text[]) AS k(user_id, client_id)
              ON a.user_id = k.user_id AND a.client_id = k.client_id""",
                            ([k[0] for k in keys], [k[1] for k in keys])).fetchall()
    return {(u, c): {"id": i, "points": p, "ledger": n} for u, c, i, p, n in rows}


def truth_user_points(url: str, org_id: int, limit: int) -> list[tuple[int, int]]:
    """(user, points) of an organisation's all-time board, from the activities themselves."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("""
            SELECT user_id, sum(points)::int FROM activities
            WHERE org_id = %s AND status = 'accepted' GROUP BY user_id""", (org_id,)).fetchall()
    rows = sorted(((u, p) for u, p in rows if p), key=lambda r: (-r[1], r[0]))
    return rows[:limit]


def truth_team_co2e(url: str, org_id: int) -> list[tuple[int, float]]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("""
            SELECT team_id, sum(co2e_saved_g)::bigint FROM activities
            WHERE org_id = %s AND status = 'accepted' AND team_id IS NOT NULL
            GROUP BY team_id""", (org_id,)).fetchall()
    return sorted(((t, float(kg(g))) for t, g in rows if g), key=lambda r: (-r[1], r[0]))


def redis_board_drift(app) -> tuple[bool, int, int]:
    """(boards ready, boards compared, boards that differ from the SQL rollup) now."""
    from app.clock import now_utc
    from app.extensions import db
    from app.redis_store import get_gateway
    from leaderboards.queries import period_rows
    from leaderboards.store import is_ready
    from leaderboards.sync import _current, _without_zeros, expected_boards, live_periods

    gateway = get_gateway(app)
    with app.app_context():
        try:
            if not is_ready(gateway):
                return False, 0, 0
            compared = differ = 0
            for period in live_periods(db.session, now_utc()):
                zsets, hashes = expected_boards(gateway, period_rows(db.session, period), period)
                expected = {**zsets, **hashes}
                pattern = gateway.key("lb", period.key) + ":*"
                keys = [k for k in gateway.client.scan_iter(match=pattern, count=1000)
                        if ":tmp:" not in k]
                current = _current(gateway.client, keys)
                for key in set(expected) | set(current):
                    compared += 1
                    if _without_zeros(expected.get(key, {})) != _without_zeros(
                            current.get(key, {})):
                        differ += 1
            return True, compared, differ
        finally:
            db.session.remove()
