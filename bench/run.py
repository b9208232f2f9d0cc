"""`make bench`: seed a region, serve it with gunicorn, load it, print and keep the table.

    .venv/bin/python -m bench.run              # the issue's run (~10 min fresh, less cached)
    .venv/bin/python -m bench.run --quick      # one round of 5 s per scenario, for iterating
    .venv/bin/python -m bench.run --reseed     # ignore the cached database
    .venv/bin/python -m bench.run --workers 3 --worker-class sync --only log,commit

PostgreSQL database `bench_lowcarbon` (dropped and recreated when its seed fingerprint
does not match), Redis db 13 under the key prefix `lcbench:` (only those keys are ever
deleted). Results go to bench/results/<date>.json and BENCHMARKS.md.

Every scenario is measured in rounds (3 by default): the whole sequence, baselines
included, runs once per round, and each ratio is taken within its round, so a baseline
and the scenario compared with it are measured minutes apart, not a whole run. The table
gives each figure's median over the rounds, and every round's rate beside it: a round
that a passing disturbance of the shared machine slowed shows as one, not as the result.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import runpy
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import psycopg
import redis

from bench import console, seed
from bench.loadgen import LoadResult, ceiling, http_request, run_load
from bench.report import write_benchmarks_md
from bench.server import ServerSetup, free_port, served

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB", "bench_lowcarbon")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
REDIS_PREFIX = "lcbench:"
SECRET = "bench-only-secret-key-long-enough-for-hs256-signing"
BATCH = 20

# (scenario, kind) -> which baseline it is compared with
TARGETS = {
    "log": ("commit", 0.70, "logging one activity >= 70% of the commit baseline"),
    "board": ("json", 0.50, "team board read >= 50% of the JSON baseline"),
    "redeem": ("commit", 0.70, "redeeming a hot reward >= 70% of the commit baseline"),
}
CONSOLE_PAGES = ("console_dashboard", "console_counter", "console_region")


@dataclass
class Scenario:
    key: str
    label: str
    baseline: str | None  # "json" (reads) or "commit" (writes); None for baselines
    factory: Callable[[int], bytes]
    per_request: int = 1  # activities per request (batch)
    count_marker: bytes | None = None  # counted in bodies: items actually created
    warmup_s: float | None = None  # default: a quarter of the run, at most 2 s


def log(message: str) -> None:
    print(message, flush=True)


def database_url() -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + DB_NAME


def server_env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
    return {**keep, "APP_ENV": "production", "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url(), "REDIS_URL": REDIS_URL, "REDIS_PREFIX": REDIS_PREFIX,
            "ACCESS_TOKEN_TTL": "7200", "FLASK_APP": "app",
            "PYTHONUNBUFFERED": "1"}


def prepare_database(reseed: bool, size: seed.SeedSize) -> float:
    """Seed (or reuse) the database and rebuild what derives from it; seconds spent."""
    started = time.perf_counter()
    env = server_env()
    rollups = seed.has_command(env, "rollups")
    wanted = seed.fingerprint(size, rollups)
    if not reseed and seed.database_matches(database_url(), wanted):
        log(f"database {DB_NAME}: seed {wanted} cached, reused")
    else:
        log(f"database {DB_NAME}: seeding {size.activities:,} activities (fingerprint {wanted})")
        seed.recreate_database(PG_ADMIN, DB_NAME)
        seed.flask(env, "db", "upgrade", quiet=True)
        seed.seed(database_url(), size, log)
        if rollups:
            t0 = time.perf_counter()
            seed.flask(env, "rollups", "rebuild", quiet=True)
            log(f"  flask rollups rebuild: {time.perf_counter() - t0:.1f} s")
        seed.vacuum_analyze(database_url(), log)
        seed.remember(database_url(), wanted)
    make_probe_table()
    clear_redis(all_keys=True)
    t0 = time.perf_counter()
    seed.flask(env, "leaderboards", "rebuild", quiet=True)
    log(f"  flask leaderboards rebuild: {time.perf_counter() - t0:.1f} s")
    return time.perf_counter() - started


def make_probe_table() -> None:
    """The commit baseline's table: the bench's own, outside the service's migrations."""
    from sqlalchemy import create_engine

    from app.config import normalise_database_url
    from bench.probe import create_probe_table

    engine = create_engine(normalise_database_url(database_url()))
    try:
        create_probe_table(engine)
    finally:
        engine.dispose()


