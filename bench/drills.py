"""Fault drills against the real service: `make drills` (python -m bench.drills).

Starts a private PostgreSQL cluster, redis-server and gunicorn (bench/drill_stack.py; the
machine's shared services are never touched), seeds a small region and runs:

1. Redis killed (SIGKILL) during a logging load, restarted seconds later: no request
   fails, and once Redis is back the boards in Redis equal the SQL truth within a bound.
2. PostgreSQL stopped (immediate, i.e. crashed) during the load and started again:
   requests fail fast with 503 service_unavailable (never 500), the service recovers
   without a restart, every 201 is stored, and nothing is half-written (SQL invariants).
3. Clients lose 10% of answers and retry with the same client_id: every id is stored
   once, credited once, and a replay answers exactly what the original did.

Prints a table per drill and a PASS/FAIL summary; exits 1 if any drill fails.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

from bench.drill_checks import (
    Check,
    redis_board_drift,
    sql_invariants,
    stored_activities,
    truth_team_co2e,
    truth_user_points,
)
from bench.drill_http import Fault, Job, LoadResult, get_json, percentile, run_paced
from bench.drill_stack import Stack

# A failed request during an outage must answer within this (connect_timeout is 3 s).
FAIL_FAST_S = 3.0
# Requests started this long after PostgreSQL is back must all succeed.
RECOVERY_GRACE_S = 3.0
# Boards must equal SQL this long after the load, at most: a few reconcile periods.
BOARD_SETTLE_S = 30.0
BOARD_PERIODS = 3
# (behaviour, quantity): a mix of commuting, office and canteen entries that earn points.
ENTRIES = [("metro", "12.5"), ("bus", "8"), ("cycle", "3.2"), ("lights_off", "6"),
           ("duplex_print", "20"), ("own_cup", "1"), ("video_meeting", "30"),
           ("ac_setpoint", "2"), ("walk", "1.5")]
ORGS = [("北京市演练机关", "beijing", "government"), ("天津市演练学校", "tianjin", "school"),
        ("河北省演练医院", "hebei", "hospital")]
TEAMS_PER_ORG = 4


@dataclass
class Person:
    id: int
    org_id: int
    team_id: int
    token: str


@dataclass
class DrillReport:
    name: str
    figures: list[tuple[str, object]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def check(self, name: str, passed: bool, detail: str = "") -> None:
        self.checks.append(Check(name, passed, detail))

    def print(self) -> None:
        print(f"\n== {self.name} ==")
        width = max([len(label) for label, _ in self.figures] + [10])
        for label, value in self.figures:
            print(f"  {label:<{width}}  {value}")
        print("  checks:")
        for c in self.checks:
            print(f"    [{'PASS' if c.passed else 'FAIL'}] {c.name}"
                  + (f"  ({c.detail})" if c.detail else ""))
        print(f"  => {'PASS' if self.passed else 'FAIL'}")


# --- setup ---------------------------------------------------------------------------------

def make_app(stack: Stack):
    """The app in this process, on the drill's database: migrations, seeding, tokens, checks."""
    os.environ.update({**stack.app_env(), "LEADERBOARD_RECONCILE_SECONDS": "0"})
    from app import create_app

    app = create_app()
    logging.getLogger().setLevel(logging.ERROR)  # the drill prints its own figures
    return app


