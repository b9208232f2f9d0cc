"""Property: whatever sequence of earning, redeeming, cancelling, fulfilling, adjusting and
replaying keys happens, the books balance after every single step.

A model of balances, stock and claims predicts each answer (status and error code);
after every step the database must agree with the model and with itself (balance =
ledger sum, stock = supplied - live redemptions, each claim paid once, refunded once
iff cancelled).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from points.ledger import account_of
from tests.points.helpers import add_reward, give_points, invariant_violations, new_key, stock_of

# (cost, stock, per_user_limit)
CATALOGUE = [(30, 3, None), (50, 2, 1), (20, 1, None)]
PEOPLE = 3
SETTINGS = settings(max_examples=10, stateful_step_count=15, derandomize=True, deadline=None,
                    database=None, suppress_health_check=[HealthCheck.too_slow])

person = st.integers(0, PEOPLE - 1)
item = st.integers(0, len(CATALOGUE) - 1)


def _answer(response) -> tuple[int, str | None]:
    body = response.get_json() or {}
    return response.status_code, (body.get("error") or {}).get("code")


class RedemptionBooks(RuleBasedStateMachine):
    """Bound to a client, factory and session by the test."""

    client = make = session = None

    @initialize()
    def setup(self):
        org = self.make.org()
        team = self.make.team(org)
        self.admin = self.make.user(org, team, role="admin")
        self.people = self.make.users(PEOPLE, org, team)
        self.rewards = [add_reward(self.session, org, cost=c, stock=s, per_user_limit=limit)
                        for c, s, limit in CATALOGUE]
        self.balance = [0] * PEOPLE
        self.stock = [s for _, s, _ in CATALOGUE]
        self.claims: dict[int, dict] = {}  # redemption id -> what the model knows
        self.keys: dict[str, dict] = {}  # idempotency key -> the first answer

    def _post(self, who: int, reward: int, key: str):
        headers = {**self.make.headers(self.people[who]), "Idempotency-Key": key}
        return self.client.post(f"/api/v1/rewards/{self.rewards[reward].id}/redeem",
                           headers=headers)

    def _expected_redeem(self, who: int, reward: int) -> tuple[int, str | None]:
        cost, _, limit = CATALOGUE[reward]
        live = sum(1 for c in self.claims.values() if (c["who"], c["reward"]) == (who, reward)
                   and c["status"] != "cancelled")
        if self.stock[reward] == 0:
            return 409, "out_of_stock"
        if limit is not None and live >= limit:
            return 409, "limit_reached"
        if self.balance[who] < cost:
            return 409, "insufficient_points"
        return 201, None

    @rule(who=person, points=st.integers(1, 80))
    def earn(self, who, points):
        give_points(self.session, self.people[who], points)
        self.balance[who] += points

    @rule(who=person, reward=item)
    def redeem(self, who, reward):
        expected = self._expected_redeem(who, reward)
        key = new_key()
        response = self._post(who, reward, key)
        assert _answer(response) == expected
        self.keys[key] = {"who": who, "reward": reward, "status": response.status_code,
                          "body": response.get_json()}
        if expected[0] == 201:
            body = response.get_json()
            self.balance[who] -= CATALOGUE[reward][0]
            self.stock[reward] -= 1
            self.claims[body["redemption"]["id"]] = {
                "who": who, "reward": reward, "status": "pending",
                "code": body["redemption"]["pickup_code"]}
            assert body["balance"] == self.balance[who]

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def replay_key(self, data):
        key = data.draw(st.sampled_from(sorted(self.keys)))
        first = self.keys[key]
        again = self._post(first["who"], first["reward"], key)
        assert (again.status_code, again.get_json()) == (first["status"], first["body"])

    @precondition(lambda self: self.keys)
    @rule(data=st.data(), shift=st.integers(1, len(CATALOGUE) - 1))
    def replay_key_with_another_body(self, data, shift):
        key = data.draw(st.sampled_from(sorted(self.keys)))
        first = self.keys[key]
        other = (first["reward"] + shift) % len(CATALOGUE)
        assert _answer(self._post(first["who"], other, key)) == (
            422, "idempotency_key_reused")

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), by_admin=st.booleans())
    def cancel(self, data, by_admin):
        claim_id = data.draw(st.sampled_from(sorted(self.claims)))
        claim = self.claims[claim_id]
        actor = self.admin if by_admin else self.people[claim["who"]]
        response = self.client.post(f"/api/v1/redemptions/{claim_id}/cancel",
                               headers=self.make.headers(actor))
        if claim["status"] != "pending":
            assert _answer(response) == (409, "redemption_not_pending")
            return
        assert _answer(response) == (200, None)
        claim["status"] = "cancelled"
        self.balance[claim["who"]] += CATALOGUE[claim["reward"]][0]
        self.stock[claim["reward"]] += 1

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), right_code=st.booleans())
    def fulfil(self, data, right_code):
        claim_id = data.draw(st.sampled_from(sorted(self.claims)))
        claim = self.claims[claim_id]
        code = claim["code"] if right_code else "WRONG2"
        response = self.client.post(f"/api/v1/redemptions/{claim_id}/fulfil",
                               json={"pickup_code": code}, headers=self.make.headers(self.admin))
        if claim["status"] != "pending":
            assert _answer(response) == (409, "redemption_not_pending")
        elif not right_code:
            assert _answer(response) == (422, "pickup_code_mismatch")
        else:
            assert _answer(response) == (200, None)
            claim["status"] = "fulfilled"

    @rule(who=person, delta=st.integers(-60, 60).filter(bool))
    def adjust(self, who, delta):
        target = self.people[who]
        response = self.client.post(f"/api/v1/orgs/{target.org_id}/points-adjustments",
                               json={"user_id": target.id, "delta": delta, "reason": "校正"},
                               headers=self.make.headers(self.admin))
        if self.balance[who] + delta < 0:
            assert _answer(response) == (409, "balance_negative")
            return
        assert _answer(response) == (201, None)
        self.balance[who] += delta

    @invariant()
    def books_balance(self):
        assert invariant_violations(self.session) == []
        assert [account_of(self.session, p.id)[0] for p in self.people] == self.balance
        assert [stock_of(self.session, r.id) for r in self.rewards] == self.stock



def test_books_balance_after_every_step_of_any_sequence(client, make, session):
    machine = type("BoundRedemptionBooks", (RedemptionBooks,),
                   {"client": client, "make": make, "session": session})
    run_state_machine_as_test(machine, settings=SETTINGS)