def clear_redis(all_keys: bool = False) -> None:
    """Our prefix only: rate-limit windows between scenarios, everything before a run."""
    client = redis.Redis.from_url(REDIS_URL)
    pattern = REDIS_PREFIX + ("*" if all_keys else "rate:*")
    batch = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            client.delete(*batch)
            batch.clear()
    if batch:
        client.delete(*batch)


def wait_for_board_check(server, scenario: Scenario, server_started: float,
                         timeout_s: float = 120, quiet_s: float = 16) -> None:
    """Each worker checks the Redis boards against the database on its first request
    (`leaderboards.hooks`; a worker that finds another's pass running asks again 15 s
    later): let every check finish before anything is measured."""
    run_load(server.host, server.port, scenario.factory, connections=8, duration_s=1.0,
             warmup_s=0)
    client = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + timeout_s
    last, quiet_since = None, time.monotonic()
    while time.monotonic() < deadline:
        begun = client.get(REDIS_PREFIX + "lb:pass-begun")
        if begun != last or client.exists(REDIS_PREFIX + "lb:lock"):
            last, quiet_since = begun, time.monotonic()
        elif (begun is not None and float(begun) >= server_started
              and time.monotonic() - quiet_since >= quiet_s):
            return
        time.sleep(0.5)
    log("  (the boards' start-up checks did not finish in time)")


def people() -> dict:
    with psycopg.connect(database_url()) as conn:
        staff = conn.execute("SELECT id, role, org_id FROM users WHERE role = 'staff'"
                             " ORDER BY id").fetchall()
        admins = conn.execute("SELECT id, role, org_id FROM users WHERE role = 'admin'"
                              " ORDER BY org_id").fetchall()
        reward = conn.execute("SELECT id, org_id FROM rewards ORDER BY id LIMIT 1").fetchone()
        year = conn.execute("SELECT extract(year FROM max(local_date))::int FROM activities"
                            ).fetchone()[0]
    return {"staff": staff, "admins": admins, "reward": reward, "year": year,
            "coordinator": console.coordinator_row(database_url())}


def mint_tokens(rows) -> list[str]:
    from app.auth import issue_access_token, token_settings

    settings = token_settings({"SECRET_KEY": SECRET, "ACCESS_TOKEN_TTL": 7200,
                               "REFRESH_TOKEN_TTL": 7200})
    now = datetime.now(UTC)
    return [issue_access_token(SimpleNamespace(id=i, role=r, org_id=o, token_version=0),
                               settings, now)
            for i, r, o in rows]


def scenarios(host: str, who: dict, report_route: bool) -> list[Scenario]:
    run = uuid.uuid4().hex[:8]
    staff = mint_tokens(who["staff"])
    admins = mint_tokens(who["admins"])
    reward_id, reward_org = who["reward"]
    redeemers = mint_tokens([p for p in who["staff"] if p[2] == reward_org])
    auth = [{"Authorization": f"Bearer {t}"} for t in staff]
    # Precomputed where nothing varies per request; the rest is a format per request.
    gets = {path: [http_request("GET", path, host, h) for h in auth]
            for path in ("/_probe/json", "/api/v1/leaderboards/teams?period=week",
                         "/api/v1/me/summary")}
    commits = [http_request("POST", "/_probe/commit", host, h) for h in auth]
    n_staff = len(staff)
    types = ("metro", "bus", "walk", "cycle", "stairs", "pc_off", "lights_off", "duplex_print",
             "video_meeting", "ebike")

    def log_one(n: int) -> bytes:
        return http_request("POST", "/api/v1/activities", host, auth[n % n_staff],
                            {"type": "metro", "quantity": 1, "client_id": f"{run}-{n}"})

    def log_batch(n: int) -> bytes:
        items = [{"type": types[i % len(types)], "quantity": 1, "client_id": f"{run}-b{n}-{i}"}
                 for i in range(BATCH)]
        return http_request("POST", "/api/v1/activities/batch", host,
                            auth[(n * 7) % n_staff], {"items": items})

    def redeem(n: int) -> bytes:
        return http_request("POST", f"/api/v1/rewards/{reward_id}/redeem", host,
                            {"Authorization": f"Bearer {redeemers[n % len(redeemers)]}",
                             "Idempotency-Key": f"{run}-r{n}"})

    def report(n: int) -> bytes:
        admin = who["admins"][n % len(admins)]
        return http_request("GET", f"/api/v1/reports/orgs/{admin[2]}?year={who['year']}", host,
                            {"Authorization": f"Bearer {admins[n % len(admins)]}"})

    def rotate(requests: list[bytes]) -> Callable[[int], bytes]:
        return lambda n: requests[n % len(requests)]

    found = [
        Scenario("json", "JSON baseline (token, no database)", None, rotate(gets["/_probe/json"])),
        Scenario("commit", "commit baseline (token, insert, commit)", None, rotate(commits)),
        Scenario("log", "log one activity", "commit", log_one),
        Scenario("batch", f"log a batch of {BATCH}", "commit", log_batch, BATCH, b'"created"'),
        # Warmed up long enough for every person to read once (~5,000 reads): the read
        # checks a person against their cached entry (10 minutes in Redis), and a person's
        # first read fills it with 2 SQL statements; measured is reading again. Later rounds,
        # minutes later, find the entries still filled.
        Scenario("board", "team board, week, with me", "json",
                 rotate(gets["/api/v1/leaderboards/teams?period=week"]), warmup_s=8.0),
        Scenario("summary", "my summary", "json", rotate(gets["/api/v1/me/summary"])),
        Scenario("redeem", "redeem a hot reward", "commit", redeem),
    ]
    if report_route:
        found.append(Scenario("report", f"institution report ({who['year']})", "json", report))
        found.extend(console_scenarios(host, who, admins))
    return found


