"""Where one request's CPU goes: the app's Python, PostgreSQL and Redis, per scenario.

    .venv/bin/python -m bench.cpu                    # every scenario, 3,000 requests each
    .venv/bin/python -m bench.cpu --only log,commit --requests 5000

The bench's own database and Redis (`bench.run` seeds them; this reuses what it left),
the app in this process through Flask's test client (no gunicorn, no load generator),
one request at a time. For each scenario: the process's own CPU per request
(`time.process_time`), and the CPU the PostgreSQL and Redis server processes spent
meanwhile (read from /proc, so run it on a quiet machine). A warm-up pass first reads as
every person of the scenario once, so cached entries (app.directory) are filled as they
are under load.

The last lines turn the two write targets (70% of the commit baseline) into a budget: what
a request may cost in all to reach them, and what is left for its Python once PostgreSQL
and Redis have taken theirs.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bench import run as bench_run

SCENARIOS = ("json", "commit", "log", "batch", "board", "redeem", "report")
TYPES = ("metro", "bus", "walk", "cycle", "stairs", "pc_off", "lights_off", "duplex_print",
         "video_meeting", "ebike")
PEOPLE = 2000  # distinct staff a scenario cycles through


@dataclass
class Cost:
    python_ms: float
    postgres_ms: float
    redis_ms: float

    @property
    def total_ms(self) -> float:
        return self.python_ms + self.postgres_ms + self.redis_ms


def server_cpu_s(prefix: str) -> float:
    """CPU seconds spent so far by every process whose name starts with `prefix`."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        if text[text.index("(") + 1:text.rindex(")")].startswith(prefix):
            fields = text[text.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in ticks
    return total / os.sysconf("SC_CLK_TCK")


def requests_of(client, who: dict) -> dict[str, Callable[[int], object]]:
    run = uuid.uuid4().hex[:8]
    staff = [{"Authorization": f"Bearer {t}"}
             for t in bench_run.mint_tokens(who["staff"][:PEOPLE])]
    reward_id, reward_org = who["reward"]
    redeemers = [{"Authorization": f"Bearer {t}"} for t in bench_run.mint_tokens(
        [p for p in who["staff"] if p[2] == reward_org][:PEOPLE])]
    admins = bench_run.mint_tokens(who["admins"])
    year = who["year"]

    def report(n):
        admin = who["admins"][n % len(admins)]
        return client.get(f"/api/v1/reports/orgs/{admin[2]}?year={year}",
                          headers={"Authorization": f"Bearer {admins[n % len(admins)]}"})

    return {
        "json": lambda n: client.get("/_probe/json", headers=staff[n % PEOPLE]),
        "commit": lambda n: client.post("/_probe/commit", headers=staff[n % PEOPLE]),
        "log": lambda n: client.post("/api/v1/activities", headers=staff[n % PEOPLE], json={
            "type": "metro", "quantity": 1, "client_id": f"{run}-{n}"}),
        "batch": lambda n: client.post("/api/v1/activities/batch",
                                       headers=staff[(n * 7) % PEOPLE], json={"items": [
                                           {"type": TYPES[i % len(TYPES)], "quantity": 1,
                                            "client_id": f"{run}-b{n}-{i}"}
                                           for i in range(bench_run.BATCH)]}),
        "board": lambda n: client.get("/api/v1/leaderboards/teams?period=week",
                                      headers=staff[n % PEOPLE]),
        "redeem": lambda n: client.post(
            f"/api/v1/rewards/{reward_id}/redeem",
            headers={**redeemers[n % len(redeemers)], "Idempotency-Key": f"{run}-r{n}"}),
        "report": report,
    }


def measure(send: Callable[[int], object], requests: int, first: int) -> Cost:
    for n in range(first, first + PEOPLE):  # every person once: their entries are cached
        response = send(n)
        assert response.status_code < 300, (response.status_code, response.get_data()[:300])
    bench_run.clear_redis()  # the burst guard's windows
    postgres, redis_s = server_cpu_s("postgres"), server_cpu_s("redis")
    python = time.process_time()
    for n in range(first + PEOPLE, first + PEOPLE + requests):
        send(n)
    python = time.process_time() - python
    postgres, redis_s = server_cpu_s("postgres") - postgres, server_cpu_s("redis") - redis_s
    return Cost(*(1000 * seconds / requests for seconds in (python, postgres, redis_s)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated scenarios: " + ",".join(SCENARIOS))
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args(argv)
    os.environ.update(bench_run.server_env())
    import logging

    from bench.probe import create_app

    app = create_app()
    logging.getLogger("app.request").setLevel(logging.WARNING)  # one line per request
    send = requests_of(app.test_client(), bench_run.people())
    wanted = args.only.split(",") if args.only else SCENARIOS
    costs = {}
    print(f"{'scenario':<8} {'python':>8} {'postgres':>9} {'redis':>7} {'total':>7}  ms/request")
    for index, name in enumerate(wanted):
        costs[name] = cost = measure(send[name], args.requests, first=1_000_000 * (index + 1))
        print(f"{name:<8} {cost.python_ms:8.3f} {cost.postgres_ms:9.3f} {cost.redis_ms:7.3f}"
              f" {cost.total_ms:7.3f}")
    if "commit" in costs:
        budget = costs["commit"].total_ms / 0.70
        print(f"70% of the commit baseline: at most {budget:.3f} ms per request in all")
        for name in ("log", "redeem"):
            if name in costs:
                servers = costs[name].postgres_ms + costs[name].redis_ms
                print(f"  {name}: PostgreSQL and Redis take {servers:.3f} ms, leaving "
                      f"{budget - servers:.3f} ms of Python (the baseline's own: "
                      f"{costs['commit'].python_ms:.3f} ms; {name}'s now: "
                      f"{costs[name].python_ms:.3f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
