"""Two app nodes behind HAProxy, a PostgreSQL primary with a streaming replica, one Redis.

`make cluster` (python -m bench.cluster serve) starts it all on this machine, on free
loopback ports and in a temp dir, never touching the shared services on 5432/6379:

- PostgreSQL primary: initdb into the temp dir (bench/drill_stack.py, as the postgres OS
  user when we are root); the replica is `pg_basebackup -R -X stream` of it, started as a
  hot standby that streams from the primary;
- redis-server without persistence;
- two gunicorn nodes (gunicorn.conf.py) with DATABASE_URL on the primary and
  DATABASE_REPLICA_URL on the replica: reports read on the replica while it is in time;
- HAProxy in front, health-checking GET /readyz every second (deploy/haproxy.cfg is the
  production example of the same settings).

`make cluster-drill` (python -m bench.cluster drill) runs a logging, redemption and report
load through the balancer, stops one app node (TERM: it drains, then stops), then the
replica, then kills Redis for a few seconds (every node's /readyz turns 503: the balancer
must keep sending to the live nodes), and checks what the issue asks; it prints a table
and exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import psycopg

from bench.drill_checks import Check, sql_invariants, stored_activities, truth_user_points
from bench.drill_http import Fault, Job, LoadResult, get_json, run_paced
from bench.drill_stack import (
    SECRET_KEY,
    Gunicorn,
    PrivatePostgres,
    PrivateRedis,
    _pg_bin,
    free_port,
    tear_down,
    wait_until,
)
from bench.drills import ENTRIES, DrillReport, Person, activity_jobs, make_app, seed_region

NODES = 2
WORKERS_PER_NODE = 2
THREADS_PER_WORKER = 4
DRAIN_S = 3.0  # READINESS_DRAIN_SECONDS: > HAProxy's inter 1s x fall 2
REWARD_COST = 10
REDEEMER_POINTS = 1000


# --- the processes -------------------------------------------------------------------------

def make_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o755)
    return path


@dataclass
class Replica(PrivatePostgres):
    """A hot standby made by pg_basebackup -R: it streams from the primary on its own."""

    def init_from(self, primary: PrivatePostgres) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run([_pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                   "-U", "postgres", "-D", str(self.data), "-R", "-X", "stream",
                   "--checkpoint=fast", "--no-sync"])
        self.start()


@dataclass
class Balancer:
    """HAProxy: round robin over the nodes, /readyz checked every second, /metrics refused;
    when no node is ready (Redis away everywhere: /readyz is 503 on all of them, yet they
    answer from the database) the live ones still serve."""

    root: Path
    servers: list[int]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def config(self) -> str:
        servers = "\n".join(f"    server node{n + 1} 127.0.0.1:{port} check"
                            for n, port in enumerate(self.servers))
        return f"""global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
