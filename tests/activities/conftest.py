"""Organisations in the three regions, and helpers to log through HTTP or the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest

from activities.logbook import ActivityEntry, log_activity


@dataclass
class Person:
    org: object
    team: object
    user: object


@pytest.fixture
def registry(app):
    return app.extensions["factor_registry"]


@pytest.fixture
def person(make):
    org = make.org(name="北京市测试局", region="beijing")
    team = make.team(org, "办公室")
    return Person(org, team, make.user(org, team))


@pytest.fixture
def post_activity(client, make):
    def post(user, **body):
        return client.post("/api/v1/activities", json=body, headers=make.headers(user))

    return post


@pytest.fixture
def log_at(clock, session, registry):
    """Log through the service as if it were `now` (back-filled history for tests)."""

    def log(user, activity_type: str, quantity, now: datetime | None = None,
            occurred_at: datetime | None = None, client_id: str | None = None):
        now = now or clock.now()
        logged = log_activity(session, user, ActivityEntry(
            activity_type, Decimal(str(quantity)), occurred_at or now, client_id), registry, now)
        session.commit()
        return logged.activity

    return log


