"""Wrong pickup codes at the counter: counted, audited, and after 5 the redemption is locked
until an admin fulfils it by override with a reason (issue 13)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import AuditEntry
from tests.points.helpers import add_reward, give_points, new_key, redeem

pytestmark = pytest.mark.usefixtures("books_balance")


@pytest.fixture
def pending(client, make, world, session):
    give_points(session, world.staff, 100)
    reward = add_reward(session, world.org, cost=30, stock=5)
    return redeem(client, make, world.staff, reward.id, new_key()).get_json()["redemption"]


def fulfil(client, make, admin, redemption, **body):
    return client.post(f"/api/v1/redemptions/{redemption['id']}/fulfil", json=body,
                       headers=make.headers(admin))


def wrong_code(redemption) -> str:
    return "222222" if redemption["pickup_code"] != "222222" else "333333"


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_every_wrong_code_is_counted_and_audited(client, make, world, session, pending):
    first = fulfil(client, make, world.admin, pending, pickup_code=wrong_code(pending))
    second = fulfil(client, make, world.admin, pending, pickup_code=wrong_code(pending))

    assert first.status_code == second.status_code == 422
    assert [r.get_json()["error"]["details"]["attempts_left"] for r in (first, second)] == [4, 3]
    assert actions(session) == ["redemption.pickup_code_mismatch"] * 2
    entry = session.scalars(select(AuditEntry)).first()
    assert (entry.actor_id, entry.target_id) == (world.admin.id, str(pending["id"]))
    assert pending["pickup_code"] not in str(entry.changes)


def test_after_5_wrong_codes_even_the_right_one_is_refused(client, make, world, session,
                                                           pending):
    wrong = [fulfil(client, make, world.admin, pending, pickup_code=wrong_code(pending))
             for _ in range(5)]

    right = fulfil(client, make, world.admin, pending, pickup_code=pending["pickup_code"])
    listed = client.get(f"/api/v1/orgs/{world.org.id}/redemptions?status=pending",
                        headers=make.headers(world.admin)).get_json()["items"]

    assert [r.status_code for r in wrong] == [422] * 5
    assert wrong[-1].get_json()["error"]["details"]["locked"] is True
    assert (right.status_code, right.get_json()["error"]["code"]) == (409, "redemption_locked")
    assert [(i["id"], i["locked"], i["failed_pickup_attempts"]) for i in listed] == [
        (pending["id"], True, 5)]
    assert actions(session) == (["redemption.pickup_code_mismatch"] * 5
                                + ["redemption.pickup_locked"])


def test_an_admin_fulfils_a_locked_redemption_by_override_with_a_reason(client, make, world,
                                                                        session, pending):
    for _ in range(5):
        fulfil(client, make, world.admin, pending, pickup_code=wrong_code(pending))

    no_reason = fulfil(client, make, world.admin, pending, override=True)
    done = fulfil(client, make, world.admin, pending, override=True,
                  reason="本人到场，核对工牌后发放")

    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_json()["error"]["details"]
    assert (done.status_code, done.get_json()["status"]) == (200, "fulfilled")
    override = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "redemption.fulfil_override")).one()
    assert override.changes["reason"] == "本人到场，核对工牌后发放"


def test_an_override_needs_a_locked_redemption(client, make, world, pending):
    response = fulfil(client, make, world.admin, pending, override=True, reason="没带取货码")

    assert (response.status_code, response.get_json()["error"]["code"]) == (
        409, "redemption_not_locked")
