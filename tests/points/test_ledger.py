"""The ledger core: one crediting function, idempotent by source, never below zero."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from app.db import now_utc
from points.ledger import InsufficientPoints, account_of, credit_points, ledger_sum


def _credit(session, user, delta, kind="earn", source=("test", "1")):
    result = credit_points(session, user_id=user.id, org_id=user.org_id, team_id=user.team_id,
                           delta=delta, kind=kind, source_type=source[0], source_id=source[1],
                           now=now_utc())
    session.commit()
    return result


def test_credit_moves_balance_and_records_balance_after(session, make):
    org = make.org()
    user = make.user(org)
    first = _credit(session, user, 30, source=("activity", 1))
    second = _credit(session, user, 12, source=("activity", 2))
    assert (first.entry.balance_after, second.entry.balance_after) == (30, 42)
    assert account_of(session, user.id) == (42, 42)


def test_same_source_credits_once(session, make):
    user = make.user(make.org())
    _credit(session, user, 30, source=("activity", 7))
    again = _credit(session, user, 30, source=("activity", 7))
    assert not again.created
    assert account_of(session, user.id) == (30, 30)
    assert ledger_sum(session, user.id) == 30


def test_spending_lowers_balance_but_not_earnings(session, make):
    user = make.user(make.org())
    _credit(session, user, 50, source=("activity", 1))
    _credit(session, user, -30, kind="redeem", source=("redemption", 1))
    assert account_of(session, user.id) == (20, 50)


def test_spend_beyond_balance_is_refused_and_changes_nothing(session, make):
    user = make.user(make.org())
    _credit(session, user, 10, source=("activity", 1))
    with pytest.raises(InsufficientPoints):
        _credit(session, user, -11, kind="redeem", source=("redemption", 1))
    session.rollback()
    assert account_of(session, user.id) == (10, 10)
    assert ledger_sum(session, user.id) == 10


@pytest.mark.concurrency
def test_concurrent_credits_of_one_source_credit_once(session, make, engine):
    user = make.user(make.org())
    errors = []

    def worker():
        with Session(engine) as s:
            try:
                credit_points(s, user_id=user.id, org_id=user.org_id, team_id=None, delta=5,
                              kind="earn", source_type="activity", source_id="99", now=now_utc())
                s.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert account_of(session, user.id) == (5, 5)
