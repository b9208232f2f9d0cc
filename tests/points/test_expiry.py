"""Expiry, oldest points first, as `expire` entries: the CLI, the leased job, /me/points,
and expiry racing redemptions on PostgreSQL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from points.expiry import expire_points
from points.expiry_job import run_if_due
from points.ledger import account_of, credit_points
from points.models import PointsPolicy
from tests.points.helpers import add_reward, auth, invariant_violations, ledger_entries, new_key
from tests.points.test_concurrency import run_at_once

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def _policy(session, org, **fields) -> None:
    session.merge(PointsPolicy(org_id=org.id, grams_per_point=10, point_value_e4=100,
                               **fields))
    session.commit()


def _move(session, user, delta: int, when: datetime, kind: str | None = None) -> None:
    credit_points(session, user_id=user.id, org_id=user.org_id, team_id=user.team_id,
                  delta=delta, kind=kind or ("earn" if delta > 0 else "redeem"),
                  source_type="test", source_id=uuid.uuid4().hex, now=when)
    session.commit()


def _expired(session, user) -> list[int]:
    return [e.delta for e in ledger_entries(session, user.id) if e.kind == "expire"]


@pytest.fixture
def history(session, world):
    """Earned 100 in January, 50 in February, 40 in April; spent 30 in March."""
    _policy(session, world.org, expiry_months=1)
    _move(session, world.staff, 100, at(2026, 1, 10))
    _move(session, world.staff, 50, at(2026, 2, 10))
    _move(session, world.staff, -30, at(2026, 3, 3))
    _move(session, world.staff, 40, at(2026, 4, 2))
    return world.staff


def test_points_expire_oldest_first_and_spending_consumed_the_oldest(session, world, history):
    # January's points can be spent until the end of February; spending took 30 of them.
    expire_points(session, at(2026, 3, 5), commit=session.commit)
    assert _expired(session, history) == [-70]
    # February's 50 expire on 1 April; April's 40 stay.
    expire_points(session, at(2026, 4, 5), commit=session.commit)
    assert _expired(session, history) == [-70, -50]
    assert account_of(session, history.id)[0] == 40
    assert invariant_violations(session) == []


def test_expiring_twice_takes_nothing_more(session, world, history):
    for _ in range(3):
        expire_points(session, at(2026, 4, 5), commit=session.commit)
    assert sum(_expired(session, history)) == -120
    assert account_of(session, history.id)[0] == 40


def test_expiry_never_makes_a_balance_negative(session, world):
    _policy(session, world.org, expiry_months=1)
    _move(session, world.staff, 100, at(2026, 1, 10))
    _move(session, world.staff, -100, at(2026, 1, 20))
    run = expire_points(session, at(2026, 6, 1), commit=session.commit)
    assert (run.people, run.points) == (0, 0)
    assert _expired(session, world.staff) == []
    assert account_of(session, world.staff.id)[0] == 0


def test_organisations_without_expiry_keep_their_points(session, world):
    _move(session, world.other_staff, 100, at(2025, 1, 10))
    _policy(session, world.org, expiry_months=1)
    expire_points(session, at(2026, 6, 1), commit=session.commit)
    assert account_of(session, world.other_staff.id)[0] == 100


def test_the_cli_runs_as_of_a_date_and_is_idempotent(app, session, world, history):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["points", "expire", "--as-of", "2026-04-05"])
    assert first.exit_code == 0, first.output
    assert "120" in first.output
    second = runner.invoke(args=["points", "expire", "--as-of", "2026-04-05"])
    assert second.exit_code == 0
    assert "过期积分 (points expired): 0" in second.output
    assert sum(_expired(session, history)) == -120
    bad = runner.invoke(args=["points", "expire", "--as-of", "April"])
    assert bad.exit_code != 0


def test_me_points_shows_what_expires_when(client, make, session, world, clock):
    _policy(session, world.org, expiry_months=2)
    _move(session, world.staff, 100, at(2026, 1, 10))
    _move(session, world.staff, 50, at(2026, 2, 10))
    _move(session, world.staff, -30, at(2026, 2, 20))
    clock.freeze(at(2026, 3, 15))
    body = client.get("/api/v1/me/points", headers=auth(make, world.staff, clock)).get_json()
    # January's 70 left expire on 1 April, February's 50 on 1 May.
    assert body["expiring"] == [{"points": 70, "on": "2026-04-01"},
                                {"points": 50, "on": "2026-05-01"}]
    expire_points(session, at(2026, 4, 1, 0), commit=session.commit)
    clock.freeze(at(2026, 4, 2))
    body = client.get("/api/v1/me/points", headers=auth(make, world.staff, clock)).get_json()
    assert body["expiring"] == [{"points": 50, "on": "2026-05-01"}]
    assert body["items"][0]["kind"] == "expire"
    assert body["items"][0]["delta"] == -70
    assert body["items"][0]["ref"].startswith("expiry:")


def test_me_points_lists_nothing_when_points_never_expire(client, make, session, world, clock):
    _move(session, world.staff, 100, at(2026, 1, 10))
    body = client.get("/api/v1/me/points", headers=auth(make, world.staff, clock)).get_json()
    assert body["expiring"] == []


def test_the_job_runs_once_per_period_whoever_asks(app, session, world, history):
    now = at(2026, 4, 5)
    period = timedelta(hours=1)
    with app.app_context():
        assert run_if_due(db.session, "node-a:1", now, period) is True
        assert run_if_due(db.session, "node-b:7", now + timedelta(minutes=5), period) is False
        assert run_if_due(db.session, "node-a:1", now + timedelta(minutes=30), period) is False
        assert run_if_due(db.session, "node-b:7", now + timedelta(minutes=61), period) is True
        db.session.remove()
    assert sum(_expired(session, history)) == -120


@pytest.mark.concurrency
def test_expiry_racing_redemptions_never_overspends(app, client, make, session, world, clock):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("row locks under real concurrency: PostgreSQL")
    people = [make.user(world.org, world.team) for _ in range(8)]
    _policy(session, world.org, expiry_months=1)
    earned = clock.now() - timedelta(days=120)
    for person in people:
        _move(session, person, 100, earned)
    reward = add_reward(session, world.org, cost=60, stock=20)

    def redeem_call(person):
        headers = {**auth(make, person, clock), "Idempotency-Key": new_key()}
        return lambda c: c.post(f"/api/v1/rewards/{reward.id}/redeem", headers=headers)

    def expire_call(_client):
        with app.app_context():
            try:
                return expire_points(db.session, clock.now(), commit=db.session.commit)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=9) as pool:
        answers = run_at_once(app, pool, [expire_call] + [redeem_call(p) for p in people])
    assert not [a for a in answers if isinstance(a, Exception)], answers
    redeemed = [a.status_code for a in answers[1:]]
    assert set(redeemed) <= {201, 409}
    for person, status in zip(people, redeemed, strict=True):
        expired = -sum(_expired(session, person))
        assert expired == (40 if status == 201 else 100)
        assert account_of(session, person.id)[0] == 0
    assert invariant_violations(session) == []