frontend web
    bind 127.0.0.1:{self.port}
    http-request deny deny_status 403 if {{ path_beg /metrics }}
    unique-id-format %{{+X}}o%ci%cp%fp%Ts%ms%rt%pid
    http-request set-header X-Request-ID %[unique-id] unless {{ req.hdr(X-Request-ID) -m found }}
    option forwardfor
    use_backend live_nodes if {{ nbsrv(nodes) eq 0 }}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
{servers}
backend live_nodes
    balance roundrobin
    option httpchk GET /healthz
    default-server inter 1s fall 2 rise 2
{servers}
"""

    def start(self) -> None:
        path = self.root / "haproxy.cfg"
        path.write_text(self.config())
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        subprocess.run([haproxy, "-c", "-q", "-f", str(path)], check=True)
        log = open(self.root / "haproxy.log", "ab")  # noqa: SIM115 - the process keeps it
        self.process = subprocess.Popen([haproxy, "-db", "-f", str(path)], stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_until(lambda: _status(self.port, "/readyz") == 200, 20, "haproxy")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _status(port: int, path: str) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None


class Cluster:
    def __init__(self, keep: bool = False):
        self.root = make_dir(Path(tempfile.mkdtemp(prefix="lc-cluster-")))
        self.keep = keep
        self.postgres = PrivatePostgres(make_dir(self.root / "primary"))
        self.replica = Replica(make_dir(self.root / "replica"))
        self.redis = PrivateRedis(self.root)
        self.nodes: list[Gunicorn] = []
        self.balancer: Balancer | None = None
        self.reconcile_s = 5.0

    @property
    def replica_url(self) -> str:
        return self.replica.url

    def app_env(self) -> dict[str, str]:
        return {
            "APP_ENV": "production", "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": self.postgres.url, "DATABASE_REPLICA_URL": self.replica.url,
            "REDIS_URL": self.redis.url, "REDIS_REQUIRED": "true", "REDIS_PREFIX": "lc:",
            "ACCESS_TOKEN_TTL": "3600", "LEADERBOARD_RECONCILE_SECONDS": str(self.reconcile_s),
        }

    def start_databases(self) -> None:
        self.postgres.init()
        self.replica.init_from(self.postgres)
        self.redis.start()

    def start_nodes(self) -> None:
        env = {**os.environ, **self.app_env(), "FLASK_APP": "app",
               "WEB_CONCURRENCY": str(WORKERS_PER_NODE),
               "GUNICORN_THREADS": str(THREADS_PER_WORKER),
               "READINESS_DRAIN_SECONDS": str(DRAIN_S), "FORWARDED_FOR_HOPS": "1"}
        for name in ("ACCESS_LOG", "PROMETHEUS_MULTIPROC_DIR"):
            env.pop(name, None)
        for n in range(NODES):
            node = Gunicorn(make_dir(self.root / f"node{n + 1}"), env)
            node.start()
            self.nodes.append(node)
        self.balancer = Balancer(self.root, [node.port for node in self.nodes])
        self.balancer.start()

    @property
    def base(self) -> tuple[str, int]:
        assert self.balancer is not None
        return "127.0.0.1", self.balancer.port

    def replica_lag(self) -> tuple[int, float] | None:
        """(bytes, seconds) the replica's replay is behind the primary; None: not connected."""
        with psycopg.connect(self.postgres.url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), "
                               "coalesce(extract(epoch FROM replay_lag), 0) "
                               "FROM pg_stat_replication").fetchone()
        return None if row is None else (int(row[0]), float(row[1]))

    def close(self) -> None:
        tear_down([lambda: self.balancer and self.balancer.stop(),
                   *[node.stop for node in self.nodes], self.redis.kill,
                   lambda: self.replica.running() and self.replica.stop("immediate"),
                   lambda: self.postgres.running() and self.postgres.stop("immediate")],
                  self.root, self.keep)


# --- seeding beyond the drills' region ---------------------------------------------------------

@dataclass
class Extras:
    rewards: dict[int, int]  # org id -> reward id
    redeemers: list[Person]
    superadmin_token: str


def seed_extras(app, redeemers: list[Person]) -> Extras:
    """A reward per institution with ample stock, points for the redeemers, a superadmin."""
    from app.auth import issue_access_token, token_settings
    from app.clock import now_utc
    from app.extensions import db
    from app.models import User
    from points.ledger import credit_points
    from points.models import Reward, RewardStockMovement

    with app.app_context():
        now = now_utc()
        rewards = {}
        for org_id in sorted({p.org_id for p in redeemers}):
            reward = Reward(org_id=org_id, name="演练水杯", description="", cost_points=REWARD_COST,
                            stock=100_000, created_at=now, updated_at=now)
            db.session.add(reward)
            db.session.flush()
            db.session.add(RewardStockMovement(reward_id=reward.id, org_id=org_id, delta=100_000,
                                               stock_after=100_000, reason="初始库存",
                                               created_at=now))
            rewards[org_id] = reward.id
        for person in redeemers:
            credit_points(db.session, user_id=person.id, org_id=person.org_id,
                          team_id=person.team_id, delta=REDEEMER_POINTS, kind="bonus",
                          source_type="drill", source_id=f"seed-{person.id}", now=now)
        admin = User(username="drill_superadmin", display_name="演练超级管理员", role="superadmin")
        db.session.add(admin)
        db.session.flush()
        token = issue_access_token(SimpleNamespace(id=admin.id, role="superadmin", org_id=None,
                                                 token_version=0),
                                   token_settings(app.config), now)
        db.session.commit()
        db.session.remove()
    return Extras(rewards, redeemers, token)


