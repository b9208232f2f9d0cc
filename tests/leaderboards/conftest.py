"""Helpers: record contributions as the domains do, committed inside an app context."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.calendar import local_day
from points.contributions import record_contribution


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
