"""Fixed-window rate limits shared by every worker and node: in Redis when it answers, else in
the database (`rate_counters`, one row per limited name, bumped by one atomic upsert).

A limit counted per process would multiply by the number of workers, so there is no
in-process fallback. The database counter runs on a connection of its own and commits at
once: a hit counts even when the request it guards fails and rolls back (a wrong password).
Call it before the request's own session starts a transaction (on SQLite that transaction
holds the write lock until the request ends).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import bindparam, case, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import metrics
from app.clock import now_utc
from app.errors import RateLimited
from app.models import RateCounter
from app.redis_store import RedisGateway

# Old windows are swept now and then, so names tried once do not pile up.
SWEEP_PROBABILITY = 0.01

# One hit: the window's counter, given its lifetime when the hit creates it.
_HIT_SCRIPT = ("local n = redis.call('incr', KEYS[1]) "
               "if n == 1 then redis.call('expire', KEYS[1], ARGV[1]) end return n")
# Give a hit back only while its window still holds it (a decrement past 0 would create one).
_REFUND_SCRIPT = ("if redis.call('exists', KEYS[1]) == 1 then "
                  "return redis.call('decr', KEYS[1]) end return 0")


def check_rate(gateway: RedisGateway | None, name: str, limit: int, window_s: int,
               now_s: float | None = None) -> None:
    """Count one hit of `name`; raise 429 with Retry-After once `limit` is passed. Windows
    follow the app's clock (`app.clock`), as every other "now" does."""
    now_s = now_utc().timestamp() if now_s is None else now_s
    window = int(now_s // window_s)
    retry_after = int((window + 1) * window_s - now_s) + 1
    count = None
    if gateway is not None:
        key = gateway.key("rate", name, window)
        hit = gateway.script(_HIT_SCRIPT)
        count = gateway.run(lambda client: hit(keys=[key], args=[window_s + 1], client=client))
    if count is None:
        count = _count_in_database(name, window, (window + 1) * window_s, now_s)
    if count > limit:
        # The limit's name only ("login", "activities"): never who was refused.
        metrics.RATE_LIMIT_REFUSALS.labels(name.split(":", 1)[0]).inc()
        raise RateLimited(retry_after)


def refund_rate(gateway: RedisGateway | None, name: str, window_s: int,
                now_s: float | None = None) -> None:
    """Give back one hit of `name` in the current window (a budget that counts failures only)."""
    now_s = now_utc().timestamp() if now_s is None else now_s
    window = int(now_s // window_s)
    done = None
    if gateway is not None:
        key = gateway.key("rate", name, window)
        refund = gateway.script(_REFUND_SCRIPT)
        done = gateway.run(lambda client: refund(keys=[key], client=client))
    if done is None:
        with counter_transaction() as conn:
            conn.execute(update(RateCounter)
                         .where(RateCounter.name == name, RateCounter.window_no == window,
                                RateCounter.hits > 0)
                         .values(hits=RateCounter.hits - 1))


@contextmanager
def counter_transaction() -> Iterator:
    """A connection of the counters' own, committed when the block ends."""
    from app.extensions import db

    with db.engine.begin() as conn:
        yield conn


def _count_in_database(name: str, window: int, expires_at: int, now_s: float) -> int:
    with counter_transaction() as conn:
        count = conn.execute(_hit_statement(conn.dialect.name),
                             {"name": name, "window_no": window, "expires_at": expires_at}
                             ).scalar_one()
        if random.random() < SWEEP_PROBABILITY:
            conn.execute(delete(RateCounter).where(RateCounter.expires_at < int(now_s)))
    return count


@cache
def _hit_statement(dialect: str):
    """INSERT ... ON CONFLICT: one more hit in the same window, or the first of a new one."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = RateCounter.__table__
    stmt = insert(table).values(name=bindparam("name"), window_no=bindparam("window_no"),
                                hits=1, expires_at=bindparam("expires_at"))
    same_window = table.c.window_no == stmt.excluded.window_no
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={
        "hits": case((same_window, table.c.hits + 1), else_=1),
        "window_no": stmt.excluded.window_no,
        "expires_at": stmt.excluded.expires_at,
    })
    return stmt.returning(table.c.hits)
