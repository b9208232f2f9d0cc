"""Rules 4 and 5: redeeming with an Idempotency-Key, and the counter's fulfil and cancel."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.models import AuditEntry, IdempotencyKey
from app.service import CODE_ALPHABET
from points import redemptions as redemptions_module
from points.ledger import InsufficientPoints, account_of
from points.models import Redemption, Reward
from tests.factories import now_of
from tests.points.helpers import (
    add_reward,
    give_points,
    ledger_entries,
    new_key,
    redeem,
    stock_of,
)

pytestmark = pytest.mark.usefixtures("books_balance")


def _error(response):
    return response.status_code, response.get_json()["error"]["code"]


# --- rule 4: redemption -----------------------------------------------------------------

def test_redeem_answers_201_with_redemption_and_balance(client, make, world, session):
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, cost=30, stock=5)
    r = redeem(client, make, world.staff, reward.id, new_key())
    assert r.status_code == 201
    body = r.get_json()
    assert body["balance"] == 70
    assert {k: body["redemption"][k] for k in ("reward_id", "cost_points", "status")} == {
        "reward_id": reward.id, "cost_points": 30, "status": "pending"}
    assert set(body["redemption"]) >= {"id", "pickup_code", "created_at"}
    assert stock_of(session, reward.id) == 4


def test_redeem_moves_points_through_the_ledger_without_lowering_earnings(
        client, make, world, session):
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, cost=30)
    redemption_id = redeem(client, make, world.staff, reward.id,
                           new_key()).get_json()["redemption"]["id"]
    entries = ledger_entries(session, world.staff.id)
    assert [(e.kind, e.delta, e.ref) for e in entries][-1] == (
        "redeem", -30, f"redemption:{redemption_id}")
    assert account_of(session, world.staff.id) == (70, 100)


def test_redeem_without_idempotency_key_is_400(client, make, world, session):
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org)
    r = redeem(client, make, world.staff, reward.id)
    blank = redeem(client, make, world.staff, reward.id, "   ")
    assert _error(r) == (400, "idempotency_key_missing")
    assert _error(blank) == (400, "idempotency_key_missing")
    assert stock_of(session, reward.id) == 10


def test_an_overlong_idempotency_key_is_422(client, make, world, session):
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org)
    r = redeem(client, make, world.staff, reward.id, "k" * 129)
    assert _error(r) == (422, "validation_error")
    assert "Idempotency-Key" in r.get_json()["error"]["details"]


def test_same_key_replays_the_first_outcome_without_a_second_effect(client, make, world, session):
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, cost=30)
    key = new_key()
    first = redeem(client, make, world.staff, reward.id, key)
    again = redeem(client, make, world.staff, reward.id, key)
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert stock_of(session, reward.id) == 9
    assert account_of(session, world.staff.id)[0] == 70


def test_a_stored_refusal_is_replayed_as_the_same_409(client, make, world, session):
    reward = add_reward(session, world.org, cost=30)
    key = new_key()
    first = redeem(client, make, world.staff, reward.id, key)
    give_points(session, world.staff, 100)  # now it would succeed, but the key is spent
    again = redeem(client, make, world.staff, reward.id, key)
    assert _error(first) == (409, "insufficient_points")
    assert (again.status_code, again.get_json()) == (409, first.get_json())
    assert stock_of(session, reward.id) == 10


def test_same_key_for_another_reward_is_422_idempotency_key_reused(client, make, world, session):
    give_points(session, world.staff, 100)
    cup, plant = add_reward(session, world.org), add_reward(session, world.org, name="绿植")
    key = new_key()
    redeem(client, make, world.staff, cup.id, key)
    r = redeem(client, make, world.staff, plant.id, key)
    assert _error(r) == (422, "idempotency_key_reused")
    assert stock_of(session, plant.id) == 10


def test_a_key_belongs_to_the_user_who_sent_it(client, make, world, session):
    colleague = make.user(world.org, world.team)
    give_points(session, world.staff, 100)
    give_points(session, colleague, 100)
    reward = add_reward(session, world.org)
    key = new_key()
    mine = redeem(client, make, world.staff, reward.id, key)
    theirs = redeem(client, make, colleague, reward.id, key)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["redemption"]["id"] != theirs.get_json()["redemption"]["id"]


def test_same_key_while_the_first_is_running_is_409_request_in_progress(
        client, make, world, session, clock):
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org)
    key = new_key()
    # What the first request leaves while it works: a fresh in-progress claim of the key.
    session.add(IdempotencyKey(user_id=world.staff.id, scope="redeem", key=key,
                               request_hash=_fingerprint(reward.id), created_at=clock.now()))
    session.commit()
    r = redeem(client, make, world.staff, reward.id, key)
    assert _error(r) == (409, "request_in_progress")
    assert stock_of(session, reward.id) == 10


def _fingerprint(reward_id):
    from app.idempotency import request_fingerprint

    return request_fingerprint({"reward_id": reward_id})


def test_insufficient_points_is_409_and_changes_nothing(client, make, world, session):
    give_points(session, world.staff, 29)
    reward = add_reward(session, world.org, cost=30)
    r = redeem(client, make, world.staff, reward.id, new_key())
    assert _error(r) == (409, "insufficient_points")
    assert r.get_json()["error"]["details"] == {"needed": 30, "balance": 29}
    assert stock_of(session, reward.id) == 10


def test_out_of_stock_is_409(client, make, world, session):
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, stock=0)
    assert _error(redeem(client, make, world.staff, reward.id, new_key())) == (
        409, "out_of_stock")
    assert account_of(session, world.staff.id)[0] == 100


def test_the_last_unit_gone_while_the_claim_is_written_refuses_it_whole(
        client, make, world, session, monkeypatch):
    """Someone else takes the last unit after this request read the stock: the claim, the
    points and the answer are all undone, and a retry with the key is told the same."""
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, cost=30, stock=1)
    take = redemptions_module.take_one_unit

    def lose_the_unit_then_take(db_session, *args):
        db_session.execute(update(Reward).where(Reward.id == reward.id).values(stock=0))
        return take(db_session, *args)

    monkeypatch.setattr(redemptions_module, "take_one_unit", lose_the_unit_then_take)
    key = new_key()
    assert _error(redeem(client, make, world.staff, reward.id, key)) == (409, "out_of_stock")
    monkeypatch.undo()
    assert _error(redeem(client, make, world.staff, reward.id, key)) == (409, "out_of_stock")
    assert account_of(session, world.staff.id) == (100, 100)
    assert [e.kind for e in ledger_entries(session, world.staff.id)] == ["earn"]
    assert session.scalars(select(Redemption)).all() == []
    assert stock_of(session, reward.id) == 1


def test_a_refusal_inside_a_larger_transaction_leaves_nothing_of_the_claim(make, world,
                                                                            session):
    give_points(session, world.staff, 29)
    reward = add_reward(session, world.org, cost=30)
    with pytest.raises(InsufficientPoints):
        redemptions_module.redeem_reward(session, world.staff, reward.id, now_of(session))
    assert session.scalars(select(Redemption)).all() == []
    assert account_of(session, world.staff.id) == (29, 29)


def test_per_user_limit_counts_live_redemptions_only(client, make, world, session):
    give_points(session, world.staff, 300)
    reward = add_reward(session, world.org, per_user_limit=2)
    first = redeem(client, make, world.staff, reward.id, new_key()).get_json()["redemption"]
    redeem(client, make, world.staff, reward.id, new_key())
    refused = redeem(client, make, world.staff, reward.id, new_key())
    client.post(f"/api/v1/redemptions/{first['id']}/cancel", headers=make.headers(world.staff))
    after_cancel = redeem(client, make, world.staff, reward.id, new_key())
    assert _error(refused) == (409, "limit_reached")
    assert after_cancel.status_code == 201


@pytest.mark.parametrize("window", ["archived", "not_yet", "ended"])
def test_reward_outside_its_offer_is_409_reward_unavailable(client, make, world, session, window,
                                                            clock):
    now = clock.now()
    fields = {"archived": {"archived_at": now},
              "not_yet": {"available_from": now + timedelta(hours=1)},
              "ended": {"available_until": now - timedelta(seconds=1)}}[window]
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, **fields)
    r = redeem(client, make, world.staff, reward.id, new_key())
    assert _error(r) == (409, "reward_unavailable")


def test_another_organisations_reward_cannot_be_redeemed(client, make, world, session):
    give_points(session, world.staff, 100)
    theirs = add_reward(session, world.other_org)
    assert redeem(client, make, world.staff, theirs.id, new_key()).status_code == 404


def test_pickup_code_is_short_and_unambiguous(client, make, world, session):
    give_points(session, world.staff, 1000)
    reward = add_reward(session, world.org, cost=10)
    codes = [redeem(client, make, world.staff, reward.id, new_key())
             .get_json()["redemption"]["pickup_code"] for _ in range(5)]
    assert all(re.fullmatch(f"[{CODE_ALPHABET}]{{6}}", c) for c in codes)
    assert len(set(codes)) == 5


def test_a_pending_pickup_code_is_drawn_again(client, make, world, session, monkeypatch):
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, cost=10)
    draws = iter(["SAME22", "SAME22", "OTHER3"])
    monkeypatch.setattr(redemptions_module, "random_code", lambda _length: next(draws))
    first = redeem(client, make, world.staff, reward.id, new_key()).get_json()
    second = redeem(client, make, world.staff, reward.id, new_key()).get_json()
    assert (first["redemption"]["pickup_code"], second["redemption"]["pickup_code"]) == (
        "SAME22", "OTHER3")
    assert second["balance"] == 80


# --- rule 5: counter work ------------------------------------------------------------------

@pytest.fixture
def pending(client, make, world, session):
    """A pending redemption of a 30-point reward by world.staff (who keeps 70 points)."""
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, cost=30, stock=5)
    body = redeem(client, make, world.staff, reward.id, new_key()).get_json()
    return body["redemption"]


def test_owner_cancels_a_pending_redemption_and_gets_points_and_stock_back(
        client, make, world, session, pending):
    r = client.post(f"/api/v1/redemptions/{pending['id']}/cancel",
                    headers=make.headers(world.staff))
    assert r.status_code == 200
    assert r.get_json()["status"] == "cancelled"
    assert account_of(session, world.staff.id) == (100, 100)
    assert stock_of(session, pending["reward_id"]) == 5
    assert [e.kind for e in ledger_entries(session, world.staff.id)] == [
        "earn", "redeem", "refund"]


def test_cancelling_twice_refunds_once(client, make, world, session, pending):
    url = f"/api/v1/redemptions/{pending['id']}/cancel"
    client.post(url, headers=make.headers(world.staff))
    again = client.post(url, headers=make.headers(world.admin))
    assert _error(again) == (409, "redemption_not_pending")
    assert account_of(session, world.staff.id)[0] == 100
    assert stock_of(session, pending["reward_id"]) == 5


def test_admin_cancels_for_a_member_and_it_is_audited(client, make, world, session, pending):
    r = client.post(f"/api/v1/redemptions/{pending['id']}/cancel",
                    headers=make.headers(world.admin))
    audit = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "redemption.cancel")).one()
    assert r.status_code == 200
    assert (audit.actor_id, audit.target_id) == (world.admin.id, str(pending["id"]))


def test_another_member_cannot_cancel_my_redemption(client, make, world, session, pending):
    colleague = make.user(world.org, world.team)
    r = client.post(f"/api/v1/redemptions/{pending['id']}/cancel",
                    headers=make.headers(colleague))
    assert _error(r) == (403, "forbidden")


def test_another_organisations_admin_gets_404(client, make, world, session, pending):
    headers = make.headers(world.other_admin)
    cancel = client.post(f"/api/v1/redemptions/{pending['id']}/cancel", headers=headers)
    fulfil = client.post(f"/api/v1/redemptions/{pending['id']}/fulfil", headers=headers,
                         json={"pickup_code": pending["pickup_code"]})
    assert (cancel.status_code, fulfil.status_code) == (404, 404)


def test_admin_fulfils_with_the_pickup_code(client, make, world, session, pending):
    r = client.post(f"/api/v1/redemptions/{pending['id']}/fulfil",
                    json={"pickup_code": pending["pickup_code"].lower()},
                    headers=make.headers(world.admin))
    assert r.status_code == 200
    assert r.get_json()["status"] == "fulfilled"
    assert r.get_json()["fulfilled_by"] == world.admin.id
    assert stock_of(session, pending["reward_id"]) == 4


def test_wrong_pickup_code_is_refused_with_422(client, make, world, session, pending):
    wrong = "222222" if pending["pickup_code"] != "222222" else "333333"
    r = client.post(f"/api/v1/redemptions/{pending['id']}/fulfil", json={"pickup_code": wrong},
                    headers=make.headers(world.admin))
    listed = client.get(f"/api/v1/orgs/{world.org.id}/redemptions?status=pending",
                        headers=make.headers(world.admin)).get_json()
    assert _error(r) == (422, "pickup_code_mismatch")
    assert [i["id"] for i in listed["items"]] == [pending["id"]]


def test_fulfilled_redemption_can_be_neither_cancelled_nor_fulfilled_again(
        client, make, world, session, pending):
    url = f"/api/v1/redemptions/{pending['id']}"
    code = {"pickup_code": pending["pickup_code"]}
    client.post(f"{url}/fulfil", json=code, headers=make.headers(world.admin))
    again = client.post(f"{url}/fulfil", json=code, headers=make.headers(world.admin))
    cancel = client.post(f"{url}/cancel", headers=make.headers(world.staff))
    assert _error(again) == (409, "redemption_not_pending")
    assert _error(cancel) == (409, "redemption_not_pending")
    assert account_of(session, world.staff.id)[0] == 70


def test_fulfil_is_audited(client, make, world, session, pending):
    client.post(f"/api/v1/redemptions/{pending['id']}/fulfil",
                json={"pickup_code": pending["pickup_code"]}, headers=make.headers(world.admin))
    actions = session.scalars(select(AuditEntry.action)).all()
    assert actions == ["redemption.fulfil"]


def test_admin_lists_redemptions_by_status(client, make, world, session, pending):
    reward_id = pending["reward_id"]
    second = redeem(client, make, world.staff, reward_id, new_key()).get_json()["redemption"]
    client.post(f"/api/v1/redemptions/{second['id']}/cancel", headers=make.headers(world.staff))
    headers = make.headers(world.admin)

    def ids(query):
        return [i["id"] for i in client.get(f"/api/v1/orgs/{world.org.id}/redemptions{query}",
                                            headers=headers).get_json()["items"]]

    assert ids("") == [second["id"], pending["id"]]
    assert ids("?status=pending") == [pending["id"]]
    assert ids("?status=cancelled") == [second["id"]]
    assert ids("?status=fulfilled") == []
    assert ids(f"?pickup_code={pending['pickup_code']}&status=pending") == [pending["id"]]


def test_admin_list_does_not_show_pickup_codes(client, make, world, session, pending):
    items = client.get(f"/api/v1/orgs/{world.org.id}/redemptions",
                       headers=make.headers(world.admin)).get_json()["items"]
    assert items[0]["user_id"] == world.staff.id
    assert "pickup_code" not in items[0]


def test_unknown_status_filter_is_422(client, make, world):
    r = client.get(f"/api/v1/orgs/{world.org.id}/redemptions?status=lost",
                   headers=make.headers(world.admin))
    assert r.status_code == 422


def test_member_sees_own_redemptions_newest_first(client, make, world, session, pending):
    colleague = make.user(world.org, world.team)
    give_points(session, colleague, 100)
    redeem(client, make, colleague, pending["reward_id"], new_key())
    mine = client.get("/api/v1/me/redemptions", headers=make.headers(world.staff)).get_json()
    assert [(i["id"], i["pickup_code"]) for i in mine["items"]] == [
        (pending["id"], pending["pickup_code"])]
    assert mine["next_cursor"] is None


def test_a_person_deactivated_since_their_last_redemption_is_refused_at_once(
        client, make, world, session):
    """The redeeming person comes from the directory when Redis holds them (app.directory):
    a deactivation moves their entry in the request that makes it."""
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, cost=10, stock=5)
    assert redeem(client, make, world.staff, reward.id, new_key()).status_code == 201
    response = client.patch(f"/api/v1/orgs/{world.org.id}/users/{world.staff.id}",
                            json={"is_active": False}, headers=make.headers(world.admin))
    assert response.status_code == 200, response.get_json()

    assert _error(redeem(client, make, world.staff, reward.id, new_key())) == (
        401, "token_invalid")
    assert stock_of(session, reward.id) == 4
