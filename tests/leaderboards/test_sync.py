"""Redis boards are a rebuildable cache: rebuild, reconcile, rollback and cost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, insert

from app.calendar import local_day
from app.extensions import db
from leaderboards.service import BoardRequest, read_board
from leaderboards.sync import sync_boards
from points.contributions import record_contribution
from points.models import DailyContribution
from tests.factories import now_of


def redis_dump(gateway):
    client = gateway.client
    dump = {}
    for key in sorted(client.scan_iter(match=gateway.prefix + "lb:*")):
        kind = client.type(key)
        if kind == "zset":
            dump[key] = client.zrange(key, 0, -1, withscores=True)
        elif kind == "hash":
            dump[key] = sorted(client.hgetall(key).items())
    dump.pop(gateway.prefix + "lb:ready", None)
    return dump


def test_rebuilding_twice_changes_nothing(clock, session, make, contribute, redis_gateway):
    org = make.org()
    team = make.team(org)
    for n, person in enumerate(make.users(6, org, team)):
        contribute(person, 700 * (n % 3))
    sync_boards(redis_gateway, session, clock.now(), force=True)
    first = redis_dump(redis_gateway)
    report = sync_boards(redis_gateway, session, clock.now(), force=False, in_flight_s=0)
    assert report.written == 0
    assert report.removed == 0
    sync_boards(redis_gateway, session, clock.now(), force=True)
    assert redis_dump(redis_gateway) == first
    assert first  # the boards exist


def test_reconcile_finds_and_repairs_drift(clock, session, make, contribute, redis_gateway):
    org = make.org()
    team = make.team(org)
    person = make.users(1, org, team)[0]
    contribute(person, 2500)
    sync_boards(redis_gateway, session, clock.now(), force=True)
    truth = redis_dump(redis_gateway)
    key = next(k for k in truth if k.endswith(f":uo:{org.id}:co2e") and ":all:" in k)
    redis_gateway.client.zincrby(key, 999, str(person.id))
    redis_gateway.client.zadd(redis_gateway.key("lb", "all", "uo", 999999, "co2e"), {"1": 5})
    report = sync_boards(redis_gateway, session, clock.now(), force=False, in_flight_s=0)
    assert report.written >= 1
    assert report.removed == 1
    assert redis_dump(redis_gateway) == truth


def test_a_rolled_back_savepoint_moves_no_board(clock, app, session, make, redis_gateway):
    org = make.org()
    team = make.team(org)
    kept, dropped = make.users(2, org, team)
    sync_boards(redis_gateway, session, clock.now(), force=True)
    day = local_day(clock.now(), "Asia/Shanghai")
    with app.app_context():
        record_contribution(session, user_id=kept.id, org_id=org.id, team_id=team.id, day=day,
                            co2e_g=100, points=10, entries=1)
        try:
            with session.begin_nested():
                record_contribution(session, user_id=dropped.id, org_id=org.id,
                                    team_id=team.id, day=day, co2e_g=900, points=90, entries=1)
                raise RuntimeError("item rejected")
        except RuntimeError:
            pass
        session.commit()
    live = read_board(session, redis_gateway, kept, BoardRequest("users", period="all"),
                      clock.now())
    assert live.source == "redis"
    assert [(e["id"], e["value"]) for e in live.entries] == [(kept.id, 0.1)]


def test_a_rolled_back_transaction_moves_no_board(clock, app, session, make, redis_gateway):
    org = make.org()
    person = make.users(1, org, make.team(org))[0]
    sync_boards(redis_gateway, session, clock.now(), force=True)
    with app.app_context():
        record_contribution(session, user_id=person.id, org_id=org.id, team_id=person.team_id,
                            day=local_day(clock.now(), "Asia/Shanghai"), co2e_g=900,
                            points=90, entries=1)
        session.rollback()
        session.commit()
    live = read_board(session, redis_gateway, person, BoardRequest("users", period="all"),
                      clock.now())
    assert live.entries == []


def _seed_history(session, org, team, people, activities: int) -> None:
    """Rollup rows as logging `activities` entries would leave them (one per person-day)."""
    today = local_day(now_of(session), "Asia/Shanghai")
    rows, n = [], 0
    while n < activities:
        person = people[n % len(people)]
        rows.append({"user_id": person.id, "org_id": org.id, "team_id": team.id,
                     "team_key": team.id, "day": today - timedelta(days=n // len(people)),
                     "co2e_g": 100 + n % 977, "points": 10 + n % 97, "entries": 1})
        n += 1
    for start in range(0, len(rows), 20000):
        session.execute(insert(DailyContribution), rows[start:start + 20000])
    session.commit()


def _count_board_read(app, client, make, viewer, gateway, scope):
    statements, redis_calls = [], []
    with app.app_context():
        engine = db.engine

    def on_execute(conn, cursor, statement, *args):
        statements.append(statement)

    original_run = gateway.run if gateway else None
    if gateway:
        gateway.run = lambda op: (redis_calls.append(op), original_run(op))[1]
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        response = client.get(f"/api/v1/leaderboards/{scope}", query_string={"period": "year"},
                              headers=make.headers(viewer))
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        if gateway:
            del gateway.run
    assert response.status_code == 200
    return len(statements), len(redis_calls)


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_reading_a_board_costs_the_same_with_200000_activities_as_with_1000(
        app, client, session, make, redis_gateway, clock):
    small_org, big_org = make.org(), make.org()
    small_team, big_team = make.team(small_org), make.team(big_org)
    small_people = make.users(100, small_org, small_team)
    big_people = make.users(2000, big_org, big_team)
    _seed_history(session, small_org, small_team, small_people, 1000)
    _seed_history(session, big_org, big_team, big_people, 200_000)
    sync_boards(redis_gateway, session, clock.now(), force=True)
    for scope in ("users", "teams"):
        for viewer in (small_people[5], big_people[5]):  # fills the people's cached entries
            _count_board_read(app, client, make, viewer, redis_gateway, scope)
        small = _count_board_read(app, client, make, small_people[5], redis_gateway, scope)
        big = _count_board_read(app, client, make, big_people[5], redis_gateway, scope)
        assert small == big, scope
        assert small[0] <= 6
        assert small[1] <= 3


def test_a_reconcile_under_load_keeps_the_updates_that_land_while_it_reads(
        clock, session, make, contribute, redis_gateway, monkeypatch):
    """Redis missed one person's activity (an outage); while the repair pass waits between
    its reads, a colleague logs. The missed activity is added, the colleague's update is
    kept (an overwrite with the pass's database snapshot would lose it), and the boards the
    colleague moved while being read are corrected by the next pass."""
    import time

    from leaderboards import sync

    org = make.org()
    team = make.team(org)
    missed, busy = make.users(2, org, team)
    contribute(busy, 1000)
    sync_boards(redis_gateway, session, clock.now(), force=True)
    redis_gateway._down_until = time.monotonic() + 60  # Redis unreachable: the update is lost
    contribute(missed, 700)
    redis_gateway._down_until = 0
    logged = []

    def colleague_logs(_seconds):
        if not logged:  # during the first period's wait only
            logged.append(True)
            contribute(busy, 50)

    monkeypatch.setattr(sync.time, "sleep", colleague_logs)
    first = sync_boards(redis_gateway, session, clock.now(), force=False, in_flight_s=1)
    monkeypatch.undo()

    for key in redis_gateway.client.scan_iter(match=redis_gateway.key("lb", "*", "uo",
                                                                      org.id, "co2e")):
        scores = dict(redis_gateway.client.zrange(key, 0, -1, withscores=True))
        assert scores == {str(missed.id): 700.0, str(busy.id): 1050.0}, key
    assert first.written > 0
    assert first.unsettled > 0
    second = sync_boards(redis_gateway, session, clock.now(), force=False, in_flight_s=0)
    assert second.written > 0
    assert second.unsettled == 0
    third = sync_boards(redis_gateway, session, clock.now(), force=False, in_flight_s=0)
    assert (third.written, third.removed, third.unsettled) == (0, 0, 0)
    repaired = redis_dump(redis_gateway)
    sync_boards(redis_gateway, session, clock.now(), force=True)
    assert repaired == redis_dump(redis_gateway)
