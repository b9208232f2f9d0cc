"""An organisation's points of the day move with its credits, savepoints honoured."""

from __future__ import annotations

from sqlalchemy import select

from points.ledger import credit_points, org_local_day
from points.models import OrgDailyPoints


def _issued(session, org_id: int, day) -> int | None:
    session.expire_all()
    return session.scalar(select(OrgDailyPoints.issued).where(OrgDailyPoints.org_id == org_id,
                                                              OrgDailyPoints.day == day))


def _credit(session, user, source_id: str, delta: int, now):
    return credit_points(session, user_id=user.id, org_id=user.org_id, team_id=user.team_id,
                         delta=delta, kind="earn", source_type="test", source_id=source_id,
                         now=now)


def test_credits_of_one_transaction_add_up_on_the_day(clock, app, make, session):
    org = make.org()
    user = make.user(org, make.team(org))
    now = clock.now()
    for n in range(3):
        _credit(session, user, f"a{n}", 5, now)
    session.commit()
    assert _issued(session, org.id, org_local_day(session, org.id, now)) == 15


def test_a_rolled_back_savepoint_takes_its_points_of_the_day_with_it(clock, app, make, session):
    org = make.org()
    user = make.user(org, make.team(org))
    now = clock.now()
    _credit(session, user, "kept", 7, now)
    savepoint = session.begin_nested()
    _credit(session, user, "dropped", 100, now)
    savepoint.rollback()
    session.commit()
    assert _issued(session, org.id, org_local_day(session, org.id, now)) == 7


def test_a_rolled_back_transaction_adds_nothing(clock, app, make, session):
    org = make.org()
    user = make.user(org, make.team(org))
    now = clock.now()
    _credit(session, user, "gone", 9, now)
    session.rollback()
    session.commit()
    assert _issued(session, org.id, org_local_day(session, org.id, now)) is None
