"""Rule 6: admin adjustments with a reason, audited and visible in `/me/points`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.models import AuditEntry
from points.ledger import account_of
from points.models import DailyContribution
from tests.points.helpers import give_points

pytestmark = pytest.mark.usefixtures("books_balance")


def _adjust(client, make, actor, org_id, user_id, delta, reason="节能标兵奖励"):
    return client.post(f"/api/v1/orgs/{org_id}/points-adjustments",
                       json={"user_id": user_id, "delta": delta, "reason": reason},
                       headers=make.headers(actor))


def test_adjustment_is_visible_to_the_user_in_me_points(client, make, world):
    r = _adjust(client, make, world.admin, world.org.id, world.staff.id, 50)
    statement = client.get("/api/v1/me/points", headers=make.headers(world.staff)).get_json()
    assert r.status_code == 201
    assert (statement["balance"], statement["earned_total"]) == (50, 50)
    item = statement["items"][0]
    assert (item["id"], item["delta"], item["kind"], item["reason"], item["balance_after"]) == (
        r.get_json()["id"], 50, "adjust", "节能标兵奖励", 50)
    assert item["ref"].startswith("adjustment:")


def test_adjustment_is_written_to_the_audit_log(client, make, world, session):
    entry_id = _adjust(client, make, world.admin, world.org.id, world.staff.id, 50).get_json()["id"]
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "points.adjust")).one()
    assert (audit.actor_id, audit.org_id, audit.target_id) == (
        world.admin.id, world.org.id, str(world.staff.id))
    assert audit.changes["reason"] == "节能标兵奖励"
    assert audit.changes["delta"] == 50
    assert audit.changes["ledger_entry_id"] == entry_id


def test_adjustment_records_the_acting_admin_on_the_ledger_entry(client, make, world):
    body = _adjust(client, make, world.admin, world.org.id, world.staff.id, 10).get_json()
    assert (body["actor_id"], body["user_id"]) == (world.admin.id, world.staff.id)


def test_negative_adjustment_removes_points_and_earnings(client, make, world, session):
    give_points(session, world.staff, 80)
    r = _adjust(client, make, world.admin, world.org.id, world.staff.id, -30, "重复记录更正")
    assert r.status_code == 201
    assert account_of(session, world.staff.id) == (50, 50)


def test_adjustment_below_zero_is_409_balance_negative(client, make, world, session):
    give_points(session, world.staff, 20)
    r = _adjust(client, make, world.admin, world.org.id, world.staff.id, -21)
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "balance_negative")
    assert account_of(session, world.staff.id) == (20, 20)


def test_adjustment_moves_the_leaderboard_contribution_of_the_local_day(
        client, make, world, session, clock):
    now = clock.freeze()  # both adjustments on one local day, even at midnight
    _adjust(client, make, world.admin, world.org.id, world.staff.id, 40)
    _adjust(client, make, world.admin, world.org.id, world.staff.id, -15)
    row = session.scalars(select(DailyContribution).where(
        DailyContribution.user_id == world.staff.id)).one()
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert (row.day, row.points, row.co2e_g, row.team_id) == (today, 25, 0, world.team.id)


def test_adjustment_day_follows_the_organisation_time_zone(client, make, session, clock):
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are never on the same date, so one of them
    # is always on a different date from Beijing: the day cannot be Beijing's by accident.
    now = clock.freeze()
    beijing = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    zone = next(z for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
                if now.astimezone(ZoneInfo(z)).date() != beijing)
    org = make.org(timezone=zone)
    admin, member = make.user(org, role="admin"), make.user(org)
    _adjust(client, make, admin, org.id, member.id, 5)
    row = session.scalars(select(DailyContribution)).one()
    assert row.day == now.astimezone(ZoneInfo(zone)).date()


def test_adjustment_for_someone_of_another_organisation_is_404(client, make, world):
    r = _adjust(client, make, world.admin, world.org.id, world.other_staff.id, 5)
    other_org = _adjust(client, make, world.admin, world.other_org.id, world.other_staff.id, 5)
    assert (r.status_code, other_org.status_code) == (404, 404)


@pytest.mark.parametrize("body", [
    {"user_id": 1, "delta": 0, "reason": "x"},
    {"user_id": 1, "delta": 5},
    {"user_id": 1, "delta": 5, "reason": ""},
    {"user_id": 1, "delta": 2.5, "reason": "x"},
])
def test_adjustment_needs_a_nonzero_integer_and_a_reason(client, make, world, body):
    r = client.post(f"/api/v1/orgs/{world.org.id}/points-adjustments",
                    json={**body, "user_id": world.staff.id}, headers=make.headers(world.admin))
    assert r.status_code == 422


def test_staff_and_organizers_cannot_adjust(client, make, world):
    organizer = make.user(world.org, world.team, role="organizer")
    answers = [_adjust(client, make, who, world.org.id, world.staff.id, 5).status_code
               for who in (world.staff, organizer)]
    assert answers == [403, 403]
