"""The one door to Redis. Redis is optional and never the truth.

Every call goes through `RedisGateway.run`, which answers None instead of raising
when Redis is slow or away, and stops trying for a few seconds after a failure so
a dead Redis costs no request more than one short timeout (no retry storms).
Whoever uses it must be able to answer from the database.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.commands.core import Script

from app import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")
_every_gateway: weakref.WeakSet = weakref.WeakSet()


class RedisGateway:
    def __init__(self, url: str, prefix: str = "lc:", timeout_s: float = 0.1,
                 cooldown_s: float = 2.0):
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s,
            retry_on_timeout=False, health_check_interval=0, decode_responses=True)
        self._cooldown_s = cooldown_s
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.failures = 0
        # Called (once) when Redis answers again after an outage: boards reconcile then.
        self.on_recovery: list[Callable[[], None]] = []
        self._was_down = False
        self._scripts: dict[str, Script] = {}
        _every_gateway.add(self)

    def key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    def script(self, source: str) -> Script:
        """A Lua script called by its digest (EVALSHA), loaded again when Redis lost it."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts.setdefault(source, self.client.register_script(source))
        return script

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def run(self, operation: Callable[[redis.Redis], T]) -> T | None:
        """Run one operation (or pipeline); None when Redis cannot answer now."""
        if not self.available:
            metrics.REDIS_FALLBACKS.inc()
            return None
        try:
            result = operation(self.client)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            self._mark_down(exc)
            metrics.REDIS_FALLBACKS.inc()
            return None
        if self._was_down:
            self._recovered()
        return result

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def _mark_down(self, exc: Exception) -> None:
        with self._lock:
            self.failures += 1
            self._was_down = True
            self._down_until = time.monotonic() + self._cooldown_s
        log.warning("redis unavailable (%s); answering from the database", exc.__class__.__name__)

    def _recovered(self) -> None:
        with self._lock:
            if not self._was_down:
                return
            self._was_down = False
        metrics.REDIS_RECONNECTS.inc()
        log.info("redis answering again")
        for callback in list(self.on_recovery):
            try:
                callback()
            except Exception:  # noqa: BLE001 - recovery work must not fail a request
                log.exception("redis recovery callback failed")


def all_gateways() -> list[RedisGateway]:
    """Every gateway of this process (one per app): for work committed outside an app."""
    return list(_every_gateway)


def get_gateway(app) -> RedisGateway | None:
    return app.extensions.get("redis_gateway")


def init_redis(app) -> None:
    from app.config import ConfigError

    url = app.config.get("REDIS_URL")
    gateway = RedisGateway(url, prefix=app.config.get("REDIS_PREFIX", "lc:")) if url else None
    if app.config.get("REDIS_REQUIRED") and (gateway is None or not _answers(gateway)):
        raise ConfigError("REDIS_URL does not answer and REDIS_REQUIRED=true "
                          "(start Redis, fix REDIS_URL, or set REDIS_REQUIRED=false)")
    app.extensions["redis_gateway"] = gateway


def _answers(gateway: RedisGateway, attempts: int = 3) -> bool:
    """A few tries a short while apart: Redis may be starting next to us."""
    for attempt in range(attempts):
        if gateway.ping():
            return True
        if attempt + 1 < attempts:
            time.sleep(0.5)
    return False
