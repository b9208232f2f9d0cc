"""Board upkeep, one pass at a time (found by `make drills`, drill 1)."""

from __future__ import annotations

from leaderboards.hooks import BoardUpkeep
from leaderboards.store import READY
from tests.leaderboards.conftest import redis_boards_equal_sql


def test_a_commit_a_rebuild_missed_is_on_the_boards_after_the_follow_up_pass(
        app, session, make, contribute, redis_gateway):
    """Redis came back empty under load: the rebuild's snapshot misses an activity that
    commits while it runs, and that activity's update lands on keys the rebuild then
    replaces. A pass that wrote anything is followed by another, which repairs it."""
    org = make.org()
    team = make.team(org)
    first, late = make.users(2, org, team)
    contribute(first, 1200)
    upkeep = BoardUpkeep(app, follow_up_s=15, in_flight_s=0)  # not started: the test
    # runs its passes
    outcome, written, unsettled = upkeep.run_once()
    assert outcome == "rebuilt"
    assert upkeep.another_pass_due(outcome, written, unsettled)

    ready_at = redis_gateway.client.get(redis_gateway.key(READY))
    redis_gateway.client.delete(redis_gateway.key(READY))
    contribute(late, 5000)  # committed during the rebuild: not in its snapshot
    for key in redis_gateway.client.scan_iter(match=redis_gateway.key("lb", "*")):
        redis_gateway.client.delete(key)  # ... and its update went to the replaced keys
    redis_gateway.client.set(redis_gateway.key(READY), ready_at)
    assert not redis_boards_equal_sql(session, redis_gateway, first)

    outcome, written, unsettled = upkeep.run_once()
    assert outcome == "reconciled"
    assert redis_boards_equal_sql(session, redis_gateway, first)
    # Once a pass finds nothing to repair, no further pass is made.
    outcome, written, unsettled = upkeep.run_once()
    assert (outcome, written, unsettled) == ("reconciled", 0, 0)
    assert not upkeep.another_pass_due(outcome, written, unsettled)


def test_a_bulk_commit_before_the_boards_are_built_sends_them_nothing(redis_gateway, clock):
    from datetime import timedelta

    from leaderboards.store import LARGE_BATCH, apply_changes
    from points.contributions import ContributionChange

    today = clock.now().date()
    history = [ContributionChange(user_id=n, org_id=1, team_id=None,
                                  day=today - timedelta(days=n % 300), co2e_g=100, points=3,
                                  entries=1) for n in range(LARGE_BATCH + 1)]

    assert apply_changes(redis_gateway, history, clock.now()) is False
    assert list(redis_gateway.client.scan_iter(match=redis_gateway.prefix + "lb:*")) == []

    redis_gateway.client.set(redis_gateway.key(READY), "1")
    assert apply_changes(redis_gateway, history, clock.now()) is True
    boards = set(redis_gateway.client.scan_iter(match=redis_gateway.prefix + "lb:*"))
    assert boards - {redis_gateway.key(READY)}


def test_a_workers_start_up_check_is_skipped_when_a_pass_began_since_it_started(
        app, session, make, contribute, redis_gateway):
    """Every worker checks the boards on its first request (a worker that died may have
    committed without telling Redis); a pass any worker began since then has read those
    commits, so the others do not repeat it. A worker started after that pass does check."""
    org = make.org()
    contribute(make.users(1, org, make.team(org))[0], 800)
    first, second = (BoardUpkeep(app, follow_up_s=15, in_flight_s=0) for _ in range(2))
    first.startup_check_only = second.startup_check_only = True
    assert first.run_once()[0] == "rebuilt"
    assert second.run_once() == ("skipped", 0, 0)

    later = BoardUpkeep(app, follow_up_s=15, in_flight_s=0)
    later.started_at += 1  # started after the pass above began
    later.startup_check_only = True
    assert later.run_once()[0] == "reconciled"
