"""The service's one clock: every "now" comes from here, so tests and demos can set it.

The app owns a `Clock` (`app.extensions["clock"]`); routes read it through `now_utc()`
and hand the instant to services as `now`. `CLOCK_START` (ISO 8601 with an offset)
starts a process at another instant; the clock then runs on from there.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset (`Z` allowed); a naive time is refused."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value.astimezone(UTC)


class Clock:
    """Wall time, or time running on from a set instant, or time frozen at one."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self.set(start)

    def set(self, at: datetime | None, *, frozen: bool = False) -> None:
        """Run from `at` (None: the real time); frozen, `now()` stays at `at` until moved."""
        if at is not None and at.tzinfo is None:
            raise ValueError("the clock takes aware datetimes only")
        if frozen and at is None:
            raise ValueError("a frozen clock needs an instant")
        with self._lock:
            self._anchor = at.astimezone(UTC) if at is not None else None
            self._anchor_monotonic = time.monotonic()
            self._frozen = frozen

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop the clock at `at` (default: now) and return that instant."""
        instant = self.now() if at is None else at
        self.set(instant, frozen=True)
        return instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by `delta`, keeping it frozen or running as it was."""
        instant = self.now() + delta
        self.set(instant, frozen=self._frozen)
        return instant

    def now(self) -> datetime:
        with self._lock:
            if self._anchor is None:
                return datetime.now(UTC)
            if self._frozen:
                return self._anchor
            return self._anchor + timedelta(seconds=time.monotonic() - self._anchor_monotonic)


def clock_from_config(config) -> Clock:
    start = config.get("CLOCK_START")
    return Clock(parse_instant(start) if start else None)


def now_utc() -> datetime:
    """The current app's time (outside an app context, e.g. a bare script: the real time)."""
    if has_app_context():
        return current_app.extensions["clock"].now()
    return datetime.now(UTC)
