"""Shared setup and invariant checks for the points tests (plain functions, no fixtures)."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from points.ledger import credit_points
from points.models import (
    LIVE_STATUSES,
    LedgerEntry,
    PointsAccount,
    Redemption,
    Reward,
    RewardStockMovement,
)
from tests.factories import now_of

_keys = itertools.count(1)


def new_key() -> str:
    return f"key-{next(_keys)}-{uuid.uuid4().hex[:8]}"


def give_points(session: Session, user, points: int, kind: str = "earn") -> None:
    """Credit points as an activity would (its own source), and commit."""
    credit_points(session, user_id=user.id, org_id=user.org_id, team_id=user.team_id,
                  delta=points, kind=kind, source_type="test", source_id=uuid.uuid4().hex,
                  now=now_of(session))
    session.commit()


def give_points_to_many(session: Session, users, points: int) -> None:
    for user in users:
        credit_points(session, user_id=user.id, org_id=user.org_id, team_id=user.team_id,
                      delta=points, kind="earn", source_type="test", source_id=uuid.uuid4().hex,
                      now=now_of(session))
    session.commit()


def add_reward(session: Session, org, *, cost: int = 30, stock: int = 10,
               per_user_limit: int | None = None, name: str = "环保水杯", **fields) -> Reward:
    """A reward with its initial stock movement, committed."""
    now = now_of(session)
    reward = Reward(org_id=org.id, name=name, description="", cost_points=cost, stock=stock,
                    per_user_limit=per_user_limit, created_at=now, updated_at=now, **fields)
    session.add(reward)
    session.flush()
    session.add(RewardStockMovement(reward_id=reward.id, org_id=org.id, delta=stock,
                                    stock_after=stock, reason="初始库存", created_at=now))
    session.commit()
    return reward


def redeem(client, make, user, reward_id: int, key: str | None = None):
    headers = make.headers(user)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/v1/rewards/{reward_id}/redeem", headers=headers)


def stock_of(session: Session, reward_id: int) -> int:
    session.expire_all()
    return session.scalar(select(Reward.stock).where(Reward.id == reward_id))


def live_count(session: Session, reward_id: int) -> int:
    return session.scalar(select(func.count(Redemption.id)).where(
        Redemption.reward_id == reward_id, Redemption.status.in_(LIVE_STATUSES)))


def ledger_entries(session: Session, user_id: int) -> list[LedgerEntry]:
    session.expire_all()
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user_id)
                                .order_by(LedgerEntry.id)))


def invariant_violations(session: Session) -> list[str]:
    """Every way the books can be wrong, as readable lines (empty when all hold)."""
    session.rollback()
    session.expire_all()
    problems = []
    sums = dict(session.execute(select(LedgerEntry.user_id, func.sum(LedgerEntry.delta))
                                .group_by(LedgerEntry.user_id)).all())
    for user_id, balance in session.execute(select(PointsAccount.user_id,
                                                   PointsAccount.balance)).all():
        if balance < 0:
            problems.append(f"user {user_id}: balance {balance} < 0")
        if balance != (sums.get(user_id) or 0):
            problems.append(f"user {user_id}: balance {balance} != ledger {sums.get(user_id)}")
    moved = dict(session.execute(select(RewardStockMovement.reward_id,
                                        func.sum(RewardStockMovement.delta))
                                 .group_by(RewardStockMovement.reward_id)).all())
    live = dict(session.execute(select(Redemption.reward_id, func.count(Redemption.id))
                                .where(Redemption.status.in_(LIVE_STATUSES))
                                .group_by(Redemption.reward_id)).all())
    for reward_id, stock in session.execute(select(Reward.id, Reward.stock)).all():
        supplied, claimed = moved.get(reward_id) or 0, live.get(reward_id) or 0
        if stock < 0 or supplied - claimed != stock:
            problems.append(f"reward {reward_id}: stock {stock}, supplied {supplied}, "
                            f"live redemptions {claimed}")
    problems.extend(_redemption_ledger_problems(session))
    session.rollback()
    return problems


def _redemption_ledger_problems(session: Session) -> list[str]:
    """Each redemption was paid exactly once, and refunded exactly once iff cancelled."""
    entries = {(e.source_type, e.source_id): e for e in session.scalars(
        select(LedgerEntry).where(LedgerEntry.source_type.in_(
            ("redemption", "redemption_refund"))))}
    problems = []
    for r in session.scalars(select(Redemption)):
        paid = entries.get(("redemption", str(r.id)))
        refund = entries.get(("redemption_refund", str(r.id)))
        if paid is None or paid.delta != -r.cost_points:
            problems.append(f"redemption {r.id}: payment {paid and paid.delta}")
        if (refund is not None) != (r.status == "cancelled"):
            problems.append(f"redemption {r.id} ({r.status}): refund {refund and refund.delta}")
    return problems


def auth(make, user, clock) -> dict[str, str]:
    """Bearer headers issued on the app's clock (so a frozen clock accepts them)."""
    return {"Authorization": f"Bearer {make.token(user, clock.now())}"}
