"""Boards in Redis: sorted sets per period, scope and metric.

Keys (under the gateway prefix), P a period key (w2026-11-23, m2026-11, y2026, all):
  lb:ready                      set once a full rebuild has landed; absent -> read SQL
  lb:P:uo:{org}:{metric}        people of an organisation   (metric co2e | points)
  lb:P:ut:{team}:{metric}       people of a team
  lb:P:to:{org}:{metric}        teams of an organisation    (metric co2e | points | part)
  lb:P:o:{metric}               organisations               (metric co2e | points | part)
  lb:P:eo:{org}, lb:P:et:{team} hash person -> entries, to count participants once
Scores are integers (grams, points, people). Everything here is rebuilt from SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from app.redis_store import RedisGateway
from leaderboards.periods import Period, periods_of_day, seconds_to_keep
from points.contributions import ContributionChange

READY = "lb:ready"
LOCK = "lb:lock"

APPLY_SCRIPT = """
local prefix = ARGV[1]
if redis.call('EXISTS', prefix .. 'lb:ready') == 0 then return 0 end
local user, org, team = ARGV[2], ARGV[3], ARGV[4]
local co2e, points, entries = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local i = 8
while i <= #ARGV do
  local base, ttl = prefix .. 'lb:' .. ARGV[i] .. ':', tonumber(ARGV[i + 1])
  i = i + 2
  local touched = {}
  local function z(key, delta, member)
    redis.call('ZINCRBY', key, delta, member)
    touched[#touched + 1] = key
  end
  local function participation(counter, member, board, board_member)
    local new = redis.call('HINCRBY', counter, member, entries)
    touched[#touched + 1] = counter
    local old = new - entries
    if old <= 0 and new > 0 then z(board, 1, board_member) end
    if old > 0 and new <= 0 then z(board, -1, board_member) end
  end
  z(base .. 'uo:' .. org .. ':co2e', co2e, user)
  z(base .. 'uo:' .. org .. ':points', points, user)
  z(base .. 'o:co2e', co2e, org)
  z(base .. 'o:points', points, org)
  if team ~= '' then
    z(base .. 'ut:' .. team .. ':co2e', co2e, user)
    z(base .. 'ut:' .. team .. ':points', points, user)
    z(base .. 'to:' .. org .. ':co2e', co2e, team)
    z(base .. 'to:' .. org .. ':points', points, team)
  end
  if entries ~= 0 then
    participation(base .. 'eo:' .. org, user, base .. 'o:part', org)
    if team ~= '' then
      participation(base .. 'et:' .. team, user, base .. 'to:' .. org .. ':part', team)
    end
  end
  if ttl > 0 then
    for _, key in ipairs(touched) do redis.call('EXPIRE', key, ttl) end
  end
end
return 1
"""


# A people board's top and the caller's place in one round trip. KEYS: ready flag, board.
# ARGV: last index to read, the caller ('' for none), then the hidden people. Answers
# {0} when the boards are not built, else {1, top (member, score...), my score or false,
# how many visible people score above me}.
PEOPLE_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local top = redis.call('ZREVRANGE', KEYS[2], 0, tonumber(ARGV[1]), 'WITHSCORES')
if ARGV[2] == '' then return {1, top, false, 0} end
local mine = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not mine then return {1, top, false, 0} end
local above = redis.call('ZCOUNT', KEYS[2], '(' .. mine, '+inf')
for i = 3, #ARGV do
  local score = redis.call('ZSCORE', KEYS[2], ARGV[i])
  if score and tonumber(score) > tonumber(mine) then above = above - 1 end
end
return {1, top, mine, above}
"""


def board_key(gateway: RedisGateway, period: Period, scope: str, scope_id: object,
              metric: str) -> str:
    if scope == "o":
        return gateway.key("lb", period.key, "o", metric)
    return gateway.key("lb", period.key, scope, scope_id, metric)


def apply_changes(gateway: RedisGateway, changes: Iterable[ContributionChange],
                  now: datetime) -> bool | None:
    """Add committed contributions to every board they count on, in one round trip."""
    changes = list(changes)
    if not changes:
        return True

    def run(client):
        script = _apply_script(client)
        pipe = client.pipeline(transaction=False)
        for change in changes:
            args = [gateway.prefix, change.user_id, change.org_id, change.team_id or "",
                    change.co2e_g, change.points, change.entries]
            for period in periods_of_day(change.day):
                args += [period.key, seconds_to_keep(period, now) or 0]
            script(keys=[], args=args, client=pipe)
        return pipe.execute()

    return gateway.run(run) is not None


def read_people(gateway: RedisGateway, key: str, last_index: int, me_id: int | None,
                hidden_ids: list[int]) -> tuple[list, float | None, int] | None:
    """(top [(member, score)], my score, people above me), or None when Redis cannot answer
    or the boards are not built yet."""

    def run(client):
        script = _script(client, PEOPLE_SCRIPT)
        return script(keys=[gateway.key(READY), key],
                      args=[last_index, "" if me_id is None else me_id, *hidden_ids])

    answer = gateway.run(run)
    if answer is None or answer[0] != 1:
        return None
    flat, mine, above = answer[1], answer[2], answer[3]
    top = [(flat[i], float(flat[i + 1])) for i in range(0, len(flat), 2)]
    return top, None if mine is None else float(mine), int(above)


_scripts: dict[tuple[int, str], object] = {}


def _apply_script(client):
    return _script(client, APPLY_SCRIPT)


def _script(client, source: str):
    # EVALSHA after the first call; redis-py loads the script again if Redis lost it.
    script = _scripts.get((id(client), source))
    if script is None:
        script = _scripts[(id(client), source)] = client.register_script(source)
    return script


def is_ready(gateway: RedisGateway) -> bool | None:
    return gateway.run(lambda client: bool(client.exists(gateway.key(READY))))
