"""Acceptance: redemption under real concurrency, through HTTP, on SQLite and PostgreSQL.

Every request runs in its own thread with its own test client (so its own app context,
session and connection) and really commits. After each run the books must balance:
every balance equals its ledger, every stock equals what was supplied minus live
redemptions.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from points.ledger import account_of
from points.models import LedgerEntry, PointsAccount, Redemption
from tests.points.helpers import (
    add_reward,
    give_points,
    give_points_to_many,
    invariant_violations,
    live_count,
    new_key,
    stock_of,
)

pytestmark = pytest.mark.concurrency

STOCK = 7
CROWD = 200


def _outcome(response) -> tuple[int, str | None]:
    body = response.get_json(silent=True) or {}
    return response.status_code, (body.get("error") or {}).get("code")


def run_at_once(app, pool: ThreadPoolExecutor, calls: list) -> list:
    """Run `call(client)` for every call in its own thread, all released together.

    Returns each response, or the exception a thread hit (which the tests then show).
    """
    barrier = threading.Barrier(len(calls))

    def one(call):
        client = app.test_client()
        barrier.wait(timeout=60)
        try:
            return call(client)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            return exc

    return list(pool.map(one, calls))


def _redeem_call(reward_id: int, headers: dict, key: str):
    def call(client):
        return client.post(f"/api/v1/rewards/{reward_id}/redeem",
                           headers={**headers, "Idempotency-Key": key})
    return call


def _summary(results) -> Counter:
    return Counter(_outcome(r) if not isinstance(r, Exception) else repr(r) for r in results)


def test_200_people_race_for_7_units_exactly_7_win_every_time(app, make, session, engine):
    """10 repetitions on PostgreSQL, 5 on SQLite; 200 simultaneous redemptions each."""
    repetitions = 10 if engine.dialect.name == "postgresql" else 5
    org = make.org()
    people = make.users(CROWD, org, make.team(org))
    give_points_to_many(session, people, 10 * repetitions)
    headers = [make.headers(p) for p in people]
    timings = []
    with ThreadPoolExecutor(max_workers=CROWD) as pool:
        for _ in range(repetitions):
            reward = add_reward(session, org, cost=10, stock=STOCK)
            started = time.perf_counter()
            results = run_at_once(app, pool, [_redeem_call(reward.id, h, new_key())
                                              for h in headers])
            timings.append(time.perf_counter() - started)
            assert _summary(results) == Counter({(201, None): STOCK,
                                                 (409, "out_of_stock"): CROWD - STOCK})
            assert stock_of(session, reward.id) == 0
            assert live_count(session, reward.id) == STOCK
            assert invariant_violations(session) == []
    print(f"\n[{engine.dialect.name}] {repetitions} x {CROWD} redemptions of {STOCK} units: "
          f"{sum(timings):.2f}s, slowest round {max(timings):.2f}s")


def test_100_points_buy_exactly_three_of_fifty_30_point_rewards(app, make, session, engine):
    org = make.org()
    user = make.user(org)
    give_points(session, user, 100)
    rewards = [add_reward(session, org, cost=30, stock=2, name=f"奖品{n}") for n in range(50)]
    headers = make.headers(user)
    lowest = _watch_balance(engine, user.id)
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = run_at_once(app, pool, [_redeem_call(r.id, headers, new_key())
                                          for r in rewards])
    observed = lowest.stop()
    assert _summary(results) == Counter({(201, None): 3, (409, "insufficient_points"): 47})
    assert account_of(session, user.id) == (10, 100)
    assert observed.samples > 0
    assert observed.minimum >= 0
    assert all(r.get_json()["balance"] >= 0 for r in results if r.status_code == 201)
    assert invariant_violations(session) == []


class _BalanceWatch:
    """Reads the balance in a loop from its own connection until stopped."""

    def __init__(self, engine, user_id: int):
        self.engine, self.user_id = engine, user_id
        self.minimum, self.samples = None, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        query = select(PointsAccount.balance).where(PointsAccount.user_id == self.user_id)
        with self.engine.connect() as conn:
            while not self.done.is_set():
                balance = conn.execute(query).scalar()
                conn.rollback()
                self.samples += 1
                self.minimum = balance if self.minimum is None else min(self.minimum, balance)
                time.sleep(0.001)

    def stop(self):
        self.done.set()
        self.thread.join(timeout=10)
        return self


def _watch_balance(engine, user_id: int) -> _BalanceWatch:
    return _BalanceWatch(engine, user_id)


def test_50_identical_redemptions_with_one_key_take_effect_once(app, make, session):
    org = make.org()
    user = make.user(org)
    give_points(session, user, 100)
    reward = add_reward(session, org, cost=30, stock=10)
    call = _redeem_call(reward.id, make.headers(user), new_key())
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = run_at_once(app, pool, [call] * 50)
    summary = _summary(results)
    assert set(summary) <= {(201, None), (409, "request_in_progress")}
    assert summary[(201, None)] >= 1
    assert len({str(r.get_json()) for r in results if r.status_code == 201}) == 1
    assert session.scalar(select(func.count(Redemption.id))) == 1
    assert session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.kind == "redeem")) == 1
    assert stock_of(session, reward.id) == 9
    assert account_of(session, user.id)[0] == 70
    assert invariant_violations(session) == []


def test_concurrent_redemptions_never_pass_the_per_person_limit(app, make, session):
    org = make.org()
    user = make.user(org)
    give_points(session, user, 1000)
    reward = add_reward(session, org, cost=10, stock=50, per_user_limit=2)
    headers = make.headers(user)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = run_at_once(app, pool, [_redeem_call(reward.id, headers, new_key())
                                          for _ in range(20)])
    assert _summary(results) == Counter({(201, None): 2, (409, "limit_reached"): 18})
    assert stock_of(session, reward.id) == 48
    assert invariant_violations(session) == []


def test_concurrent_cancels_and_fulfils_of_one_redemption_settle_it_once(app, make, session):
    org = make.org()
    admin, user = make.user(org, role="admin"), make.user(org)
    give_points(session, user, 100)
    reward = add_reward(session, org, cost=30, stock=5)
    created = app.test_client().post(f"/api/v1/rewards/{reward.id}/redeem", headers={
        **make.headers(user), "Idempotency-Key": new_key()}).get_json()["redemption"]
    url = f"/api/v1/redemptions/{created['id']}"
    owner, counter = make.headers(user), make.headers(admin)
    calls = [(lambda c: c.post(f"{url}/cancel", headers=owner)),
             (lambda c: c.post(f"{url}/cancel", headers=counter)),
             (lambda c: c.post(f"{url}/fulfil", headers=counter,
                               json={"pickup_code": created["pickup_code"]}))] * 10
    with ThreadPoolExecutor(max_workers=30) as pool:
        results = run_at_once(app, pool, calls)
    summary = _summary(results)
    assert summary[(200, None)] == 1
    assert summary[(409, "redemption_not_pending")] == 29
    refunds = session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.kind == "refund"))
    status = session.scalar(select(Redemption.status).where(Redemption.id == created["id"]))
    assert (status, refunds) in {("cancelled", 1), ("fulfilled", 0)}
    assert invariant_violations(session) == []


def test_50_people_race_for_a_reward_with_10_units_exactly_10_win(app, make, session):
    org = make.org()
    people = make.users(50, org, make.team(org))
    give_points_to_many(session, people, 30)
    reward = add_reward(session, org, cost=30, stock=10)
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = run_at_once(app, pool, [_redeem_call(reward.id, make.headers(p), new_key())
                                          for p in people])
    assert _summary(results) == Counter({(201, None): 10, (409, "out_of_stock"): 40})
    assert stock_of(session, reward.id) == 0
    assert live_count(session, reward.id) == 10
    winners = {r.get_json()["redemption"]["id"] for r in results if r.status_code == 201}
    assert set(session.scalars(select(Redemption.id))) == winners
    assert session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.kind == "redeem")) == 10
    assert sorted(account_of(session, p.id)[0] for p in people) == [0] * 10 + [30] * 40
    assert invariant_violations(session) == []
