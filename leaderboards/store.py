"""Boards in Redis: sorted sets per period, scope and metric.

Keys (under the gateway prefix), P a period key (w2026-11-23, m2026-11, y2026, all):
  lb:ready                      set once a full rebuild has landed; absent -> read SQL
  lb:lock                       the lease of the one worker running a rebuild or reconcile
  lb:pass-begun                 when the latest such pass began (a worker's start-up check)
  lb:P:uo:{org}:{metric}        people of an organisation   (metric co2e | points)
  lb:P:ut:{team}:{metric}       people of a team
  lb:P:to:{org}:{metric}        teams of an organisation    (metric co2e | points | part)
  lb:P:o:{metric}               organisations               (metric co2e | points | part)
  lb:P:eo:{org}, lb:P:et:{team} hash person -> entries, to count participants once
Scores are integers (grams, points, people). Everything here is rebuilt from SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from app.redis_store import RedisGateway
from leaderboards.periods import Period, periods_of_day, seconds_to_keep
from points.contributions import ContributionChange

READY = "lb:ready"
LOCK = "lb:lock"
PASS_BEGUN = "lb:pass-begun"  # when the latest rebuild or reconcile began (Unix seconds)


def board_key(gateway: RedisGateway, period: Period, scope: str, scope_id: object,
              metric: str) -> str:
    if scope == "o":
        return gateway.key("lb", period.key, "o", metric)
    return gateway.key("lb", period.key, scope, scope_id, metric)


LARGE_BATCH = 100  # contributions committed at once, beyond which readiness is asked first

# Applies a contribution's increments in one round trip. The board layout stays in Python
# (`scored_boards`, `participation_boards`): the script only adds, keeps the keys' TTLs and
# moves a person on a participation board when their entries cross zero. HINCRBY answers
# the new count inside the script, so each writer sees its own transition exactly however
# many write at once. KEYS[1] is the ready flag; ARGV[1] a JSON list of records (strings):
#   ["z", key, member, amount, ttl]                          add to a sorted set
#   ["p", counter, person, entries, board, member, ttl]      count entries, move participation
# (a ttl of "0": the key does not expire). One JSON argument rather than hundreds of
# arguments: the client encodes arguments one by one in Python.
APPLY_SCRIPT = """
for _, r in ipairs(cjson.decode(ARGV[1])) do
  if r[1] == 'z' then
    redis.call('ZINCRBY', r[2], r[4], r[3])
    if r[5] ~= '0' then redis.call('EXPIRE', r[2], r[5]) end
  else
    local entries = tonumber(r[4])
    local new = redis.call('HINCRBY', r[2], r[3], entries)
    local old = new - entries
    if r[7] ~= '0' then redis.call('EXPIRE', r[2], r[7]) end
    if (old <= 0 and new > 0) or (new <= 0 and old > 0) then
      redis.call('ZINCRBY', r[5], new > 0 and 1 or -1, r[6])
      if r[7] ~= '0' then redis.call('EXPIRE', r[5], r[7]) end
    end
  end
end
return redis.call('EXISTS', KEYS[1])
"""


def apply_changes(gateway: RedisGateway, changes: Iterable[ContributionChange],
                  now: datetime) -> bool | None:
    """Add committed contributions to every board they count on: True when done, False
    when done but the boards are not built (reads answer from SQL until a rebuild), None
    when Redis did not answer (the boards are repaired once it does)."""
    changes = list(changes)
    if not changes:
        return True
    if len(changes) > LARGE_BATCH:
        # Bulk writes (seeding a history): tens of thousands of increments would go to
        # boards a rebuild replaces anyway, so ask first whether any are built.
        ready = gateway.run(lambda client: client.exists(gateway.key(READY)))
        if not ready:
            return None if ready is None else False
    records: list[list[str]] = []
    for change in changes:
        for period in periods_of_day(change.day):
            _add_change(records, gateway.key("lb", period.key), change,
                        str(seconds_to_keep(period, now) or 0))
    script = gateway.script(APPLY_SCRIPT)
    return gateway.run(lambda client: script(keys=[gateway.key(READY)],
                                             args=[json.dumps(records)], client=client) == 1)


def scored_boards(base: str, org: int, team: int | None, user: int) -> list[tuple[str, int]]:
    """(board without its metric, member) a contribution adds its grams and points to.
    The one layout of the boards: updates after commit and rebuilds both follow it."""
    boards = [(f"{base}:uo:{org}", user), (f"{base}:o", org)]
    if team is not None:
        boards += [(f"{base}:ut:{team}", user), (f"{base}:to:{org}", team)]
    return boards


def participation_boards(base: str, org: int, team: int | None) -> list[tuple[str, str, int]]:
    """(entries per person hash, participation board, member) a contribution counts on."""
    boards = [(f"{base}:eo:{org}", f"{base}:o:part", org)]
    if team is not None:
        boards.append((f"{base}:et:{team}", f"{base}:to:{org}:part", team))
    return boards


def _add_change(records: list, base: str, change: ContributionChange, ttl: str) -> None:
    """One contribution's records (`APPLY_SCRIPT`) on one period's boards."""
    user, org, team = change.user_id, change.org_id, change.team_id
    grams, points = str(change.co2e_g), str(change.points)
    for board, member in scored_boards(base, org, team, user):
        records.append(["z", f"{board}:co2e", str(member), grams, ttl])
        records.append(["z", f"{board}:points", str(member), points, ttl])
    if change.entries:
        for counter, board, member in participation_boards(base, org, team):
            records.append(["p", counter, str(user), str(change.entries), board, str(member),
                            ttl])


NOT_BUILT = False  # what a read answers when Redis is up but the boards are not built


def read_people(gateway: RedisGateway, key: str, last_index: int, me_id: int | None,
                hidden_ids: list[int]) -> tuple[list, float | None, int] | bool | None:
    """(top [(member, score)], my score, visible people above me); NOT_BUILT when the boards
    are not built yet, None when Redis cannot answer."""

    def run(client):
        pipe = client.pipeline(transaction=False)
        pipe.exists(gateway.key(READY))
        pipe.zrevrange(key, 0, last_index, withscores=True)
        pipe.zscore(key, "" if me_id is None else me_id)
        if hidden_ids:
            pipe.zmscore(key, hidden_ids)
        ready, top, mine, *hidden = pipe.execute()
        if ready != 1:
            return NOT_BUILT
        if mine is None:
            return top, None, 0
        if len(top) <= last_index or top[-1][1] < mine:
            above = sum(1 for _, score in top if score > mine)  # all of them are in the top
        else:
            above = client.zcount(key, f"({mine}", "+inf")
        hidden_scores = hidden[0] if hidden else []
        above -= sum(1 for score in hidden_scores if score is not None and score > mine)
        return top, mine, above

    answer = gateway.run(run)
    if answer is None or answer is NOT_BUILT:
        return answer
    top, mine, above = answer
    return ([(member, float(score)) for member, score in top],
            None if mine is None else float(mine), int(above))


def is_ready(gateway: RedisGateway) -> bool | None:
    return gateway.run(lambda client: bool(client.exists(gateway.key(READY))))
