"""The background reconciler, one tick at a time (found by `make drills`, drill 1)."""

from __future__ import annotations

from leaderboards.hooks import Reconciler
from leaderboards.service import BoardRequest, read_board
from leaderboards.store import READY
from tests.factories import now_of


def _boards_match(session, gateway, viewer) -> bool:
    for scope, metric in (("users", "points"), ("teams", "co2e"), ("orgs", "co2e")):
        request = BoardRequest(scope, period="all", metric=metric)
        live = read_board(session, gateway, viewer, request, now_of(session))
        truth = read_board(session, None, viewer, request, now_of(session))
        if live.source != "redis" or (live.entries, live.me) != (truth.entries, truth.me):
            return False
    return True


def test_a_commit_a_rebuild_missed_is_on_the_boards_one_period_later(
        app, session, make, contribute, redis_gateway):
    """Redis came back empty under load: the rebuild's snapshot misses an activity that
    commits while it runs, and that activity's board update is skipped (the boards are not
    ready yet). The next period repairs it; it used to wait twenty periods (5 minutes at
    the default 15 s) with wrong boards in the meantime."""
    org = make.org()
    team = make.team(org)
    first, late = make.users(2, org, team)
    contribute(first, 1200)
    reconciler = Reconciler(app, interval_s=15)  # not started: the test drives its ticks
    assert reconciler.tick() == "rebuilt"

    ready_at = redis_gateway.client.get(redis_gateway.key(READY))
    redis_gateway.client.delete(redis_gateway.key(READY))
    contribute(late, 5000)  # committed during the rebuild: not in its snapshot, not applied
    redis_gateway.client.set(redis_gateway.key(READY), ready_at)
    assert not _boards_match(session, redis_gateway, first)

    assert reconciler.tick() == "reconciled"
    assert _boards_match(session, redis_gateway, first)
    # Once a pass finds nothing to repair, quiet periods cost nothing again.
    assert reconciler.tick() == "reconciled"
    assert reconciler.tick() == "ready"
