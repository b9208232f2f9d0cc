"""Logging history through the real service at chosen instants, and reading reports."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from activities.logbook import ActivityEntry, log_activity, void_activity
from app.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADCOUNT = 20


@pytest.fixture
def office(make):
    """A Beijing institution of HEADCOUNT people on paper, one team and its admin."""
    org = make.org(name="北京市报表测试局", region="beijing", headcount=HEADCOUNT)
    team = make.team(org, "综合处")
    return org, team, make.user(org, team, "admin")


def at(text: str) -> datetime:
    """An instant written with its offset (e.g. 2026-01-31T23:59:59+08:00)."""
    return datetime.fromisoformat(text)


@pytest.fixture
def registry(app):
    return app.extensions["factor_registry"]


@pytest.fixture
def log_at(session, registry):
    """Log one entry through the service as if it were that instant (back-dated history)."""

    def log(user, activity_type: str, quantity, when: datetime):
        logged = log_activity(session, user, ActivityEntry(
            activity_type, Decimal(str(quantity)), when), registry, when)
        session.commit()
        return logged.activity

    return log


@pytest.fixture
def void_at(session):
    def void(user, activity, when: datetime):
        voided = void_activity(session, user, activity.id, when)
        session.commit()
        return voided

    return void


def parse_csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def number(cell: str) -> float | None:
    """A CSV cell as the JSON number it stands for (empty: null)."""
    return None if cell == "" else float(cell)


def statements_of(app, call) -> int:
    """SQL statements the app issues while answering `call()` (which must succeed)."""
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(seen)
