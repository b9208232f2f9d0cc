"""Helpers: record contributions as the domains do, committed inside an app context."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.calendar import local_day
from leaderboards.service import BoardRequest, read_board
from points.contributions import record_contribution
from tests.factories import now_of


def redis_boards_equal_sql(session, gateway, viewer) -> bool:
    """Every all-time board, read from Redis, answers as it does from SQL."""
    for scope in ("users", "teams", "orgs"):
        for metric in ("co2e", "points"):
            request = BoardRequest(scope, period="all", metric=metric)
            live = read_board(session, gateway, viewer, request, now_of(session))
            truth = read_board(session, None, viewer, request, now_of(session))
            if live.source != "redis" or (live.entries, live.me) != (truth.entries, truth.me):
                return False
    return True


@pytest.fixture
def today(clock):
    return local_day(clock.now(), "Asia/Shanghai")


@pytest.fixture
def contribute(clock, app, session):
    """contribute(user, grams, points=None, day=None, entries=1, team=...) -> commits."""

    def add(user, grams: int, points: int | None = None, day: date | None = None,
            entries: int = 1, team_id: int | None = -1):
        with app.app_context():  # the post-commit board hook needs the app's Redis
            record_contribution(
                session, user_id=user.id, org_id=user.org_id,
                team_id=user.team_id if team_id == -1 else team_id,
                day=day or local_day(clock.now(), "Asia/Shanghai"), co2e_g=grams,
                points=grams // 10 if points is None else points, entries=entries)
            session.commit()

    return add


@pytest.fixture
def last_week(today):
    return today - timedelta(days=7)
