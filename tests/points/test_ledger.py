"""The ledger core: one crediting function, idempotent by source, never below zero."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from points.ledger import InsufficientPoints, account_of, credit_points, ledger_sum
from tests.factories import now_of


def _credit(session, user, delta, kind="earn", source=("test", "1")):
    result = credit_points(session, user_id=user.id, org_id=user.org_id, team_id=user.team_id,
                           delta=delta, kind=kind, source_type=source[0], source_id=source[1],
                           now=now_of(session))
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
def test_concurrent_credits_of_one_source_credit_once(clock, session, make, engine):
    user = make.user(make.org())
    errors = []

    def worker():
        with Session(engine) as s:
            try:
                credit_points(s, user_id=user.id, org_id=user.org_id, team_id=None, delta=5,
                              kind="earn", source_type="activity", source_id="99", now=clock.now())
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


# --- rule 1: an append-only ledger that the owner can read ------------------------------

def test_me_points_shows_balance_earnings_and_entries_newest_first(client, make, session):
    user = make.user(make.org())
    _credit(session, user, 50, source=("activity", 1))
    _credit(session, user, -20, kind="redeem", source=("redemption", 9))
    body = client.get("/api/v1/me/points", headers=make.headers(user)).get_json()
    assert (body["balance"], body["earned_total"], body["next_cursor"]) == (30, 50, None)
    assert [(i["delta"], i["kind"], i["ref"], i["balance_after"]) for i in body["items"]] == [
        (-20, "redeem", "redemption:9", 30), (50, "earn", "activity:1", 50)]
    assert set(body["items"][0]) == {"id", "delta", "kind", "ref", "reason", "balance_after",
                                     "created_at"}


def test_me_points_pages_with_a_cursor(client, make, session):
    user = make.user(make.org())
    for n in range(5):
        _credit(session, user, 1, source=("activity", n))
    headers = make.headers(user)
    first = client.get("/api/v1/me/points?limit=2", headers=headers).get_json()
    rest = client.get(f"/api/v1/me/points?limit=10&cursor={first['next_cursor']}",
                      headers=headers).get_json()
    assert [i["ref"] for i in first["items"] + rest["items"]] == [
        f"activity:{n}" for n in range(4, -1, -1)]
    assert rest["next_cursor"] is None


def test_someone_who_never_earned_has_an_empty_statement(client, make):
    user = make.user(make.org())
    body = client.get("/api/v1/me/points", headers=make.headers(user)).get_json()
    assert body == {"balance": 0, "earned_total": 0, "items": [], "next_cursor": None,
                    "expiring": []}


def test_cancellation_is_a_compensating_entry_and_the_payment_stays(client, make, session):
    from tests.points.helpers import add_reward, ledger_entries, new_key, redeem

    org = make.org()
    user = make.user(org)
    _credit(session, user, 100, source=("activity", 1))
    reward = add_reward(session, org, cost=40)
    redemption = redeem(client, make, user, reward.id, new_key()).get_json()["redemption"]
    paid_before = [(e.id, e.delta, e.balance_after) for e in ledger_entries(session, user.id)]
    client.post(f"/api/v1/redemptions/{redemption['id']}/cancel", headers=make.headers(user))
    after = [(e.id, e.delta, e.balance_after) for e in ledger_entries(session, user.id)]
    assert after[:2] == paid_before
    assert after[2][1:] == (40, 100)


# --- rule 2: one crediting function ---------------------------------------------------------

def test_every_path_leaves_a_chained_ledger(client, make, session):
    """earn, redeem, refund and adjust all go through credit_points: each entry's
    balance_after is the previous one plus its delta, and the account agrees."""
    from tests.points.helpers import add_reward, ledger_entries, new_key, redeem

    org = make.org()
    admin, user = make.user(org, role="admin"), make.user(org)
    _credit(session, user, 100, source=("activity", 1))
    reward = add_reward(session, org, cost=30)
    first = redeem(client, make, user, reward.id, new_key()).get_json()["redemption"]
    redeem(client, make, user, reward.id, new_key())
    client.post(f"/api/v1/redemptions/{first['id']}/cancel", headers=make.headers(user))
    client.post(f"/api/v1/orgs/{org.id}/points-adjustments", headers=make.headers(admin),
                json={"user_id": user.id, "delta": -5, "reason": "更正"})
    entries = ledger_entries(session, user.id)
    running = 0
    for entry in entries:
        running += entry.delta
        assert entry.balance_after == running
    assert [e.kind for e in entries] == ["earn", "redeem", "redeem", "refund", "adjust"]
    assert account_of(session, user.id) == (running, 95)


def test_only_credit_points_writes_the_ledger_and_the_accounts():
    """No module but points/ledger.py builds, updates or deletes ledger or account rows."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    writes = re.compile(r"(insert|update|delete)\(\s*(LedgerEntry|PointsAccount)\b"
                        r"|\b(LedgerEntry|PointsAccount)\(\s*\w+\s*="
                        r"|(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(ledger_entries|points_accounts)",
                        re.IGNORECASE)
    offenders = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root).as_posix()
        # bench/ seeds a million-activity history with bulk SQL, outside the app.
        if relative.split("/")[0] in (".venv", "tests", "migrations", "build", "bench") \
                or relative == "points/ledger.py":
            continue
        offenders += [f"{relative}: {m.group(0)}" for m in writes.finditer(path.read_text())]
    assert offenders == []
