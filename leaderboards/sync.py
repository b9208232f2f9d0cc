"""Rebuild and reconcile: Redis boards recomputed from the database, swapped in atomically."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import DEFAULT_TIMEZONE, local_day
from app.directory import forget_everything
from app.models import Organisation
from app.redis_store import RedisGateway
from leaderboards.periods import Period, periods_of_day, seconds_to_keep
from leaderboards.queries import period_rows
from leaderboards.store import READY, participation_boards, scored_boards

Boards = dict[str, dict[str, int]]  # key -> member -> score (zsets) or field -> value (hashes)


@dataclass
class SyncReport:
    boards: int = 0
    written: int = 0
    removed: int = 0


def live_periods(session: Session, now: datetime) -> list[Period]:
    """The current week, month, year and all-time periods of every organisation's zone."""
    zones = set(session.scalars(select(Organisation.timezone).distinct())) or {DEFAULT_TIMEZONE}
    seen: dict[str, Period] = {}
    for zone in sorted(zones):
        for period in periods_of_day(local_day(now, zone), zone):
            seen.setdefault(period.key, period)
    return list(seen.values())


def _add(boards: Boards, key: str, member: object, value: int) -> None:
    board = boards.setdefault(key, {})
    board[str(member)] = board.get(str(member), 0) + value


def expected_boards(gateway: RedisGateway, rows, period: Period) -> tuple[Boards, Boards]:
    """(sorted sets, hashes) a period's boards must hold, from its grouped rows."""
    zsets: Boards = {}
    hashes: Boards = {}
    entries_of: dict[tuple[str, str, int, int], int] = defaultdict(int)
    base = gateway.key("lb", period.key)
    for org, team, user, grams, points, entries in rows:
        for board, member in scored_boards(base, org, team, user):
            _add(zsets, f"{board}:co2e", member, grams)
            _add(zsets, f"{board}:points", member, points)
        for counter, board, member in participation_boards(base, org, team):
            entries_of[(counter, board, member, user)] += entries
    for (counter, board, member, user), entries in entries_of.items():
        _add(hashes, counter, user, entries)
        if entries > 0:
            _add(zsets, board, member, 1)
    return zsets, hashes


def _current(client, keys: list[str]) -> dict[str, dict[str, int]]:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.type(key)
    types = pipe.execute()
    pipe = client.pipeline(transaction=False)
    for key, kind in zip(keys, types, strict=True):
        if kind == "zset":
            pipe.zrange(key, 0, -1, withscores=True)
        else:
            pipe.hgetall(key)
    found = {}
    for key, content in zip(keys, pipe.execute(), strict=True):
        items = content if isinstance(content, list) else content.items()
        found[key] = {str(m): int(float(v)) for m, v in items}
    return found


def _without_zeros(board: dict[str, int]) -> dict[str, int]:
    return {m: v for m, v in board.items() if v}


def sync_period(gateway: RedisGateway, session: Session, period: Period, now: datetime,
                force: bool) -> SyncReport:
    """Make one period's boards equal the database: all of them (force) or those that drifted."""
    zsets, hashes = expected_boards(gateway, period_rows(session, period), period)
    ttl = seconds_to_keep(period, now)
    pattern = gateway.key("lb", period.key) + ":*"

    def run(client):
        existing = [k for k in client.scan_iter(match=pattern, count=1000) if ":tmp:" not in k]
        current = _current(client, existing)
        expected = {**zsets, **hashes}
        stale = [k for k in existing if k not in expected]
        changed = [k for k, v in expected.items()
                   if force or _without_zeros(current.get(k, {})) != _without_zeros(v)]
        token = secrets.token_hex(4)
        build = client.pipeline(transaction=False)
        for key in changed:
            temp = f"{key}:tmp:{token}"
            build.delete(temp)
            if key in zsets:
                build.zadd(temp, zsets[key])
            else:
                build.hset(temp, mapping=hashes[key])
            build.expire(temp, 600)
        build.execute()
        # One MULTI: readers see the old boards or the new ones, never a mixture.
        swap = client.pipeline(transaction=True)
        for key in stale:
            swap.delete(key)
        for key in changed:
            swap.rename(f"{key}:tmp:{token}", key)
            if ttl:
                swap.expire(key, ttl)
        swap.execute()
        return SyncReport(boards=len(expected), written=len(changed), removed=len(stale))

    report = gateway.run(run)
    if report is None:
        raise ConnectionError("Redis is not reachable")
    return report


def sync_boards(gateway: RedisGateway, session: Session, now: datetime, *, force: bool,
                echo: Callable[[str], None] | None = None) -> SyncReport:
    """Rebuild (force) or reconcile every live board, then mark the boards ready. A rebuild
    also forgets the cached people and teams (`app.directory`): data loaded around the API
    (a restore, a seeding script) is read again."""
    if force:
        forget_everything(gateway)
    total = SyncReport()
    for period in live_periods(session, now):
        report = sync_period(gateway, session, period, now, force)
        total.boards += report.boards
        total.written += report.written
        total.removed += report.removed
        if echo:
            echo(f"  {period.key:<14} {report.boards:>6} boards, {report.written:>6} written, "
                 f"{report.removed:>4} removed")
    gateway.run(lambda client: client.set(gateway.key(READY), now.isoformat()))
    return total