# --- phase A: what two nodes share ---------------------------------------------------------------

def post_activity(port: int, person: Person, rng: random.Random) -> int | None:
    behaviour, quantity = rng.choice(ENTRIES)
    body = json.dumps({"type": behaviour, "quantity": quantity,
                       "client_id": f"shared-{uuid.uuid4().hex}"})
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/api/v1/activities", body=body,
                     headers={"Authorization": f"Bearer {person.token}",
                              "Content-Type": "application/json"})
        return conn.getresponse().status
    except OSError:
        return None


def shared_state_checks(report: DrillReport, cluster: Cluster, people: list[Person],
                        extras: Extras) -> None:
    from activities.routes import LOG_REQUESTS_PER_WINDOW

    rng = random.Random(5)
    ports = [node.port for node in cluster.nodes]
    # One person logs alternately on node 1 and node 2: the burst guard counts both together.
    person = people[0]
    tries = LOG_REQUESTS_PER_WINDOW + 10
    statuses = [post_activity(ports[n % 2], person, rng) for n in range(tries)]
    accepted, refused = statuses.count(201), statuses.count(429)
    report.figures.append(("rate limit across nodes",
                           f"{tries} logs by one person alternating nodes: {accepted} accepted, "
                           f"{refused} refused (limit {LOG_REQUESTS_PER_WINDOW})"))
    report.check("rate limits shared across nodes",
                 (accepted, refused) == (LOG_REQUESTS_PER_WINDOW, tries - LOG_REQUESTS_PER_WINDOW),
                 f"{accepted} accepted, {refused} refused")
    # Logged on node 1, read on node 2: the same board, equal to the activities table.
    for other in people[1:6]:
        post_activity(ports[0], other, rng)
    boards_equal = True
    for org_id in sorted({p.org_id for p in people}):
        viewer = next(p for p in people if p.org_id == org_id)
        truth = truth_user_points(cluster.postgres.url, org_id, 100)
        for port in ports:
            _, board = get_json("127.0.0.1", port, "/api/v1/leaderboards/users?period=all"
                                "&metric=points&limit=100", viewer.token)
            got = [(e["id"], e["value"]) for e in (board or {}).get("entries", []) if e["value"]]
            boards_equal &= got == truth
    report.check("boards shared across nodes (node 1 writes, both read the same = SQL)",
                 boards_equal)
    report.check("/metrics refused through the balancer",
                 _status(cluster.base[1], "/metrics") == 403)


# --- phase B: the load, a node stopped, the replica stopped ------------------------------

def drill_jobs(people: list[Person], extras: Extras, count: int, rng: random.Random) -> list[Job]:
    """Mostly logging; one in eight a redemption, one in sixteen a region report."""
    logs = activity_jobs(people, count, "cl", rng)
    jobs = []
    for n, job in enumerate(logs):
        if n % 16 == 8:
            jobs.append(Job("GET", "/api/v1/reports/region", extras.superadmin_token))
        elif n % 8 == 4:
            person = extras.redeemers[n % len(extras.redeemers)]
            key = f"cl-{uuid.UUID(int=rng.getrandbits(128)).hex}"
            jobs.append(Job("POST", f"/api/v1/rewards/{extras.rewards[person.org_id]}/redeem",
                            person.token, None, person.id, headers={"Idempotency-Key": key}))
        else:
            jobs.append(job)
    return jobs


def kind_of(job: Job) -> str:
    if job.path.endswith("/redeem"):
        return "redeem"
    return "report" if job.path.startswith("/api/v1/reports") else "log"


def cause_of(outcome) -> str:
    if outcome.status is None:
        return f"no answer ({outcome.error})"
    return f"{outcome.status} {outcome.code or ''}".strip()


