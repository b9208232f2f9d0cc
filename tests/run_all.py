"""`make test`: the whole suite on SQLite, then on PostgreSQL, with a real Redis.

Outside CI a missing PostgreSQL or Redis is reported in one line and those parts
are skipped; under CI=true their absence is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys

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
    extra = sys.argv[1:]
    status = subprocess.call([sys.executable, "-m", "pytest", *extra],
                             env=dict(env, TEST_DATABASE="sqlite"))
    if pg_problem:
        print(f"PostgreSQL not reachable at {PG_URL} ({pg_problem}): PostgreSQL run skipped")
    else:
        status = subprocess.call([sys.executable, "-m", "pytest", *extra],
                                 env=dict(env, TEST_DATABASE="postgresql")) or status
    return status


if __name__ == "__main__":
    sys.exit(main())
