"""Logging one activity: what is stored and credited, and each rule that refuses an entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from activities.models import Activity, ActivityDailyUsage
from points.ledger import account_of
from points.models import DailyContribution, LedgerEntry


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_logging_answers_201_with_the_activity(post_activity, person):
    response = post_activity(person.user, type="metro", quantity=12.5, note="上班")

    assert response.status_code == 201
    body = response.get_json()
    assert {"id", "type", "quantity", "occurred_at", "co2e_saved_kg", "points", "status",
            "capped", "campaign_id", "factor_version"} <= set(body)
    assert (body["type"], body["quantity"], body["status"], body["capped"],
            body["campaign_id"]) == ("metro", 12.5, "accepted", False, None)
    assert body["co2e_saved_kg"] == 0.986  # 12.5 x 78.874 g
    assert body["points"] == 98


def test_activity_keeps_the_inputs_of_its_numbers(post_activity, person, session):
    activity_id = post_activity(person.user, type="pc_off", quantity=3).get_json()["id"]

    row = session.get(Activity, activity_id)
    assert (row.org_id, row.team_id, row.region, row.factor_version) == (
        person.org.id, person.team.id, "beijing", "bth-2025.1")
    assert str(row.per_unit_saved_g) == "48.267000"  # 0.0865 kWh x 558 g/kWh
    assert (row.co2e_saved_g, row.points, str(row.credited_quantity)) == (145, 14, "3.000")


def test_points_go_through_the_ledger_in_the_same_request(post_activity, person, session):
    body = post_activity(person.user, type="cycle", quantity=10).get_json()

    entry = session.query(LedgerEntry).filter_by(user_id=person.user.id).one()
    assert (entry.kind, entry.ref, entry.delta) == ("earn", f"activity:{body['id']}",
                                                    body["points"])
    assert account_of(session, person.user.id) == (body["points"], body["points"])


def test_the_day_counted_is_the_organisations_local_day(clock, post_activity, make, session):
    org = make.org(region="tianjin", timezone="Asia/Shanghai")
    user = make.user(org, make.team(org))
    now = clock.now()
    # 23:30 in Beijing time yesterday is the day before in local terms, whatever UTC says.
    local_yesterday = (now.astimezone(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)).replace(
        hour=23, minute=30, second=0, microsecond=0)
    body = post_activity(user, type="walk", quantity=2, occurred_at=iso(local_yesterday))

    assert body.status_code == 201, body.get_json()
    assert body.get_json()["local_date"] == local_yesterday.date().isoformat()
    row = session.query(DailyContribution).filter_by(user_id=user.id).one()
    assert row.day == local_yesterday.date()


def test_contribution_counts_for_the_team_at_logging_time(post_activity, person, make, session):
    post_activity(person.user, type="walk", quantity=2)
    new_team = make.team(person.org)
    person.user.team_id = new_team.id
    session.commit()
    post_activity(person.user, type="walk", quantity=3)

    rows = {r.team_id: r.entries for r in
            session.query(DailyContribution).filter_by(user_id=person.user.id)}
    assert rows == {person.team.id: 1, new_team.id: 1}


# --- rejections ---------------------------------------------------------------------------

def error_code(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def test_unknown_type_is_refused(post_activity, person):
    assert error_code(post_activity(person.user, type="jog", quantity=2)) == (
        422, "unknown_activity_type")


@pytest.mark.parametrize("quantity", [0, -1, 15.001, 16, 2.0005, "1e400"])
def test_quantity_out_of_range_is_refused(post_activity, person, quantity):
    # walk: max 15 km per entry, at most 3 decimals
    assert error_code(post_activity(person.user, type="walk", quantity=quantity)) == (
        422, "quantity_out_of_range")


def test_quantity_at_the_limit_and_with_three_decimals_is_accepted(post_activity, person):
    assert post_activity(person.user, type="walk", quantity=15).status_code == 201
    assert post_activity(person.user, type="bus", quantity=2.125).status_code == 201


def test_future_beyond_five_minutes_of_skew_is_refused(clock, post_activity, person):
    late = clock.now() + timedelta(minutes=6)

    assert error_code(post_activity(person.user, type="walk", quantity=1,
                                    occurred_at=iso(late))) == (422, "occurred_in_future")


def test_clock_skew_within_five_minutes_is_accepted(clock, post_activity, person):
    soon = clock.now() + timedelta(minutes=4)

    assert post_activity(person.user, type="walk", quantity=1,
                         occurred_at=iso(soon)).status_code == 201


def test_older_than_the_back_fill_window_is_refused(clock, post_activity, person):
    old = clock.now() - timedelta(days=7, minutes=1)

    assert error_code(post_activity(person.user, type="walk", quantity=1,
                                    occurred_at=iso(old))) == (422, "occurred_too_long_ago")


def test_back_fill_within_seven_days_is_accepted(clock, post_activity, person):
    response = post_activity(person.user, type="walk", quantity=1,
                             occurred_at=iso(clock.now() - timedelta(days=6, hours=23)))

    assert response.status_code == 201


def test_time_without_offset_means_beijing_time(clock, post_activity, person):
    local = (clock.now() - timedelta(hours=2)).astimezone(ZoneInfo("Asia/Shanghai"))
    naive = local.replace(tzinfo=None, microsecond=0).isoformat()

    body = post_activity(person.user, type="walk", quantity=1, occurred_at=naive).get_json()

    assert datetime.fromisoformat(body["occurred_at"]) == local.replace(microsecond=0)


def test_unknown_field_is_refused(post_activity, person):
    assert error_code(post_activity(person.user, type="walk", quantity=1, points=999)) == (
        422, "validation_error")


def test_someone_not_enrolled_cannot_log(post_activity, make):
    response = post_activity(make.user(None, None), type="walk", quantity=1)

    assert error_code(response) == (403, "not_enrolled")


def test_a_refused_entry_stores_and_credits_nothing(post_activity, person, session):
    post_activity(person.user, type="walk", quantity=99)

    assert session.query(Activity).count() == 0
    assert account_of(session, person.user.id) == (0, 0)


# --- daily caps ---------------------------------------------------------------------------

def test_entry_crossing_the_daily_cap_is_credited_up_to_the_cap(post_activity, person):
    post_activity(person.user, type="walk", quantity=15)  # cap 20 km

    body = post_activity(person.user, type="walk", quantity=8).get_json()

    assert (body["capped"], body["quantity"], body["credited_quantity"]) == (True, 8, 5)
    assert (body["co2e_saved_kg"], body["points"]) == (0.701, 70)  # 5 km x 140.276 g


def test_entry_wholly_past_the_cap_is_stored_with_nothing_credited(post_activity, person,
                                                                  session):
    post_activity(person.user, type="clean_plate", quantity=3)  # cap 3 meals

    body = post_activity(person.user, type="clean_plate", quantity=1).get_json()

    assert (body["status"], body["capped"], body["co2e_saved_kg"], body["points"]) == (
        "accepted", True, 0, 0)
    assert session.query(LedgerEntry).filter_by(user_id=person.user.id).count() == 1


def test_caps_are_per_local_day(clock, post_activity, person):
    yesterday = clock.now() - timedelta(days=1)
    post_activity(person.user, type="own_cup", quantity=5, occurred_at=iso(yesterday))

    body = post_activity(person.user, type="own_cup", quantity=5).get_json()

    assert (body["capped"], body["points"]) == (False, 55)


def test_usage_row_holds_what_was_credited(post_activity, person, session):
    for quantity in (150.5, 200, 100):  # cap 400 lamp-hours
        assert post_activity(person.user, type="lights_off", quantity=quantity).status_code == 201

    usage = session.query(ActivityDailyUsage).filter_by(user_id=person.user.id).one()
    assert usage.used_milli == 400_000


# --- client_id replays --------------------------------------------------------------------

def test_replay_of_a_client_id_returns_the_original_and_credits_once(post_activity, person,
                                                                    session):
    first = post_activity(person.user, type="bus", quantity=9, client_id="phone-1")
    again = post_activity(person.user, type="bus", quantity=9, client_id="phone-1")

    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert session.query(Activity).count() == 1
    assert account_of(session, person.user.id)[0] == first.get_json()["points"]


def test_replay_with_an_equal_quantity_written_differently_is_the_same_request(post_activity,
                                                                              person):
    first = post_activity(person.user, type="bus", quantity=9, client_id="phone-1").get_json()

    again = post_activity(person.user, type="bus", quantity="9.000", client_id="phone-1")

    assert again.get_json()["id"] == first["id"]


def test_same_client_id_with_another_body_is_refused(post_activity, person):
    post_activity(person.user, type="bus", quantity=9, client_id="phone-1")

    response = post_activity(person.user, type="bus", quantity=10, client_id="phone-1")

    assert error_code(response) == (422, "idempotency_key_reused")


def test_client_ids_belong_to_their_user(post_activity, person, make):
    other = make.user(person.org, person.team)

    assert post_activity(person.user, type="walk", quantity=1, client_id="x").status_code == 201
    assert post_activity(other, type="walk", quantity=2, client_id="x").status_code == 201


def test_replay_after_the_back_fill_window_still_answers_the_original(clock, post_activity, person,
                                                                     log_at):
    logged = log_at(person.user, "walk", 2, now=clock.now() - timedelta(days=10),
                    client_id="old-1")
    occurred = logged.occurred_at.astimezone(UTC).isoformat()

    response = post_activity(person.user, type="walk", quantity=2, occurred_at=occurred,
                             client_id="old-1")

    assert (response.status_code, response.get_json()["id"]) == (201, logged.id)


# --- burst guard ---------------------------------------------------------------------------

def test_more_than_30_logging_requests_in_15_minutes_is_429(client, make, person, clock):
    clock.freeze()  # limits count in windows of the clock: stopped, none is straddled
    headers = make.headers(person.user)
    statuses = [client.post("/api/v1/activities", json={"type": "stairs", "quantity": 1},
                            headers=headers).status_code for _ in range(30)]
    statuses.append(client.post("/api/v1/activities/batch",
                                json={"items": [{"type": "stairs", "quantity": 1}]},
                                headers=headers).status_code)
    blocked = client.post("/api/v1/activities", json={"type": "stairs", "quantity": 1},
                          headers=headers)

    assert set(statuses[:30]) == {201}
    assert statuses[30] == 429
    assert error_code(blocked) == (429, "rate_limited")
    assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60 + 1


def test_the_burst_guard_is_per_person(client, make, person, clock):
    clock.freeze()  # limits count in windows of the clock: stopped, none is straddled
    other = make.user(person.org, person.team)
    for _ in range(31):
        client.post("/api/v1/activities", json={"type": "stairs", "quantity": 1},
                    headers=make.headers(person.user))

    response = client.post("/api/v1/activities", json={"type": "stairs", "quantity": 1},
                           headers=make.headers(other))

    assert response.status_code == 201


def test_the_burst_guard_opens_again_when_its_window_has_passed(client, make, person, clock):
    """Rate limits count in windows of the app's one clock, like every other "now"."""
    clock.freeze()
    headers = make.headers(person.user)
    for _ in range(30):
        client.post("/api/v1/activities", json={"type": "stairs", "quantity": 1},
                    headers=headers)
    refused = client.post("/api/v1/activities", json={"type": "stairs", "quantity": 1},
                          headers=headers)
    assert refused.status_code == 429
    clock.advance(timedelta(seconds=int(refused.headers["Retry-After"])))
    headers = make.headers(person.user)  # a token issued at the new instant

    assert client.post("/api/v1/activities", json={"type": "stairs", "quantity": 1},
                       headers=headers).status_code == 201
