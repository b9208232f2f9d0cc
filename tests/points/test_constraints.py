"""What the database itself refuses, whatever code path tries it (rules 1, 3 and 4)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from points.models import PointsAccount, Redemption, Reward
from tests.points.helpers import add_reward, give_points


def test_pickup_code_is_unique_among_pending_redemptions_of_the_org(clock, session, make, world):
    reward = add_reward(session, world.org)

    def claim(status, org=world.org, user=world.staff):
        session.add(Redemption(org_id=org.id, user_id=user.id, reward_id=reward.id,
                               reward_name="x", cost_points=1, status=status,
                               pickup_code="ABC234", created_at=clock.now()))
        session.commit()

    claim("fulfilled")
    claim("pending")
    claim("cancelled")
    claim("pending", org=world.other_org, user=world.other_staff)
    with pytest.raises(IntegrityError):
        claim("pending")
    session.rollback()


def test_database_refuses_negative_stock(session, world):
    reward = add_reward(session, world.org, stock=1)
    with pytest.raises(IntegrityError):
        session.execute(update(Reward).where(Reward.id == reward.id).values(stock=-1))
    session.rollback()


def test_database_refuses_a_negative_balance(session, world):
    give_points(session, world.staff, 5)
    with pytest.raises(IntegrityError):
        session.execute(update(PointsAccount).where(PointsAccount.user_id == world.staff.id)
                        .values(balance=-1))
    session.rollback()


def test_database_refuses_an_unknown_redemption_status(clock, session, world):
    reward = add_reward(session, world.org)
    session.add(Redemption(org_id=world.org.id, user_id=world.staff.id, reward_id=reward.id,
                           reward_name="x", cost_points=1, status="lost", pickup_code="ZZZ222",
                           created_at=clock.now()))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
