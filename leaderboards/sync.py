"""Rebuild and reconcile: Redis boards recomputed from the database.

A rebuild (the boards are missing) writes every board into temporary keys and swaps them
in atomically. A reconcile (the boards exist but may have missed updates while Redis was
away) must not undo the updates that land while it runs, so it never overwrites a board:
it reads Redis, reads the database, waits `IN_FLIGHT_S` and reads Redis again, and
corrects only the members that did not move meanwhile, each by the difference, by a
script that adds it only if the member still holds the value read. A member that moved
is left to the next pass. A board the database no longer has is deleted, under WATCH, if
nothing touched it meanwhile.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import redis
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


# A commit's board update follows its COMMIT within the same request: a member that did
# not move for this long around the database read has no update in flight.
IN_FLIGHT_S = 1.0

# ARGV[1]: a JSON list of [kind ("z" sorted set | "h" hash), key, member, value read,
# difference, ttl ("0": none)]; answers how many were corrected.
CORRECT_SCRIPT = """
local done = 0
for _, r in ipairs(cjson.decode(ARGV[1])) do
  local now
  if r[1] == 'z' then now = redis.call('ZSCORE', r[2], r[3])
  else now = redis.call('HGET', r[2], r[3]) end
  if tonumber(now or '0') == tonumber(r[4]) then
    if r[1] == 'z' then redis.call('ZINCRBY', r[2], r[5], r[3])
    else redis.call('HINCRBY', r[2], r[3], r[5]) end
    if r[6] ~= '0' and redis.call('TTL', r[2]) < 0 then redis.call('EXPIRE', r[2], r[6]) end
    done = done + 1
  end
end
return done
"""


@dataclass
class SyncReport:
    boards: int = 0
    written: int = 0  # boards swapped in (rebuild) or members corrected (reconcile)
    removed: int = 0
    unsettled: int = 0  # members that differed but moved while read: left to the next pass


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


def _board_keys(client, pattern: str) -> list[str]:
    return [k for k in client.scan_iter(match=pattern, count=1000) if ":tmp:" not in k]


def _without_zeros(board: dict[str, int]) -> dict[str, int]:
    return {m: v for m, v in board.items() if v}


def sync_period(gateway: RedisGateway, session: Session, period: Period, now: datetime,
                force: bool, in_flight_s: float = IN_FLIGHT_S) -> SyncReport:
    """Make one period's boards equal the database: rebuild them all (force) or correct
    what drifted (module docstring)."""
    if not force:
        return _reconcile_period(gateway, session, period, now, in_flight_s)
    zsets, hashes = expected_boards(gateway, period_rows(session, period), period)
    ttl = seconds_to_keep(period, now)
    pattern = gateway.key("lb", period.key) + ":*"

    def run(client):
        stale = [k for k in _board_keys(client, pattern) if k not in zsets and k not in hashes]
        token = secrets.token_hex(4)
        build = client.pipeline(transaction=False)
        for key, board in [*zsets.items(), *hashes.items()]:
            temp = f"{key}:tmp:{token}"
            build.delete(temp)
            if key in zsets:
                build.zadd(temp, board)
            else:
                build.hset(temp, mapping=board)
            build.expire(temp, 600)
        build.execute()
        # One MULTI: readers see the old boards or the new ones, never a mixture.
        swap = client.pipeline(transaction=True)
        for key in stale:
            swap.delete(key)
        for key in [*zsets, *hashes]:
            swap.rename(f"{key}:tmp:{token}", key)
            if ttl:
                swap.expire(key, ttl)
        swap.execute()
        return SyncReport(boards=len(zsets) + len(hashes), written=len(zsets) + len(hashes),
                          removed=len(stale))

    return _answered(gateway.run(run))


def _reconcile_period(gateway: RedisGateway, session: Session, period: Period,
                      now: datetime, in_flight_s: float) -> SyncReport:
    pattern = gateway.key("lb", period.key) + ":*"
    before = _answered(gateway.run(lambda client: _current(client,
                                                             _board_keys(client, pattern))))
    zsets, hashes = expected_boards(gateway, period_rows(session, period), period)
    if in_flight_s:
        time.sleep(in_flight_s)
    ttl = str(seconds_to_keep(period, now) or 0)
    correct = gateway.script(CORRECT_SCRIPT)

    def run(client):
        keys = _board_keys(client, pattern)
        after = _current(client, keys)
        report = SyncReport(boards=len(zsets) + len(hashes))
        corrections = []
        for key in sorted(set(zsets) | set(hashes) | set(after)):
            expected = zsets.get(key, hashes.get(key))
            if expected is None:
                report.removed += _remove_if_unmoved(client, key, after[key])
                continue
            kind = "z" if key in zsets else "h"
            read, earlier = after.get(key, {}), before.get(key, {})
            for member in sorted(set(expected) | set(read)):
                value = read.get(member, 0)
                if value == expected.get(member, 0):
                    continue
                if value != earlier.get(member, 0):
                    report.unsettled += 1
                    continue
                corrections.append([kind, key, member, str(value),
                                    str(expected.get(member, 0) - value), ttl])
        if corrections:
            report.written = int(correct(args=[json.dumps(corrections)], client=client))
            report.unsettled += len(corrections) - report.written
        return report

    return _answered(gateway.run(run))


def _remove_if_unmoved(client, key: str, read: dict[str, int]) -> int:
    """Delete a board the database does not have, unless it changed since it was read."""
    with client.pipeline(transaction=True) as pipe:
        try:
            pipe.watch(key)
            if _current(client, [key]).get(key) != read:
                return 0
            pipe.multi()
            pipe.delete(key)
            pipe.execute()
            return 1
        except redis.WatchError:
            return 0


def _answered(answer):
    if answer is None:
        raise ConnectionError("Redis is not reachable")
    return answer


def sync_boards(gateway: RedisGateway, session: Session, now: datetime, *, force: bool,
                echo: Callable[[str], None] | None = None,
                in_flight_s: float = IN_FLIGHT_S) -> SyncReport:
    """Rebuild (force) or reconcile every live board, then mark the boards ready. A rebuild
    also forgets the cached people and teams (`app.directory`): data loaded around the API
    (a restore, a seeding script) is read again."""
    if force:
        forget_everything(gateway)
    total = SyncReport()
    for period in live_periods(session, now):
        report = sync_period(gateway, session, period, now, force, in_flight_s)
        total.boards += report.boards
        total.written += report.written
        total.removed += report.removed
        total.unsettled += report.unsettled
        if echo:
            echo(f"  {period.key:<14} {report.boards:>6} boards, {report.written:>6} written, "
                 f"{report.removed:>4} removed")
    gateway.run(lambda client: client.set(gateway.key(READY), now.isoformat()))
    return total
