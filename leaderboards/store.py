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


def board_key(gateway: RedisGateway, period: Period, scope: str, scope_id: object,
              metric: str) -> str:
    if scope == "o":
        return gateway.key("lb", period.key, "o", metric)
    return gateway.key("lb", period.key, scope, scope_id, metric)


LARGE_BATCH = 100  # contributions committed at once, beyond which readiness is asked first


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

    def run(client):
        pipe = client.pipeline(transaction=False)
        pipe.exists(gateway.key(READY))
        counted: list[tuple] = []
        for change in changes:
            for period in periods_of_day(change.day):
                _add_change(pipe, gateway.key("lb", period.key), change,
                            seconds_to_keep(period, now), counted)
        answers = pipe.execute()
        _move_participation(client, answers, counted)
        return answers[0] == 1

    return gateway.run(run)


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


def _add_change(pipe, base: str, change: ContributionChange, ttl: int | None,
                counted: list[tuple]) -> None:
    """Queue one contribution's increments on one period's boards; `counted` collects
    (position of an entry counter's answer, entries, participation board, member, ttl)."""
    user, org, team = change.user_id, change.org_id, change.team_id
    touched = []
    for board, member in scored_boards(base, org, team, user):
        pipe.zincrby(f"{board}:co2e", change.co2e_g, member)
        pipe.zincrby(f"{board}:points", change.points, member)
        touched += [f"{board}:co2e", f"{board}:points"]
    if change.entries:
        for counter, board, member in participation_boards(base, org, team):
            counted.append((len(pipe), change.entries, board, member, ttl))
            pipe.hincrby(counter, user, change.entries)
            touched.append(counter)
    for key in touched if ttl else ():
        pipe.expire(key, ttl)


def _move_participation(client, answers: list, counted: list[tuple]) -> None:
    """A person counts once on a participation board: they join it when their entries in
    the period go from none to some, and leave it when a reversal takes them back to none.
    HINCRBY answers the new count, so each writer sees its own transition exactly, however
    many write at once."""
    moves = client.pipeline(transaction=False)
    for position, entries, board, member, ttl in counted:
        new = int(answers[position])
        old = new - entries
        if old <= 0 < new or new <= 0 < old:
            moves.zincrby(board, 1 if new > 0 else -1, member)
            if ttl:
                moves.expire(board, ttl)
    if len(moves):
        moves.execute()


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
