"""A realistic region for the bench, seeded with bulk SQL and kept between runs.

Eight institutions of four sectors in the three regions, 100 teams, 5,000 staff (plus an
admin each), 1,000,000 accepted activities over the factor set's ~2 years, each with its
ledger entry; accounts, daily contributions and daily usage are then derived from those
rows by SQL, exactly as the logging path would have left them, and the project's own
commands rebuild the Redis boards (`flask leaderboards rebuild`) and, where the command
exists, the report rollups (`flask rollups rebuild`).

Per-entry grams and points come from the app's own arithmetic (`estimate_saving`,
`points_for_grams`) for a handful of quantities per behaviour and region, so every row
is one the service could have written. A `bench_meta` row keeps the fingerprint of the
seed (seed version, sizes and the migrations); a run whose fingerprint matches reuses
the database.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SEED_VERSION = "5"

# (name, region, sector, staff, teams, headcount, floor area m2)
ORGS = [
    ("北京市某委办局", "beijing", "government", 1200, 24, 1300, 42000),
    ("北京某三甲医院", "beijing", "hospital", 800, 16, 950, 88000),
    ("北京某中学", "beijing", "school", 600, 12, 700, 30000),
    ("天津市某区政府", "tianjin", "government", 700, 14, 760, 26000),
    ("天津某医院", "tianjin", "hospital", 500, 10, 560, 51000),
    ("河北省某厅", "hebei", "government", 600, 12, 680, 24000),
    ("河北某大学", "hebei", "school", 400, 8, 520, 120000),
    ("河北某事业单位", "hebei", "other", 200, 4, 240, 9000),
]
QUANTITY_STEPS = (Decimal("0.5"), Decimal("0.25"), Decimal("0.1"))  # of each behaviour's cap


@dataclass(frozen=True)
class SeedSize:
    activities: int = 1_000_000
    days: int = 698  # the factor set's whole life so far (from 2025-01-01): ~2 years

    @property
    def staff(self) -> int:
        return sum(o[3] for o in ORGS)


def fingerprint(size: SeedSize, rollups: bool) -> str:
    """Seed version, sizes, every migration and whether `flask rollups rebuild` exists:
    any change means a fresh seed."""
    digest = hashlib.sha256(f"{SEED_VERSION}:{size.activities}:{size.days}:{rollups}".encode())
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def database_matches(url: str, wanted: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            row = conn.execute("SELECT fingerprint FROM bench_meta").fetchone()
    except psycopg.Error:
        return False
    return bool(row) and row[0] == wanted


def recreate_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flask(env: dict[str, str], *args: str, check: bool = True,
          quiet: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", *args],
                          cwd=ROOT, env=env, check=check, text=True,
                          capture_output=quiet)


def behaviour_variants() -> tuple[list[tuple], str]:
    """(region, type, quantity, credited, per_unit_g, saved_g, points) the service computes."""
    from activities.carbon import estimate_saving, points_for_grams
    from activities.factors import load_factor_registry

    factor_set = load_factor_registry(ROOT / "factors.json").sets[0]
    rows = []
    for region in ("beijing", "tianjin", "hebei"):
        for behaviour in factor_set.behaviours:
            for step in QUANTITY_STEPS:
                quantity = max(Decimal(1), min(behaviour.daily_cap * step,
                                               behaviour.max_per_entry).quantize(Decimal(1)))
                saving = estimate_saving(behaviour, quantity, region, factor_set)
                rows.append((region, behaviour.key, quantity, quantity,
                             saving.per_unit_saved_g, saving.saved_g,
                             points_for_grams(saving.saved_g, factor_set)))
    return rows, factor_set.version


def seed(url: str, size: SeedSize, log) -> None:
    variants, version = behaviour_variants()
    with psycopg.connect(url) as conn:
        steps = _steps(size, version)
        _people(conn)
        conn.execute("CREATE TEMP TABLE bench_variants (idx int, region text, type text,"
                     " quantity numeric, credited numeric, per_unit numeric, saved_g int,"
                     " points int)")
        with conn.cursor().copy("COPY bench_variants FROM STDIN") as copy:
            regions = {}
            for row in variants:
                n = regions.setdefault(row[0], 0)
                regions[row[0]] = n + 1
                copy.write_row((n, *row))
        for label, sql in steps:
            started = time.perf_counter()
            conn.execute(sql)
            log(f"  seed {label}: {time.perf_counter() - started:.1f} s")
        conn.commit()


def vacuum_analyze(url: str, log) -> None:
    """Fresh planner statistics once every derived table is filled (the rollups rebuild
    runs after the seed: without this the report query was planned for 6 rows, not 100k),
    then a checkpoint: the seed's gigabyte of dirty pages is written now, not spread over
    the first scenarios (a run straight after seeding measured the JSON baseline at half
    its rate while the checkpointer wrote them)."""
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
        log(f"  vacuum analyze, checkpoint: {time.perf_counter() - started:.1f} s")


def _people(conn) -> None:
    for number, (name, region, sector, staff, teams, headcount, area) in enumerate(ORGS, 1):
        org_id = conn.execute(
            "INSERT INTO organisations (name, region, sector, headcount, floor_area_m2, timezone,"
            " created_at) VALUES (%s, %s, %s, %s, %s, 'Asia/Shanghai', now() - interval '800"
            " days') RETURNING id", (name, region, sector, headcount, area)).fetchone()[0]
        conn.execute("INSERT INTO teams (org_id, name, created_at) SELECT %s, %s || '第' || t"
                     " || '组', now() - interval '800 days' FROM generate_series(1, %s) t",
                     (org_id, name, teams))
        conn.execute(
            "INSERT INTO users (username, display_name, org_id, team_id, role, employee_no,"
            " show_on_leaderboard, is_active, created_at)"
            " SELECT 'b' || %(n)s || '_' || s, '员工' || %(n)s || '-' || s, %(org)s,"
            " (SELECT id FROM teams WHERE org_id = %(org)s ORDER BY id"
            "  OFFSET (s %% %(teams)s) LIMIT 1), 'staff', 'E' || s, s %% 10 <> 0, true,"
            " now() - interval '800 days' FROM generate_series(1, %(staff)s) s",
            {"n": number, "org": org_id, "teams": teams, "staff": staff})
        conn.execute("INSERT INTO users (username, display_name, org_id, team_id, role,"
                     " show_on_leaderboard, is_active, created_at) VALUES (%s, %s, %s, NULL,"
                     " 'admin', false, true, now())", (f"b{number}_admin", f"管理员{number}",
                                                        org_id))


def _steps(size: SeedSize, version: str) -> list[tuple[str, str]]:
    today = "(now() AT TIME ZONE 'Asia/Shanghai')::date"
    return [
        ("staff index", """
            CREATE TEMP TABLE bench_staff AS
            SELECT (row_number() OVER (ORDER BY u.id)) - 1 AS idx, u.id, u.org_id, u.team_id,
                   o.region
            FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.role = 'staff'"""),
        (f"{size.activities} activities", f"""
            INSERT INTO activities (user_id, org_id, team_id, type, quantity, credited_quantity,
                occurred_at, local_date, region, factor_version, per_unit_saved_g, co2e_saved_g,
                points, base_points, capped, status, campaign_id, multiplier, client_id,
                request_hash, note, created_at)
            SELECT s.id, s.org_id, s.team_id, v.type, v.quantity, v.credited, a.at, a.day,
                   s.region, '{version}', v.per_unit, v.saved_g, v.points, v.points, false,
                   'accepted',
                   NULL, 1, NULL, NULL, NULL, a.at
            FROM (
                SELECT g, ({today} - 1 - ((g * 7919) % {size.days})::int) AS day,
                       ((g * 104729) % {size.staff})::int AS who,
                       ((g * 31 + g / 7) % 48)::int AS what
                FROM generate_series(1::bigint, {size.activities}) g
            ) r
            CROSS JOIN LATERAL (SELECT r.day AS day,
                ((r.day + time '07:30' + make_interval(mins => (r.g % 600)::int))
                 AT TIME ZONE 'Asia/Shanghai') AS at) a
            JOIN bench_staff s ON s.idx = r.who
            JOIN bench_variants v ON v.region = s.region AND v.idx = r.what
            ORDER BY a.at"""),
        ("ledger entries", """
            INSERT INTO ledger_entries (user_id, org_id, team_id, delta, kind, source_type,
                source_id, reason, balance_after, actor_id, created_at)
            SELECT user_id, org_id, team_id, points, 'earn', 'activity', id::text, type,
                   sum(points) OVER (PARTITION BY user_id ORDER BY id), NULL, created_at
            FROM activities WHERE points > 0 ORDER BY id"""),
        ("accounts", """
            INSERT INTO points_accounts (user_id, balance, earned_total, updated_at)
            SELECT user_id, sum(points), sum(points), now() FROM activities GROUP BY user_id"""),
        ("daily contributions", """
            INSERT INTO daily_contributions (user_id, org_id, team_id, team_key, day, co2e_g,
                points, entries)
            SELECT user_id, org_id, team_id, coalesce(team_id, 0), local_date, sum(co2e_saved_g),
                   sum(points), count(*)
            FROM activities WHERE status = 'accepted'
            GROUP BY user_id, org_id, team_id, local_date"""),
        ("daily usage", """
            INSERT INTO activity_daily_usage (user_id, type, day, used_milli, base_points)
            SELECT user_id, type, local_date, (sum(credited_quantity) * 1000)::int,
                   sum(base_points)
            FROM activities WHERE status = 'accepted' GROUP BY user_id, type, local_date"""),
        ("hot reward", """
            WITH r AS (
                INSERT INTO rewards (org_id, name, description, cost_points, stock,
                    per_user_limit, available_from, available_until, image_url, archived_at,
                    created_by, created_at, updated_at)
                SELECT min(id), '环保帆布袋', '压测用热门奖品', 1, 100000000, NULL, NULL, NULL,
                       NULL, NULL, NULL, now(), now() FROM organisations
                RETURNING id, org_id, stock)
            INSERT INTO reward_stock_movements (reward_id, org_id, delta, stock_after, reason,
                actor_id, created_at)
            SELECT id, org_id, stock, stock, '初始库存 (initial stock)', NULL, now() FROM r"""),
    ]


def remember(url: str, wanted: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (fingerprint text, seeded_on date)")
        conn.execute("DELETE FROM bench_meta")
        conn.execute("INSERT INTO bench_meta VALUES (%s, %s)", (wanted, date.today()))


def has_command(env: dict[str, str], group: str) -> bool:
    return flask(env, group, "--help", check=False, quiet=True).returncode == 0