def console_scenarios(host: str, who: dict, admin_tokens: list[str]) -> list[Scenario]:
    """Console pages beside the JSON reads they show (a page may cost at most 3x its read)."""
    coordinator = who["coordinator"]
    cookies = console.session_cookies(database_url(), SECRET,
                                      [a[0] for a in who["admins"]] + [coordinator[0]])
    boss = {"Authorization": f"Bearer {mint_tokens([coordinator])[0]}"}
    year = who["year"]

    def as_admin(path: str, n: int, cookie: bool) -> bytes:
        admin = who["admins"][n % len(who["admins"])]
        headers = ({"Cookie": cookies[admin[0]]} if cookie
                   else {"Authorization": f"Bearer {admin_tokens[n % len(admin_tokens)]}"})
        return http_request("GET", path.format(org=admin[2], year=year), host, headers)

    region_json = http_request("GET", f"/api/v1/reports/region?year={year}", host, boss)
    region_page = http_request("GET", f"/console/region?year={year}", host,
                               {"Cookie": cookies[coordinator[0]]})
    return [
        Scenario("console_dashboard", "console: institution dashboard", "report",
                 lambda n: as_admin("/console/orgs/{org}", n, True)),
        Scenario("counter_json", "pending redemptions (JSON)", "json",
                 lambda n: as_admin("/api/v1/orgs/{org}/redemptions?status=pending", n, False)),
        Scenario("console_counter", "console: redemption counter", "counter_json",
                 lambda n: as_admin("/console/orgs/{org}/counter", n, True)),
        Scenario("region_json", f"region report ({year}, JSON)", "json", lambda n: region_json),
        Scenario("console_region", "console: region comparison", "region_json",
                 lambda n: region_page),
    ]


def needed_baselines(wanted: set[str]) -> set[str]:
    """A console page is measured with the JSON read it is compared with."""
    pairs = {"console_dashboard": "report", "console_counter": "counter_json",
             "console_region": "region_json"}
    return {pairs[key] for key in wanted if key in pairs}


def report_route_exists() -> bool:
    os.environ.update(server_env())
    from app import create_app

    app = create_app()
    return any(rule.rule.startswith("/api/v1/reports/orgs/") for rule in app.url_map.iter_rules())


def checkpoint(analyze: bool = False) -> None:
    """Leave the database as a running service would have it before a scenario.

    VACUUM (and ANALYZE with `analyze`, 2 s, at the start of each round) does what
    autovacuum would: this machine's PostgreSQL runs without it, so the hot rows' dead
    versions piled up from run to run, and the planner kept the seed's statistics (the
    report read an organisation's days by a sequential scan). CHECKPOINT writes what
    earlier scenarios left dirty now, rather than during the next one (a run measured the
    board right after the batch at half its rate while a checkpoint was writing)."""
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)" if analyze else "VACUUM")
        conn.execute("CHECKPOINT")


ROUND_SPAN = 10_000_000  # request numbers per round: client ids and keys never repeat


