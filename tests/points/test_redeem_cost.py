"""The SQL cost of redeeming a reward, pinned by count, and the shared rows taken last."""

from __future__ import annotations

import pytest

from app.redis_store import get_gateway
from tests.activities.test_write_cost import statements_of
from tests.points.helpers import add_reward, give_points, live_count, new_key, stock_of

# One redemption, claim and commit included: the key's claim, one statement that reads the
# reward, writes the redemption, debits the points and reads the organisation's time zone
# (SQLite: the reward, the redemption, the debit (2), the organisation), the outcome, the
# organisation's points of the day, the unit. The person comes from the directory when
# Redis holds them (app.directory), else from one more statement (with their organisation).
# A per-person limit adds the account lock and a count (on PostgreSQL the claim and the debit
# then come step by step, and the organisation's time zone is read: 4 more).
REDEEM_STATEMENTS = {"postgresql": 5, "sqlite": 9}
WITHOUT_REDIS = 1
WITH_LIMIT = {"postgresql": 6, "sqlite": 2}

# Counts the app's own statements, without the test's savepoints.
pytestmark = pytest.mark.commits


def _redeem(app, client, make, session, per_user_limit):
    org = make.org()
    user = make.user(org, make.team(org))
    give_points(session, user, 100)
    reward = add_reward(session, org, cost=10, stock=5, per_user_limit=per_user_limit)
    token = make.headers(user)
    first = client.post(f"/api/v1/rewards/{reward.id}/redeem",  # fills the person's entry
                        headers={**token, "Idempotency-Key": new_key()})
    assert first.status_code == 201, first.get_json()
    response, seen = statements_of(app, lambda: client.post(
        f"/api/v1/rewards/{reward.id}/redeem", headers={**token, "Idempotency-Key": new_key()}))
    assert response.status_code == 201, response.get_json()
    assert stock_of(session, reward.id) == 3
    assert live_count(session, reward.id) == 2
    return seen


@pytest.mark.parametrize("per_user_limit", [None, 3])
def test_a_redemption_costs_a_fixed_few_statements(app, client, make, session, per_user_limit):
    engine = session.get_bind().dialect.name
    budget = (REDEEM_STATEMENTS[engine] + (WITH_LIMIT[engine] if per_user_limit else 0)
              + (WITHOUT_REDIS if get_gateway(app) is None else 0))
    seen = _redeem(app, client, make, session, per_user_limit)
    print(f"statements for one redemption (limit {per_user_limit}): {len(seen)}")
    assert len(seen) <= budget


def test_the_rewards_stock_is_the_last_thing_a_redemption_writes(app, client, make, session):
    seen = _redeem(app, client, make, session, None)
    takes = [n for n, s in enumerate(seen) if s.startswith("UPDATE rewards SET stock")]
    assert takes == [len(seen) - 1]
    # The organisation's points of the day, shared by all its earners, only just before.
    days = [n for n, s in enumerate(seen) if s.startswith("INSERT INTO org_daily_points")]
    assert days == [len(seen) - 2]
