"""The monthly earn cap: an entry past it keeps its carbon and earns only what is left;
check-ins and adjustments do not count; exact under concurrency (PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from activities.models import Activity
from points.ledger import account_of
from tests.points.helpers import auth, invariant_violations
from tests.points.test_concurrency import run_at_once

SHANGHAI = ZoneInfo("Asia/Shanghai")
MID_MONTH = datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI)


def _set_policy(client, make, clock, world, **policy):
    response = client.patch(f"/api/v1/orgs/{world.org.id}/points-policy", json=policy,
                            headers=auth(make, world.admin, clock))
    assert response.status_code == 200, response.get_json()


def _log(client, make, clock, user, quantity=5, activity_type="cycle", occurred_at=None):
    body = {"type": activity_type, "quantity": quantity}
    if occurred_at is not None:
        body["occurred_at"] = occurred_at.isoformat()
    response = client.post("/api/v1/activities", json=body, headers=auth(make, user, clock))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_entry_past_the_cap_keeps_its_carbon_and_earns_what_is_left(client, make, world,
                                                                        clock, session):
    clock.freeze(MID_MONTH)
    first = _log(client, make, clock, world.staff)
    per_entry = first["points"]
    assert per_entry > 2
    assert first["points_capped"] is False
    _set_policy(client, make, clock, world, monthly_earn_cap=2 * per_entry + 1)
    second = _log(client, make, clock, world.staff)
    third = _log(client, make, clock, world.staff)
    fourth = _log(client, make, clock, world.staff)
    assert (second["points"], second["points_capped"]) == (per_entry, False)
    assert (third["points"], third["points_capped"]) == (1, True)
    assert (fourth["points"], fourth["points_capped"]) == (0, True)
    assert fourth["co2e_saved_kg"] == first["co2e_saved_kg"] > 0
    assert account_of(session, world.staff.id)[0] == 2 * per_entry + 1
    # A new month starts from zero.
    clock.freeze(datetime(2026, 7, 1, 8, 0, tzinfo=SHANGHAI))
    assert _log(client, make, clock, world.staff)["points"] == per_entry


def test_checkins_and_adjustments_do_not_count_against_the_cap(client, make, world, clock):
    clock.freeze(MID_MONTH)
    per_entry = _log(client, make, clock, world.staff)["points"]
    _set_policy(client, make, clock, world, monthly_earn_cap=2 * per_entry)
    response = client.post(f"/api/v1/orgs/{world.org.id}/points-adjustments",
                           json={"user_id": world.staff.id, "delta": 500, "reason": "奖励"},
                           headers=auth(make, world.admin, clock))
    assert response.status_code == 201
    entry = _log(client, make, clock, world.staff)
    assert (entry["points"], entry["points_capped"]) == (per_entry, False)


def test_a_voided_entry_gives_its_points_back_to_the_month(client, make, world, clock):
    clock.freeze(MID_MONTH)
    first = _log(client, make, clock, world.staff)
    per_entry = first["points"]
    _set_policy(client, make, clock, world, monthly_earn_cap=per_entry)
    assert _log(client, make, clock, world.staff)["points"] == 0
    response = client.delete(f"/api/v1/activities/{first['id']}",
                             headers=auth(make, world.staff, clock))
    assert response.status_code == 200, response.get_json()
    assert _log(client, make, clock, world.staff)["points"] == per_entry


def test_a_back_filled_entry_counts_in_the_month_it_happened(client, make, world, clock):
    clock.freeze(datetime(2026, 7, 2, 9, 0, tzinfo=SHANGHAI))
    per_entry = _log(client, make, clock, world.staff)["points"]
    _set_policy(client, make, clock, world, monthly_earn_cap=per_entry)
    june = _log(client, make, clock, world.staff, occurred_at=clock.now() - timedelta(days=3))
    july = _log(client, make, clock, world.staff)
    assert (june["points"], july["points"]) == (per_entry, 0)


@pytest.mark.concurrency
def test_concurrent_entries_never_earn_past_the_cap(app, client, make, world, clock, session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("row locks under real concurrency: PostgreSQL")
    clock.freeze(MID_MONTH)  # every entry in one month, whatever instant the run starts at
    per_entry = _log(client, make, clock, world.staff, quantity=2)["points"]
    cap = 5 * per_entry + 3
    _set_policy(client, make, clock, world, monthly_earn_cap=cap)
    headers = auth(make, world.staff, clock)

    def call(c):
        return c.post("/api/v1/activities", json={"type": "cycle", "quantity": 2},
                      headers=headers)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = run_at_once(app, pool, [call] * 12)
    assert [a.status_code for a in answers] == [201] * 12, answers
    session.expire_all()
    # The first entry was logged before the cap existed and counts in the month too.
    month_points = session.scalar(select(func.sum(Activity.points)).where(
        Activity.user_id == world.staff.id))
    assert month_points == cap
    assert sum(a.get_json()["points_capped"] for a in answers) >= 7
    assert account_of(session, world.staff.id)[0] == cap
    assert invariant_violations(session) == []