def measure(server, scenario: Scenario, connections: int, duration_s: float,
            round_number: int = 1) -> dict:
    if scenario.baseline == "commit" or scenario.key == "commit":
        clear_redis()  # burst-guard windows of earlier scenarios
    checkpoint()
    # Each round numbers its requests from its own range: a write of round 2 is new, not
    # a replay of one of round 1.
    offset = (round_number - 1) * ROUND_SPAN
    result: LoadResult = run_load(server.host, server.port,
                                  lambda n: scenario.factory(offset + n),
                                  connections=connections, duration_s=duration_s,
                                  warmup_s=(scenario.warmup_s if round_number == 1 else None)
                                  or min(2.0, duration_s / 4),
                                  count_marker=scenario.count_marker)
    items_per_s = (result.marked / result.duration_s if scenario.count_marker
                   else result.rps * scenario.per_request)
    row = {"key": scenario.key, "label": scenario.label, "baseline": scenario.baseline,
           "requests": result.count, "ok": result.ok, "failures": result.failures,
           "statuses": {str(k): v for k, v in result.statuses.items()},
           "rps": round(result.rps, 1), "p50_ms": round(result.p50, 2),
           "p99_ms": round(result.p99, 2), "activities_per_s": None}
    if scenario.key in ("log", "batch"):
        row["activities_per_s"] = round(items_per_s, 1)
    if result.failures:
        row["sample_failure"] = result.sample_failure
    log(f"  {scenario.label:<40} {row['rps']:>8.1f} req/s  p50 {row['p50_ms']:>7.2f} ms"
        f"  p99 {row['p99_ms']:>8.2f} ms" + (f"  FAILURES {result.failures}: "
                                               f"{result.sample_failure[:160]}"
                                               if result.failures else ""))
    return row


def with_ratios(rows: list[dict]) -> list[dict]:
    """One round's rows, each with its rate over its baseline's in the same round."""
    by_key = {r["key"]: r for r in rows}
    for row in rows:
        base = by_key.get(row["baseline"] or "")
        # A batch is compared by activities credited, not by requests.
        rate = row.get("activities_per_s") or row["rps"]
        row["ratio"] = round(rate / base["rps"], 3) if base and base["rps"] else None
    return rows


def _median(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def merged(rounds: list[list[dict]]) -> list[dict]:
    """The rounds' rows as one row per scenario: the median of each figure over the
    rounds (a ratio is the median of the rounds' own ratios), every round's rate kept."""
    rows = []
    for index, first in enumerate(rounds[0]):
        mine = [found[index] for found in rounds]
        row = {**first, "rounds_rps": [r["rps"] for r in mine]}
        for key in ("rps", "p50_ms", "p99_ms", "activities_per_s", "ratio"):
            value = _median([r.get(key) for r in mine])
            row[key] = None if value is None else round(value, 3 if key == "ratio" else 1)
        for key in ("requests", "ok", "failures"):
            row[key] = sum(r[key] for r in mine)
        row["statuses"] = {}
        for r in mine:
            for status, n in r["statuses"].items():
                row["statuses"][status] = row["statuses"].get(status, 0) + n
        failed = next((r["sample_failure"] for r in mine if r.get("sample_failure")), None)
        if failed:
            row["sample_failure"] = failed
        rows.append(row)
    return rows


def targets(rounds: list[list[dict]], report_built: bool) -> list[dict]:
    """Each target checked in every round; met when the median of the rounds meets it."""
    per_round = [_round_targets(rows, report_built) for rows in rounds]
    checks = []
    for index, first in enumerate(per_round[0]):
        values = [found[index]["value"] for found in per_round]
        value = _median(values)
        value = None if value is None else round(value, 3)
        checks.append({"target": first["target"], "value": value,
                       "rounds": values, "met": None if value is None
                       else first["met_at"](value)})
    return checks


def _round_targets(rows: list[dict], report_built: bool) -> list[dict]:
    by_key = {r["key"]: r for r in rows}
    checks = []
    for key, (_base, wanted, text) in TARGETS.items():
        checks.append({"target": text, "value": by_key.get(key, {}).get("ratio"),
                       "met_at": lambda v, wanted=wanted: v >= wanted})
    log_rate = by_key.get("log", {}).get("activities_per_s")
    batch_rate = by_key.get("batch", {}).get("activities_per_s")
    factor = round(batch_rate / log_rate, 2) if log_rate and batch_rate else None
    checks.append({"target": "batch of 20 credits >= 10x the activities/s of single posts",
                   "value": factor, "met_at": lambda v: v >= 10})
    for key in CONSOLE_PAGES:
        checks.append({"target": f"{by_key.get(key, {}).get('label', key)}: within 3x its "
                                 "JSON read (rate >= 33% of it)",
                       "value": by_key.get(key, {}).get("ratio"),
                       "met_at": lambda v: v >= 1 / 3})
    board, report = by_key.get("board"), by_key.get("report")
    slower = (round(board["rps"] / report["rps"], 2)
              if report_built and board and report and report["rps"] else None)
    checks.append({"target": "institution report (1M activities) within 3x a board read",
                   "value": slower, "met_at": lambda v: v <= 3})
    return checks


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                  .splitlines() if line.startswith("MemTotal"))
    with psycopg.connect(database_url()) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "postgresql": pg,
            "kernel": platform.release()}


