"""Demo redemptions for `flask seed-demo`: people exchange points at the counter today.

Runs after the logged days, so every redemption follows the points that paid for it in
the ledger; about a third of them are already handed over, one is cancelled.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import now_utc
from app.errors import ApiError
from app.models import Organisation, User
from points.models import PointsAccount, Redemption, Reward
from points.redemptions import cancel_redemption, fulfil_redemption, redeem_reward

SEED = 2027
SHARE_REDEEMING = 0.4


def seed_demo_redemptions(session: Session, echo: Callable[[str], None]) -> None:
    """Some staff of every organisation without redemptions redeem one reward each."""
    rng = random.Random(SEED)
    now = now_utc()
    has_redemptions = select(Redemption.id).where(Redemption.org_id == Organisation.id).exists()
    for org in session.scalars(select(Organisation).where(~has_redemptions)
                               .order_by(Organisation.id)):
        admin = session.scalar(select(User).where(User.org_id == org.id, User.role == "admin")
                               .order_by(User.id))
        rewards = session.scalars(select(Reward).where(Reward.org_id == org.id)
                                  .order_by(Reward.cost_points)).all()
        if admin is None or not rewards:
            continue
        people = session.scalars(
            select(User).join(PointsAccount, PointsAccount.user_id == User.id)
            .where(User.org_id == org.id, User.role == "staff", PointsAccount.balance > 0)
            .order_by(User.id)).all()
        claimed = []
        for person in rng.sample(people, int(len(people) * SHARE_REDEEMING)):
            at = now - timedelta(minutes=rng.randint(30, 480))
            try:
                claimed.append(redeem_reward(session, person, rng.choice(rewards).id, at))
            except ApiError:  # too few points or out of stock: the counter refuses it too
                continue
        for n, claim in enumerate(claimed):
            redemption = claim["redemption"]
            if n == 0:
                cancel_redemption(session, admin, redemption.id, now, None)
            elif n % 3 == 1:
                fulfil_redemption(session, admin, redemption.id, redemption.pickup_code, now,
                                  None)
        echo(f"  兑换记录 (redemptions): {org.name}: {len(claimed)} 笔")
    session.flush()