def metric(port: int, name: str, **labels: str) -> float:
    """One sample of a node's /metrics (loopback may read it), 0 when absent."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    except OSError:
        return 0.0
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
                     if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def load_checks(report: DrillReport, cluster: Cluster, load: LoadResult, faults: list[Fault],
                in_flight_bound: int) -> None:
    by_kind: dict[str, int] = {}
    for outcome in load.outcomes:
        by_kind[kind_of(outcome.job)] = by_kind.get(kind_of(outcome.job), 0) + 1
    failures: dict[str, int] = {}
    for outcome in load.failed():
        failures[cause_of(outcome)] = failures.get(cause_of(outcome), 0) + 1
    report.figures += [
        ("requests", f"{len(load.outcomes)} in {load.duration:.1f} s "
                     + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items()))),
        ("failures by cause", ", ".join(f"{k}: {v}" for k, v in sorted(failures.items()))
         or "none"),
    ]
    for fault in faults:
        report.figures.append((fault.label, f"t={fault.started:.1f}s .. {fault.ended:.1f}s"
                               + (f" ERROR {fault.error}" if fault.error else "")))
        if fault.error:
            report.check(f"fault injected: {fault.label}", False, fault.error)
    server_side = [o for o in load.failed() if o.status is None or o.status >= 500]
    report.check(f"no 5xx or dropped request beyond the stopped node's in-flight "
                 f"({in_flight_bound})", len(server_side) <= in_flight_bound,
                 f"{len(server_side)} 5xx/no answer")
    client_side = [o for o in load.failed() if o.status is not None and o.status < 500]
    report.check("no request refused (4xx)", not client_side, f"{len(client_side)} refused")


def writes_checks(report: DrillReport, url: str, load: LoadResult) -> None:
    logs = [o for o in load.outcomes if kind_of(o.job) == "log" and o.status == 201]
    stored = stored_activities(url, [(o.job.user_id, o.job.body["client_id"]) for o in logs])
    wrong = sum(1 for o in logs if stored.get((o.job.user_id, o.job.body["client_id"]),
                                              {}).get("id") != o.body.get("id"))
    twice = sum(1 for v in stored.values() if v["ledger"] != (1 if v["points"] else 0))
    redeemed = [o.body["redemption"]["id"] for o in load.outcomes
                if kind_of(o.job) == "redeem" and o.status == 201]
    keys = [o.job.headers["Idempotency-Key"] for o in load.outcomes if kind_of(o.job) == "redeem"]
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute("SELECT count(*) FROM redemptions WHERE id = ANY(%s)",
                             (redeemed,)).fetchone()[0]
        per_key = conn.execute("""
            SELECT count(*) FROM idempotency_keys k
            WHERE k.key = ANY(%s) AND k.scope = 'redeem'""", (keys,)).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM redemptions").fetchone()[0]
    report.figures.append(("writes checked", f"{len(logs)} activities answered 201, "
                           f"{len(redeemed)} redemptions answered 201"))
    report.check("every accepted activity stored once, credited once", wrong == 0 and twice == 0,
                 f"{wrong} missing/different, {twice} credited 0 or 2+ times")
    report.check("every accepted redemption stored once (one per Idempotency-Key)",
                 found == len(redeemed) and total <= per_key <= len(keys),
                 f"{found}/{len(redeemed)} found, {total} redemptions for {per_key} keys")


def replica_checks(report: DrillReport, load: LoadResult, replica_down_at: float,
                   reads: tuple[float, float], fallbacks: tuple[float, float]) -> None:
    after = [o for o in load.outcomes if kind_of(o.job) == "report"
             and o.started >= replica_down_at]
    served = sum(1 for o in after if o.status == 200)
    report.figures.append(("reports while the replica was down", f"{served}/{len(after)} "
                           "answered 200"))
    report.figures.append(("node 2 reports from replica / primary fallback",
                           f"{reads[1] - reads[0]:.0f} / {fallbacks[1] - fallbacks[0]:.0f}"))
    report.check("reports read on the replica while it was up", reads[1] > reads[0])
    report.check("reports served from the primary while the replica is down",
                 bool(after) and served == len(after) and fallbacks[1] > fallbacks[0],
                 f"{served}/{len(after)} ok, {fallbacks[1] - fallbacks[0]:.0f} fallbacks")


def run_drill(cluster: Cluster, app, people: list[Person], extras: Extras,
              args) -> DrillReport:
    report = DrillReport("Cluster drill: 2 nodes + HAProxy + primary/replica + Redis; "
                         "node 1 stopped, then the replica, under load")
    shared_state_checks(report, cluster, people[:40], extras)
    survivor = cluster.nodes[1].port
    reads0 = metric(survivor, "lc_replica_reads_total")
    fallbacks0 = metric(survivor, "lc_replica_fallbacks_total", reason="away")
    rng = random.Random(19)
    jobs = drill_jobs(people[40:], extras, int(args.rate * args.duration), rng)
    faults = [Fault(args.duration * 0.3, "node 1 stopped (TERM: drain, finish in flight)",
                    cluster.nodes[0].stop),
              Fault(args.duration * 0.6, "replica stopped (fast)",
                    lambda: cluster.replica.stop("fast")),
              Fault(args.duration * 0.75, "redis killed (every /readyz 503)", cluster.redis.kill),
              Fault(args.duration * 0.9, "redis restarted (empty)", cluster.redis.start)]
    lags: list[tuple[int, float]] = []
    samples = [Fault(args.duration * share, "replica lag sampled",
                     lambda: lags.append(cluster.replica_lag() or (-1, -1.0)))
               for share in (0.1, 0.2, 0.4, 0.5)]
    load = run_paced(jobs, *cluster.base, rate=args.rate, threads=args.threads,
                     faults=faults + samples)
    load_checks(report, cluster, load, faults, WORKERS_PER_NODE * THREADS_PER_WORKER)
    worst = max(lags, key=lambda lag: lag[1], default=(-1, -1.0))
    report.figures.append(("replica replay lag under load (max of 4)",
                           f"{worst[1] * 1000:.0f} ms, {max(b for b, _ in lags)} bytes "
                           f"(bound for reports: REPLICA_MAX_LAG_SECONDS=30)"))
    report.check("replica streaming within the staleness bound under load",
                 all(b >= 0 for b, _ in lags) and worst[1] <= 30)
    writes_checks(report, cluster.postgres.url, load)
    replica_checks(report, load, faults[1].ended or 0.0,
                   (reads0, metric(survivor, "lc_replica_reads_total")),
                   (fallbacks0, metric(survivor, "lc_replica_fallbacks_total", reason="away")))
    for check in sql_invariants(cluster.postgres.url):
        report.checks.append(Check("SQL: " + check.name, check.passed,
                                   "" if check.passed else check.detail))
    return report


# --- main -----------------------------------------------------------------------------------

def start(cluster: Cluster, staff: int) -> tuple[object, list[Person], Extras]:
    started = time.monotonic()
    cluster.start_databases()
    app = make_app(cluster)
    people = seed_region(app, staff)
    extras = seed_extras(app, people[1::7])
    wait_until(lambda: (cluster.replica_lag() or (1, 0))[0] == 0, 30,
               "the replica to catch up")
    cluster.start_nodes()
    print(f"cluster up in {time.monotonic() - started:.0f} s: HAProxy http://127.0.0.1:"
          f"{cluster.balancer.port} -> nodes :{', :'.join(str(n.port) for n in cluster.nodes)}; "
          f"PostgreSQL primary :{cluster.postgres.port}, replica :{cluster.replica.port}; "
          f"Redis :{cluster.redis.port}; {len(people)} staff; temp dir {cluster.root}")
    return app, people, extras


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["serve", "drill"])
    parser.add_argument("--rate", type=float, default=20, help="requests started per second")
    parser.add_argument("--duration", type=float, default=40, help="seconds of load")
    parser.add_argument("--threads", type=int, default=24, help="concurrent clients")
    parser.add_argument("--staff", type=int, default=200, help="people per institution")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    return parser.parse_args(argv)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)  # runs the finally block: processes and temp dir go


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cluster = Cluster(keep=args.keep)
    try:
        app, people, extras = start(cluster, args.staff)
        if args.command == "serve":
            print(f"a staff token: {people[0].token}\nCtrl-C stops everything.")
            while True:
                time.sleep(3600)
        report = run_drill(cluster, app, people, extras, args)
        report.print()
        if not report.passed:
            for node in cluster.nodes:
                print(f"  {node.root.name} log (tail):\n" + node.log_tail(10))
        return 0 if report.passed else 1
    except KeyboardInterrupt:
        print("\nstopping the cluster")
        return 130
    finally:
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
