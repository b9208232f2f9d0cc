"""Rule 3: the rewards catalogue per organisation (admin writes, staff browse)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import AuditEntry
from points.models import RewardStockMovement
from tests.points.helpers import add_reward

CUP = {"name": "环保随行水杯", "description": "304 不锈钢", "cost_points": 1200, "stock": 40,
       "per_user_limit": 1, "image_url": "https://img.example.cn/cup.png"}

pytestmark = pytest.mark.usefixtures("books_balance")


def _audit_actions(session, org_id):
    session.expire_all()
    return [a.action for a in session.scalars(
        select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.id))]


def test_admin_creates_a_reward_in_own_organisation(client, make, world):
    r = client.post("/api/v1/rewards", json=CUP, headers=make.headers(world.admin))
    assert r.status_code == 201
    body = r.get_json()
    assert body["org_id"] == world.org.id
    assert (body["name"], body["cost_points"]) == ("环保随行水杯", 1200)
    assert body["stock_remaining"] == 40
    assert body["per_user_limit"] == 1
    assert body["image_url"] == CUP["image_url"]


def test_reward_creation_is_audited_and_records_initial_stock(client, make, world, session):
    r = client.post("/api/v1/rewards", json=CUP, headers=make.headers(world.admin))
    movements = session.scalars(select(RewardStockMovement).where(
        RewardStockMovement.reward_id == r.get_json()["id"])).all()
    assert [m.delta for m in movements] == [40]
    assert _audit_actions(session, world.org.id) == ["reward.create"]


def test_superadmin_must_name_the_organisation(client, make, world):
    boss = make.user(role="superadmin")
    missing = client.post("/api/v1/rewards", json=CUP, headers=make.headers(boss))
    named = client.post("/api/v1/rewards", json={**CUP, "org_id": world.other_org.id},
                        headers=make.headers(boss))
    assert missing.status_code == 422
    assert "org_id" in missing.get_json()["error"]["details"]
    assert named.status_code == 201
    assert named.get_json()["org_id"] == world.other_org.id


def test_admin_cannot_create_in_another_organisation(client, make, world):
    r = client.post("/api/v1/rewards", json={**CUP, "org_id": world.other_org.id},
                    headers=make.headers(world.admin))
    assert r.status_code == 404


@pytest.mark.parametrize(("field", "value"), [
    ("cost_points", 0), ("cost_points", -5), ("cost_points", 1.5), ("stock", -1),
    ("per_user_limit", 0), ("image_url", "javascript:alert(1)"), ("name", ""),
])
def test_invalid_reward_values_are_422(client, make, world, field, value):
    r = client.post("/api/v1/rewards", json={**CUP, field: value},
                    headers=make.headers(world.admin))
    assert r.status_code == 422
    assert field in r.get_json()["error"]["details"]


def test_availability_window_must_end_after_it_starts(clock, client, make, world):
    start = clock.now()
    r = client.post("/api/v1/rewards", headers=make.headers(world.admin), json={
        **CUP, "available_from": start.isoformat(),
        "available_until": (start - timedelta(days=1)).isoformat()})
    assert r.status_code == 422
    assert "available_until" in r.get_json()["error"]["details"]


def test_an_instant_before_year_one_in_utc_is_422_and_creates_nothing(client, make, world):
    # 0001-01-01 00:00 at +01:00 is in year 0 in UTC, which no datetime can hold.
    r = client.post("/api/v1/rewards", headers=make.headers(world.admin), json={
        **CUP, "available_from": "0001-01-01T00:00:00+01:00"})
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "validation_error"
    listed = client.get("/api/v1/rewards", headers=make.headers(world.admin)).get_json()
    assert listed["items"] == []


def test_staff_see_rewards_on_offer_with_stock_remaining(clock, client, make, world, session):
    now = clock.now()
    on_offer = add_reward(session, world.org, name="绿植", stock=3)
    add_reward(session, world.org, name="已归档", archived_at=now)
    add_reward(session, world.org, name="未开始", available_from=now + timedelta(days=1))
    add_reward(session, world.org, name="已结束", available_until=now - timedelta(days=1))
    add_reward(session, world.other_org, name="别家的")
    r = client.get("/api/v1/rewards", headers=make.headers(world.staff))
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert [(i["id"], i["name"], i["stock_remaining"]) for i in items] == [
        (on_offer.id, "绿植", 3)]
    assert set(items[0]) >= {"id", "name", "description", "cost_points", "stock_remaining",
                             "per_user_limit", "available_from", "available_until", "image_url"}


def test_someone_not_yet_enrolled_is_offered_nothing(client, make, world, session):
    add_reward(session, world.org)
    newcomer = make.user(None, None)
    r = client.get("/api/v1/rewards", headers=make.headers(newcomer))
    assert (r.status_code, r.get_json()) == (200, {"items": [], "next_cursor": None})


def test_rewards_list_pages_with_a_cursor(client, make, world, session):
    ids = [add_reward(session, world.org, name=f"奖品{n}").id for n in range(5)]
    first = client.get("/api/v1/rewards?limit=3", headers=make.headers(world.staff)).get_json()
    second = client.get(f"/api/v1/rewards?limit=3&cursor={first['next_cursor']}",
                        headers=make.headers(world.staff)).get_json()
    assert [i["id"] for i in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


def test_admin_lists_the_whole_catalogue_including_archived(clock, client, make, world, session):
    kept = add_reward(session, world.org, name="在售")
    gone = add_reward(session, world.org, name="已归档", archived_at=clock.now())
    headers = make.headers(world.admin)
    everything = client.get(f"/api/v1/orgs/{world.org.id}/rewards", headers=headers).get_json()
    archived = client.get(f"/api/v1/orgs/{world.org.id}/rewards?archived=true",
                          headers=headers).get_json()
    assert [i["id"] for i in everything["items"]] == [gone.id, kept.id]
    assert [i["id"] for i in archived["items"]] == [gone.id]


def test_admin_edits_a_reward_and_the_edit_is_audited(client, make, world, session):
    reward = add_reward(session, world.org, cost=100)
    r = client.patch(f"/api/v1/rewards/{reward.id}", json={"cost_points": 150, "name": "新水杯"},
                     headers=make.headers(world.admin))
    assert r.status_code == 200
    assert (r.get_json()["cost_points"], r.get_json()["name"]) == (150, "新水杯")
    assert _audit_actions(session, world.org.id) == ["reward.update"]


def test_patch_cannot_set_stock_directly(client, make, world, session):
    reward = add_reward(session, world.org, stock=5)
    r = client.patch(f"/api/v1/rewards/{reward.id}", json={"stock": 500},
                     headers=make.headers(world.admin))
    assert r.status_code == 422
    assert "stock" in r.get_json()["error"]["details"]


def test_patch_window_is_checked_against_the_stored_start(clock, client, make, world, session):
    start = clock.now() + timedelta(days=3)
    reward = add_reward(session, world.org, available_from=start)
    r = client.patch(f"/api/v1/rewards/{reward.id}", headers=make.headers(world.admin),
                     json={"available_until": (start - timedelta(days=1)).isoformat()})
    assert r.status_code == 422


def test_delete_archives_and_answers_the_object(client, make, world, session):
    reward = add_reward(session, world.org)
    r = client.delete(f"/api/v1/rewards/{reward.id}", headers=make.headers(world.admin))
    listed = client.get("/api/v1/rewards", headers=make.headers(world.staff)).get_json()
    assert r.status_code == 200
    assert (r.get_json()["id"], r.get_json()["archived"]) == (reward.id, True)
    assert listed["items"] == []
    assert _audit_actions(session, world.org.id) == ["reward.archive"]


def test_stock_change_with_reason_moves_stock_and_is_audited(client, make, world, session):
    reward = add_reward(session, world.org, stock=5)
    r = client.post(f"/api/v1/rewards/{reward.id}/stock", json={"delta": 20, "reason": "新到货"},
                    headers=make.headers(world.admin))
    assert r.status_code == 200
    assert r.get_json()["stock_remaining"] == 25
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "reward.stock")).one()
    assert audit.changes["reason"] == "新到货"
    assert audit.changes["stock_after"] == 25


def test_stock_never_goes_negative(client, make, world, session):
    reward = add_reward(session, world.org, stock=2)
    r = client.post(f"/api/v1/rewards/{reward.id}/stock", json={"delta": -3, "reason": "盘点"},
                    headers=make.headers(world.admin))
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "stock_negative"
    assert r.get_json()["error"]["details"]["stock_remaining"] == 2


@pytest.mark.parametrize("body", [{"delta": 0, "reason": "无"}, {"delta": 5},
                                  {"delta": 5, "reason": ""}])
def test_stock_change_needs_a_nonzero_delta_and_a_reason(client, make, world, session, body):
    reward = add_reward(session, world.org)
    r = client.post(f"/api/v1/rewards/{reward.id}/stock", json=body,
                    headers=make.headers(world.admin))
    assert r.status_code == 422


def test_another_organisations_reward_is_404_for_every_verb(client, make, world, session):
    theirs = add_reward(session, world.other_org)
    headers = make.headers(world.admin)
    answers = [
        client.get(f"/api/v1/rewards/{theirs.id}", headers=headers).status_code,
        client.patch(f"/api/v1/rewards/{theirs.id}", json={"name": "x"},
                     headers=headers).status_code,
        client.delete(f"/api/v1/rewards/{theirs.id}", headers=headers).status_code,
        client.post(f"/api/v1/rewards/{theirs.id}/stock", json={"delta": 1, "reason": "x"},
                    headers=headers).status_code,
        client.get(f"/api/v1/orgs/{world.other_org.id}/rewards", headers=headers).status_code,
    ]
    assert answers == [404] * 5


def test_staff_cannot_write_the_catalogue(client, make, world, session):
    reward = add_reward(session, world.org)
    headers = make.headers(world.staff)
    answers = [
        client.post("/api/v1/rewards", json=CUP, headers=headers),
        client.patch(f"/api/v1/rewards/{reward.id}", json={"name": "x"}, headers=headers),
        client.delete(f"/api/v1/rewards/{reward.id}", headers=headers),
        client.post(f"/api/v1/rewards/{reward.id}/stock", json={"delta": 1, "reason": "x"},
                    headers=headers),
    ]
    assert [(a.status_code, a.get_json()["error"]["code"]) for a in answers] == [
        (403, "forbidden")] * 4