def configured_setup() -> ServerSetup:
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return ServerSetup(conf["workers"], conf.get("worker_class", "sync"), conf.get("threads", 1))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="one round of 5 s per scenario, no files written")
    parser.add_argument("--duration", type=float,
                        help="seconds per scenario in each round (default 7)")
    parser.add_argument("--rounds", type=int, help="rounds of the whole sequence (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--worker-class")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--only", help="comma-separated scenario keys")
    parser.add_argument("--no-write", action="store_true", help="print only, keep files")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A TERM (a CI timeout, kill) unwinds like Ctrl-C, so gunicorn and the load
    # generator are stopped by their context managers instead of being orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    duration = args.duration or (5.0 if args.quick else 7.0)
    rounds_wanted = args.rounds or (1 if args.quick else 3)
    started = time.perf_counter()
    seed_s = prepare_database(args.reseed, seed.SeedSize())
    conf = configured_setup()
    setup = ServerSetup(args.workers or conf.workers, args.worker_class or conf.worker_class,
                        args.threads or conf.threads)
    report_built = report_route_exists()
    who = people()
    log(f"load generator ceiling ({args.connections} connections, trivial server):")
    top = ceiling(free_port(), args.connections, min(duration, 5.0))
    log(f"  {top.rps:.0f} req/s  p50 {top.p50:.2f} ms  p99 {top.p99:.2f} ms")
    log(f"server: {setup.label()}; {args.connections} connections, {rounds_wanted} round(s) of "
        f"{duration:.0f} s per scenario")
    rounds: list[list[dict]] = []
    log_path = ROOT / "bench" / "results" / "gunicorn.log"
    log_path.parent.mkdir(exist_ok=True)
    log_path.unlink(missing_ok=True)
    server_started = time.time()
    with served(server_env(), setup, log_path=log_path,
                app_target="bench.probe:create_app()") as server:
        wanted = set(args.only.split(",")) if args.only else None
        found = scenarios(server.address, who, report_built)
        wait_for_board_check(server, found[0], server_started)
        chosen = [scenario for scenario in found
                  if wanted is None or scenario.key in wanted or scenario.baseline is None
                  or scenario.key in needed_baselines(wanted)]
        for number in range(1, rounds_wanted + 1):
            log(f"round {number} of {rounds_wanted}")
            checkpoint(analyze=True)
            rounds.append(with_ratios([measure(server, scenario, args.connections, duration,
                                               round_number=number)
                                       for scenario in chosen]))
    rows = merged(rounds)
    if not report_built:
        rows.append({"key": "report", "label": "institution report", "baseline": "json",
                     "rps": None, "p50_ms": None, "p99_ms": None, "ratio": None,
                     "activities_per_s": None, "note": "n/a (not built)"})
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "server": {"workers": setup.workers, "worker_class": setup.worker_class,
                   "threads": setup.threads, "database": f"PostgreSQL {DB_NAME}",
                   "redis": f"{REDIS_URL} prefix {REDIS_PREFIX}"},
        "load": {"connections": args.connections, "duration_s": duration,
                 "rounds": rounds_wanted,
                 "generator": "bench/loadgen.py (asyncio, keep-alive, one process)",
                 "ceiling_rps": round(top.rps), "ceiling_p50_ms": round(top.p50, 2)},
        "seed": {"activities": seed.SeedSize().activities, "staff": seed.SeedSize().staff,
                 "teams": sum(o[4] for o in seed.ORGS), "orgs": len(seed.ORGS),
                 "prepare_s": round(seed_s, 1)},
        "scenarios": rows,
        "targets": targets(rounds, report_built),
        "total_s": round(time.perf_counter() - started, 1),
    }
    print_table(results)
    if not (args.quick or args.no_write):
        out = ROOT / "bench" / "results" / f"{results['date'][:10]}.json"
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        write_benchmarks_md(results, ROOT / "BENCHMARKS.md")
        log(f"wrote {out.relative_to(ROOT)} and BENCHMARKS.md")
    return 0


def print_table(results: dict) -> None:
    from bench.report import table_lines, target_lines

    print()
    for line in table_lines(results):
        print(line)
    print()
    for line in target_lines(results):
        print(line)
    print(f"\ntotal {results['total_s']:.0f} s (database ready in {results['seed']['prepare_s']}"
          " s)")


if __name__ == "__main__":
    sys.exit(main())
