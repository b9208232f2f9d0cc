"""`make test`: the whole suite on SQLite and on PostgreSQL side by side, with a real Redis.

The two runs share nothing (each has its own database and Redis key prefix), so they run
at the same time, one per core: SQLite's output streams, PostgreSQL's follows when both
are done. Outside CI a missing PostgreSQL or Redis is reported in one line and those
parts are skipped; under CI=true their absence is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import psycopg
import redis

PG_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def postgres_reachable() -> str | None:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
        return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def redis_reachable() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except redis.RedisError as exc:
        return str(exc)


def main() -> int:
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    pg_problem, redis_problem = postgres_reachable(), redis_reachable()
    if ci and (pg_problem or redis_problem):
        for name, problem in (("PostgreSQL", pg_problem), ("Redis", redis_problem)):
            if problem:
                print(f"FAIL: {name} is required under CI and is not reachable: {problem}")
        return 1
    if redis_problem:
        print(f"Redis not reachable at {REDIS_URL} ({redis_problem}): Redis tests skipped")
    env = dict(os.environ, TEST_REDIS=("" if redis_problem else REDIS_URL))
    if pg_problem:
        print(f"PostgreSQL not reachable at {PG_URL} ({pg_problem}): PostgreSQL run skipped")
        return run_suite(env, "sqlite", sys.argv[1:]).wait()
    with tempfile.TemporaryFile("w+") as postgres_output:
        print("SQLite run (the PostgreSQL run goes alongside; its output follows):", flush=True)
        postgres = run_suite(env, "postgresql", sys.argv[1:], postgres_output)
        sqlite_status = run_suite(env, "sqlite", sys.argv[1:]).wait()
        postgres_status = postgres.wait()
        postgres_output.seek(0)
        print("\nPostgreSQL run:", flush=True)
        sys.stdout.write(postgres_output.read())
    return sqlite_status or postgres_status


def run_suite(env: dict, database: str, pytest_args: list[str], output=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pytest", *pytest_args],
                            env=dict(env, TEST_DATABASE=database), stdout=output,
                            stderr=subprocess.STDOUT if output else None)


if __name__ == "__main__":
    sys.exit(main())
