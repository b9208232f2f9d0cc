"""Calendar edges on purpose: the clock is set to the last and first second of a Shanghai day,
week, month and year, and each entry must count where a person in Beijing would expect it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

ONE_SECOND = timedelta(seconds=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def office(make):
    org = make.org(name="北京市日历测试局", region="beijing", headcount=10)
    team = make.team(org, "办公室")
    return org, team, make.user(org, team, "admin"), make.user(org, team), make.user(org, team)


def log(client, make, user, **body):
    """POST /activities at the clock's instant (occurred_at: now unless given)."""
    response = client.post("/api/v1/activities", json={"type": "walk", "quantity": 2, **body},
                           headers=make.headers(user))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def summary_kg(client, make, user) -> dict:
    response = client.get("/api/v1/me/summary", headers=make.headers(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["co2e_saved_kg"]


def history_ids(client, make, user, day: str) -> list[int]:
    response = client.get("/api/v1/me/activities", query_string={"from": day, "to": day},
                          headers=make.headers(user))
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def week_board(client, make, user) -> dict:
    response = client.get("/api/v1/leaderboards/users", query_string={"period": "week"},
                          headers=make.headers(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def report_months(client, make, org, admin, year: int) -> dict[str, dict]:
    response = client.get(f"/api/v1/reports/orgs/{org.id}", query_string={"year": year},
                          headers=make.headers(admin))
    assert response.status_code == 200, response.get_json()
    return {month["period"]: month for month in response.get_json()["months"]}


# --- a day: 23:59:59 and 00:00:00 Shanghai time -----------------------------------------------

def test_the_last_second_of_a_day_counts_on_that_day_and_midnight_on_the_next(
        client, make, office, clock):
    _, _, _, staff, _ = office
    clock.freeze(at("2026-12-09T23:59:59+08:00"))  # a Wednesday
    late = log(client, make, staff)
    assert summary_kg(client, make, staff)["today"] == late["co2e_saved_kg"]

    clock.advance(ONE_SECOND)  # 2026-12-10T00:00:00+08:00 (16:00 UTC the day before)
    assert summary_kg(client, make, staff)["today"] == 0
    early = log(client, make, staff)

    kg = summary_kg(client, make, staff)
    assert kg["today"] == early["co2e_saved_kg"]
    assert kg["week"] == kg["month"] == kg["year"] == round(
        late["co2e_saved_kg"] + early["co2e_saved_kg"], 3)
    assert history_ids(client, make, staff, "2026-12-09") == [late["id"]]
    assert history_ids(client, make, staff, "2026-12-10") == [early["id"]]


# --- a year: 31 December and 1 January -------------------------------------------------------

def test_new_year_starts_a_new_day_month_and_year_but_not_a_new_week(client, make, office, clock):
    org, _, admin, staff, _ = office
    clock.freeze(at("2026-12-31T23:59:59+08:00"))  # Thursday; the week began Monday 28 Dec
    old_year = log(client, make, staff)
    clock.freeze(at("2027-01-01T00:00:00+08:00"))
    new_year = log(client, make, staff, type="stairs", quantity=3)

    kg = summary_kg(client, make, staff)
    assert kg["today"] == kg["month"] == kg["year"] == new_year["co2e_saved_kg"]
    assert kg["week"] == kg["total"] == round(
        old_year["co2e_saved_kg"] + new_year["co2e_saved_kg"], 3)
    assert report_months(client, make, org, admin, 2026)["2026-12"]["activities"] == 1
    january = report_months(client, make, org, admin, 2027)["2027-01"]
    assert (january["activities"], january["co2e_saved_kg"]) == (1, new_year["co2e_saved_kg"])


# --- a week board across Sunday and Monday ---------------------------------------------------

def test_the_week_board_turns_over_at_monday_midnight_shanghai_time(client, make, office, clock):
    _, _, _, sunday_walker, monday_walker = office
    clock.freeze(at("2026-12-13T23:59:59+08:00"))  # Sunday
    log(client, make, sunday_walker)
    board = week_board(client, make, sunday_walker)
    assert board["period"]["start"].startswith("2026-12-07T00:00:00")  # Monday 7 December
    assert [e["id"] for e in board["entries"]] == [sunday_walker.id]

    clock.advance(ONE_SECOND)  # Monday 14 December, 00:00:00
    board = week_board(client, make, sunday_walker)
    assert board["period"]["start"].startswith("2026-12-14T00:00:00")
    assert (board["entries"], board["me"]) == ([], None)

    log(client, make, monday_walker)
    assert [e["id"] for e in week_board(client, make, sunday_walker)["entries"]] == [
        monday_walker.id]


# --- a month report across a month end -------------------------------------------------------

def test_the_month_report_splits_at_the_last_second_of_february(client, make, office, clock):
    org, _, admin, staff, other = office
    clock.freeze(at("2027-02-28T23:59:59+08:00"))
    february = log(client, make, staff, type="cycle", quantity=4)
    clock.advance(ONE_SECOND)
    march = log(client, make, other, type="walk", quantity=5)

    months = report_months(client, make, org, admin, 2027)
    assert (months["2027-02"]["activities"], months["2027-02"]["co2e_saved_kg"],
            months["2027-02"]["active_users"]) == (1, february["co2e_saved_kg"], 1)
    assert (months["2027-03"]["activities"], months["2027-03"]["co2e_saved_kg"],
            months["2027-03"]["active_users"]) == (1, march["co2e_saved_kg"], 1)
    assert summary_kg(client, make, staff)["month"] == 0  # February's walk is not March's


# --- the 7-day back-fill window across a month end -------------------------------------------

def test_the_back_fill_window_reaches_across_the_month_end_and_no_further(
        client, make, office, clock):
    org, _, admin, staff, _ = office
    clock.freeze(at("2027-03-03T10:00:00+08:00"))
    oldest_allowed = at("2027-02-24T10:00:00+08:00")  # exactly 7 days back

    back_filled = log(client, make, staff, occurred_at=oldest_allowed.isoformat())
    too_old = client.post("/api/v1/activities", headers=make.headers(staff), json={
        "type": "walk", "quantity": 2, "occurred_at": (oldest_allowed - ONE_SECOND).isoformat()})

    assert (too_old.status_code, too_old.get_json()["error"]["code"]) == (
        422, "occurred_too_long_ago")
    assert history_ids(client, make, staff, "2027-02-24") == [back_filled["id"]]
    kg = summary_kg(client, make, staff)
    assert (kg["today"], kg["week"], kg["month"]) == (0, 0, 0)  # it counts on 24 February
    assert kg["year"] == back_filled["co2e_saved_kg"]
    months = report_months(client, make, org, admin, 2027)
    assert (months["2027-02"]["activities"], months["2027-03"]["activities"]) == (1, 0)


# --- a void just before and just after Shanghai midnight -------------------------------------

def void(client, make, user, activity_id):
    return client.delete(f"/api/v1/activities/{activity_id}", headers=make.headers(user))


def test_a_void_at_the_last_second_of_the_day_of_logging_is_accepted(client, make, office,
                                                                       clock):
    _, _, _, staff, _ = office
    clock.freeze(at("2026-12-31T23:00:00+08:00"))
    logged = log(client, make, staff)
    clock.freeze(at("2026-12-31T23:59:59+08:00"))

    response = void(client, make, staff, logged["id"])

    assert (response.status_code, response.get_json()["status"]) == (200, "voided")
    assert summary_kg(client, make, staff)["today"] == 0


def test_a_void_at_midnight_after_the_day_of_logging_is_refused(client, make, office, clock):
    _, _, _, staff, _ = office
    clock.freeze(at("2026-12-31T23:59:59+08:00"))
    logged = log(client, make, staff)
    clock.advance(ONE_SECOND)  # 2027-01-01T00:00:00+08:00

    response = void(client, make, staff, logged["id"])

    assert (response.status_code, response.get_json()["error"]["code"]) == (
        409, "activity_not_voidable")
    assert summary_kg(client, make, staff)["week"] == logged["co2e_saved_kg"]


def test_an_entry_logged_at_midnight_can_be_voided_that_new_day(client, make, office, clock):
    _, _, _, staff, _ = office
    clock.freeze(at("2027-01-01T00:00:00+08:00"))
    logged = log(client, make, staff)
    clock.advance(timedelta(hours=23, minutes=59, seconds=59))

    assert void(client, make, staff, logged["id"]).status_code == 200