def seed_region(app, staff_per_org: int) -> list[Person]:
    """Three institutions, four teams each, `staff_per_org` people each; tokens minted."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app.auth import issue_access_token, token_settings
    from app.clock import now_utc
    from app.extensions import db
    from app.models import Organisation, Team, User

    people = []
    with app.app_context():
        logging.disable(logging.WARNING)  # alembic's line per revision
        upgrade()
        logging.disable(logging.NOTSET)
        settings = token_settings(app.config)
        now = now_utc()
        for org_n, (name, region, sector) in enumerate(ORGS):
            org = Organisation(name=name, region=region, sector=sector,
                               headcount=staff_per_org, floor_area_m2=10000)
            db.session.add(org)
            db.session.flush()
            teams = [Team(org_id=org.id, name=f"第{n + 1}组") for n in range(TEAMS_PER_ORG)]
            db.session.add_all(teams)
            db.session.flush()
            rows = [{"username": f"drill{org_n}_{n:04d}", "display_name": f"演练员工{n}",
                     "org_id": org.id, "team_id": teams[n % TEAMS_PER_ORG].id, "role": "staff"}
                    for n in range(staff_per_org)]
            for uid, org_id, team_id in db.session.execute(
                    insert(User).returning(User.id, User.org_id, User.team_id), rows):
                claims = SimpleNamespace(id=uid, role="staff", org_id=org_id, token_version=0)
                people.append(Person(uid, org_id, team_id,
                                     issue_access_token(claims, settings, now)))
        db.session.commit()
        db.session.remove()
    return people


def activity_jobs(people: list[Person], count: int, tag: str, rng: random.Random,
                  drop_probability: float = 0.0) -> list[Job]:
    """`count` POST /activities, round-robin over people, each with its own client_id."""
    jobs = []
    for n in range(count):
        person = people[n % len(people)]
        behaviour, quantity = rng.choice(ENTRIES)
        body = {"type": behaviour, "quantity": quantity,
                "client_id": f"{tag}-{uuid.UUID(int=rng.getrandbits(128)).hex}"}
        jobs.append(Job("POST", "/api/v1/activities", person.token, body, person.id,
                        drop_probability))
    return jobs


# --- reporting helpers ---------------------------------------------------------------------

def load_figures(report: DrillReport, load: LoadResult) -> None:
    failed = load.failed()
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(load.by_status().items(), key=str))
    failed_latency = [o.latency for o in failed]
    all_latency = [o.latency for o in load.outcomes]
    report.figures += [
        ("requests", f"{len(load.outcomes)} in {load.duration:.1f} s "
                     f"({len(load.outcomes) / max(load.duration, 0.001):.0f}/s)"),
        ("answers by status", statuses),
        ("ok / failed", f"{len(load.outcomes) - len(failed)} / {len(failed)}"),
        ("latency p50 / p99 / max (all)",
         f"{percentile(all_latency, 0.5) * 1000:.0f} / {percentile(all_latency, 0.99) * 1000:.0f}"
         f" / {max(all_latency, default=0) * 1000:.0f} ms"),
        ("latency p99 / max (failed)",
         f"{percentile(failed_latency, 0.99) * 1000:.0f} / "
         f"{max(failed_latency, default=0) * 1000:.0f} ms"),
    ]


def fault_figures(report: DrillReport, faults: list[Fault]) -> None:
    for fault in faults:
        report.figures.append((fault.label, f"t={fault.started:.1f}s .. {fault.ended:.1f}s"
                               + (f" ERROR {fault.error}" if fault.error else "")))
        if fault.error:
            report.check(f"fault injected: {fault.label}", False, fault.error)


def stored_check(report: DrillReport, url: str, load: LoadResult) -> dict:
    """Every 201 is stored under the id it answered, and credited as it said."""
    created = [o for o in load.outcomes if o.status == 201 and o.body]
    stored = stored_activities(url, [(o.job.user_id, o.job.body["client_id"]) for o in created])
    missing = sum(1 for o in created
                  if stored.get((o.job.user_id, o.job.body["client_id"]), {}).get("id")
                  != o.body.get("id"))
    report.check("every 201 is stored under its answered id", missing == 0,
                 f"{len(created)} answered 201, {missing} missing or different")
    return stored


def add_invariants(report: DrillReport, url: str) -> None:
    for check in sql_invariants(url):
        report.checks.append(Check("SQL: " + check.name, check.passed,
                                   "" if check.passed else check.detail))


# --- drill 1: Redis killed -----------------------------------------------------------------

def warm_up(stack: Stack, people: list[Person], args) -> None:
    """Reads that load every worker's code paths and trigger the first board rebuild, so no
    drill measures a cold start."""
    rng = random.Random(0)
    paths = ["/api/v1/activity-types", "/api/v1/me/summary",
             "/api/v1/leaderboards/users?period=week&metric=points"]
    jobs = [Job("GET", rng.choice(paths), rng.choice(people).token) for _ in range(120)]
    run_paced(jobs, *stack.base, rate=60, threads=args.threads)
    time.sleep(2 * stack.reconcile_s)


def board_reads(people: list[Person], count: int, rng: random.Random) -> list[Job]:
    paths = ["/api/v1/leaderboards/users?period=week&metric=points",
             "/api/v1/leaderboards/teams?period=week&metric=co2e",
             "/api/v1/leaderboards/users?period=all&metric=co2e"]
    return [Job("GET", rng.choice(paths), rng.choice(people).token) for _ in range(count)]


def http_boards_match(stack: Stack, people: list[Person]) -> tuple[bool, str]:
    """Boards read over HTTP equal totals summed from the activities table itself."""
    host, port = stack.base
    mismatches = []
    for org_id in sorted({p.org_id for p in people}):
        viewer = next(p for p in people if p.org_id == org_id)
        _, users = get_json(host, port, "/api/v1/leaderboards/users?period=all&metric=points"
                            "&limit=100", viewer.token)
        got = [(e["id"], e["value"]) for e in (users or {}).get("entries", []) if e["value"]]
        if got != truth_user_points(stack.postgres.url, org_id, 100):
            mismatches.append(f"org {org_id} users/points")
        _, teams = get_json(host, port, "/api/v1/leaderboards/teams?period=all&metric=co2e",
                            viewer.token)
        got = [(e["id"], e["value"]) for e in (teams or {}).get("entries", []) if e["value"]]
        if got != truth_team_co2e(stack.postgres.url, org_id):
            mismatches.append(f"org {org_id} teams/co2e")
    return not mismatches, ", ".join(mismatches) or "users/points and teams/co2e of 3 orgs"


def drill_redis_killed(stack: Stack, app, people: list[Person], args) -> DrillReport:
    report = DrillReport("Drill 1: Redis killed (SIGKILL) during a logging load")
    rng = random.Random(1)
    count = int(args.rate * args.duration)
    jobs = activity_jobs(people, count - count // 10, "d1", rng)
    for n, read in enumerate(board_reads(people, count // 10, rng)):
        jobs.insert(n * 10 + 5, read)
    faults = [Fault(args.duration * 0.25, "redis killed", stack.redis.kill),
              Fault(args.duration * 0.25 + args.outage, "redis restarted (empty)",
                    stack.redis.start)]
    load = run_paced(jobs, *stack.base, rate=args.rate, threads=args.threads, faults=faults)
    fault_figures(report, faults)
    load_figures(report, load)
    report.check("no request failed (all 201/200)", not load.failed(),
                 f"{len(load.failed())} failed")
    bound = BOARD_SETTLE_S + BOARD_PERIODS * stack.reconcile_s
    started = time.monotonic()
    ready, compared, differ = False, 0, -1
    while time.monotonic() - started < bound:
        ready, compared, differ = redis_board_drift(app)
        if ready and differ == 0:
            break
        time.sleep(0.5)
    waited = time.monotonic() - started
    report.figures.append(("boards equal SQL after", f"{waited:.1f} s after the load "
                           f"({compared} Redis boards compared, {max(differ, 0)} differ)"))
    report.check(f"Redis boards = SQL rollup within {bound:.0f} s "
                 f"(reconcile period {stack.reconcile_s:g} s)",
                 ready and differ == 0,
                 f"ready={ready}, {compared} compared, {differ} differ")
    matched, detail = http_boards_match(stack, people)
    report.check("boards over HTTP = sums of the activities table", matched, detail)
    stored_check(report, stack.postgres.url, load)
    add_invariants(report, stack.postgres.url)
    return report


# --- drill 2: PostgreSQL crashed and restarted ----------------------------------------------

def _outages(faults: list[Fault]) -> list[tuple[float, float]]:
    """(went away, was back) of each outage: stop..start, and the restart itself."""
    stop, start, restart = faults
    return [(stop.started or 0.0, start.ended or 0.0), (restart.started or 0.0,
                                                         restart.ended or 0.0)]


def _outage_checks(report: DrillReport, load: LoadResult, outages) -> None:
    failed = load.failed()
    wrong = [o for o in failed if o.status != 503 or o.code != "service_unavailable"]
    report.check("failures are 503 service_unavailable (no 500, no dropped connection)",
                 not wrong, f"{len(failed)} failed, {len(wrong)} otherwise"
                 + "".join(sorted({f", {o.status} {o.code or o.error}" for o in wrong})))
    # Requests already queued when PostgreSQL went away fail at that moment, however long
    # they had waited; failing fast is about requests that arrive while it is away.
    during = [o for o in failed if any(down <= o.started <= back for down, back in outages)]
    slowest = max((o.latency for o in during), default=0.0)
    report.figures.append(("failed while away: p99 / max",
                           f"{percentile([o.latency for o in during], 0.99) * 1000:.0f} / "
                           f"{slowest * 1000:.0f} ms ({len(during)} requests started during "
                           "an outage)"))
    report.check(f"requests during an outage fail fast (max < {FAIL_FAST_S:.0f} s)",
                 bool(during) and slowest < FAIL_FAST_S,
                 f"max {slowest * 1000:.0f} ms over {len(during)} failures")
    recovered = []
    for _down, back in outages:
        first_ok = min((o.started + o.latency for o in load.outcomes
                        if o.ok and o.started >= back), default=None)
        recovered.append(first_ok is not None)
        report.figures.append((f"first success after t={back:.1f}s",
                               f"{first_ok - back:.2f} s later" if first_ok else "none"))
    unexplained = [o for o in failed
                   if not any(down <= o.started + o.latency <= back + RECOVERY_GRACE_S
                              for down, back in outages)]
    report.check("recovers by itself (no gunicorn restart)",
                 all(recovered) and not unexplained,
                 f"{len(unexplained)} failures outside the outages + {RECOVERY_GRACE_S:.0f} s")


def drill_postgres_restarted(stack: Stack, people: list[Person], args) -> DrillReport:
    report = DrillReport("Drill 2: PostgreSQL crashed (stop -m immediate, start), then "
                         "restarted (-m fast) under load")
    rng = random.Random(2)
    jobs = activity_jobs(people, int(args.rate * args.duration), "d2", rng)
    faults = [Fault(args.duration * 0.25, "postgres stopped (immediate)",
                    lambda: stack.postgres.stop("immediate")),
              Fault(args.duration * 0.25 + args.outage, "postgres started (crash recovery)",
                    stack.postgres.start),
              Fault(args.duration * 0.7, "postgres restarted (fast)",
                    lambda: stack.postgres.restart("fast"))]
    load = run_paced(jobs, *stack.base, rate=args.rate, threads=args.threads, faults=faults)
    fault_figures(report, faults)
    load_figures(report, load)
    _outage_checks(report, load, _outages(faults))
    stored_check(report, stack.postgres.url, load)
    unsure = [o for o in load.failed() if o.job.body]
    kept = stored_activities(stack.postgres.url,
                             [(o.job.user_id, o.job.body["client_id"]) for o in unsure])
    report.figures.append(("failed requests stored anyway",
                           f"{len(kept)} of {len(unsure)} (committed, answer lost; a retry "
                           "with the same client_id gets it)"))
    add_invariants(report, stack.postgres.url)
    return report


# --- drill 3: lost answers and retries ------------------------------------------------------

def drill_lossy_client(stack: Stack, people: list[Person], args) -> DrillReport:
    report = DrillReport("Drill 3: clients lose 10% of answers and retry with the same key")
    rng = random.Random(3)
    jobs = activity_jobs(people, int(args.rate * args.duration), "d3", rng,
                         drop_probability=0.1)
    load = run_paced(jobs, *stack.base, rate=args.rate, threads=args.threads)
    load_figures(report, load)
    dropped = sum(o.dropped for o in load.outcomes)
    retried = sum(1 for o in load.outcomes if o.dropped)
    report.figures.append(("answers thrown away", f"{dropped} ({retried} ids retried)"))
    report.check("every id got a definitive 201", not load.failed(),
                 f"{len(load.failed())} did not")
    keys = {(o.job.user_id, o.job.body["client_id"]) for o in load.outcomes}
    stored = stored_activities(stack.postgres.url, sorted(keys))
    report.check("every distinct client_id stored exactly once", len(stored) == len(keys),
                 f"{len(keys)} ids, {len(stored)} stored")
    twice = [v for v in stored.values() if v["ledger"] != (1 if v["points"] else 0)]
    report.check("points credited exactly once (ledger entries = activities with points)",
                 not twice, f"{len(twice)} activities credited 0 or 2+ times")
    stored_check(report, stack.postgres.url, load)
    originals = [o for o in load.outcomes if o.status == 201][:args.replays]
    replays = run_paced([Job(o.job.method, o.job.path, o.job.token, o.job.body, o.job.user_id)
                         for o in originals], *stack.base, rate=args.rate * 2,
                        threads=args.threads)
    differ = sum(1 for o, r in zip(originals, replays.outcomes, strict=True)
                 if r.status != 201 or r.body != o.body)
    report.check("a replay answers exactly the original", differ == 0,
                 f"{len(originals)} replayed, {differ} differ")
    add_invariants(report, stack.postgres.url)
    return report


# --- main ----------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="1,2,3", help="drills to run, e.g. 1,3")
    parser.add_argument("--rate", type=float, default=30, help="requests started per second")
    parser.add_argument("--duration", type=float, default=24, help="seconds of load per drill")
    parser.add_argument("--outage", type=float, default=5, help="seconds a dependency is away")
    parser.add_argument("--threads", type=int, default=32, help="concurrent clients")
    parser.add_argument("--staff", type=int, default=300, help="people per institution")
    parser.add_argument("--replays", type=int, default=300, help="drill 3 deliberate replays")
    parser.add_argument("--reconcile", type=float, default=15,
                        help="LEADERBOARD_RECONCILE_SECONDS of the service")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    return parser.parse_args(argv)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)  # runs the finally blocks: processes and temp dir go


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = {int(n) for n in args.only.split(",") if n.strip()}
    signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C cleans up too, even where a shell started us with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    stack = Stack(reconcile_s=args.reconcile, keep=args.keep)
    reports: list[DrillReport] = []
    try:
        stack.start_dependencies()
        app = make_app(stack)
        people = seed_region(app, args.staff)
        stack.start_web()
        warm_up(stack, people, args)
        print(f"stack up in {time.monotonic() - started:.0f} s: PostgreSQL :{stack.postgres.port}"
              f", Redis :{stack.redis.port}, gunicorn :{stack.web.port}; "
              f"{len(people)} staff in {len(ORGS)} institutions")
        # Each drill logs for its own third of the staff (the burst guard is per person).
        groups = [people[k::3] for k in range(3)]
        drills = {1: lambda: drill_redis_killed(stack, app, groups[0], args),
                  2: lambda: drill_postgres_restarted(stack, groups[1], args),
                  3: lambda: drill_lossy_client(stack, groups[2], args)}
        for number in sorted(chosen):
            report = drills[number]()
            report.print()
            reports.append(report)
            if not report.passed:
                print("  gunicorn log (tail):\n" + stack.web.log_tail(15))
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the drill's processes")
        return 130
    finally:
        stack.close()
    print(f"\n== Summary ({time.monotonic() - started:.0f} s) ==")
    for report in reports:
        print(f"  {'PASS' if report.passed else 'FAIL'}  {report.name}")
    ok = len(reports) == len(chosen) and all(r.passed for r in reports)
    print("ALL DRILLS PASS" if ok else "DRILLS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
