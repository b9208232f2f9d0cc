"""Fixed-window rate limits: in Redis when it is there, else per process."""

from __future__ import annotations

import threading
import time

from app import metrics
from app.errors import RateLimited
from app.redis_store import RedisGateway

_local_counts: dict[str, tuple[int, int]] = {}
_local_lock = threading.Lock()


def _count_locally(key: str, window_s: int, now_s: float) -> tuple[int, int]:
    window = int(now_s // window_s)
    with _local_lock:
        start, count = _local_counts.get(key, (window, 0))
        if start != window:
            start, count = window, 0
        _local_counts[key] = (start, count + 1)
        if len(_local_counts) > 100_000:  # bounded memory when many names are tried
            _local_counts.clear()
    return count + 1, int((window + 1) * window_s - now_s) + 1


def check_rate(gateway: RedisGateway | None, name: str, limit: int, window_s: int,
               now_s: float | None = None) -> None:
    """Count one hit of `name`; raise 429 with Retry-After once `limit` is passed."""
    now_s = time.time() if now_s is None else now_s
    window = int(now_s // window_s)
    retry_after = int((window + 1) * window_s - now_s) + 1
    count = None
    if gateway is not None:
        key = gateway.key("rate", name, window)

        def hit(client):
            pipe = client.pipeline()
            pipe.incr(key)
            pipe.expire(key, window_s + 1)
            return pipe.execute()[0]

        count = gateway.run(hit)
    if count is None:
        count, retry_after = _count_locally(name, window_s, now_s)
    if count > limit:
        # The limit's name only ("login", "activities"): never who was refused.
        metrics.RATE_LIMIT_REFUSALS.labels(name.split(":", 1)[0]).inc()
        raise RateLimited(retry_after)
