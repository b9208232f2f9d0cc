"""GET /me/activities (own history, newest first, filters, cursors) and GET /me/summary."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def history(client, make, user, query=""):
    return client.get(f"/api/v1/me/activities{query}", headers=make.headers(user))


def test_history_is_newest_first_by_when_it_happened(clock, client, make, person, post_activity):
    now = clock.now()
    ids = {}
    for hours in (30, 2, 50, 1):  # logged out of order
        body = post_activity(person.user, type="walk", quantity=1,
                             occurred_at=(now - timedelta(hours=hours)).isoformat()).get_json()
        ids[hours] = body["id"]

    items = history(client, make, person.user).get_json()["items"]

    assert [i["id"] for i in items] == [ids[1], ids[2], ids[30], ids[50]]


def test_history_pages_with_a_cursor_without_gaps_or_repeats(clock, client, make, person, log_at):
    now = clock.now()
    logged = [log_at(person.user, "stairs", 1, now=now, occurred_at=now - timedelta(minutes=m))
              for m in (5, 5, 5, 4, 3, 9, 1)]  # equal times: the id breaks the tie
    seen, cursor = [], None
    while True:
        page = history(client, make, person.user,
                       "?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen.extend(i["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    expected = sorted(logged, key=lambda a: (a.occurred_at, a.id), reverse=True)
    assert seen == [a.id for a in expected]


def test_history_filters_by_local_dates_and_type(clock, client, make, person, log_at):
    now = clock.now()
    today = now.astimezone(SHANGHAI).date()
    log_at(person.user, "walk", 1, now=now - timedelta(days=3))
    recent_bus = log_at(person.user, "bus", 5, now=now - timedelta(days=1))
    log_at(person.user, "walk", 2, now=now)

    by_date = history(client, make, person.user,
                      f"?from={today - timedelta(days=2)}&to={today - timedelta(days=1)}")
    by_type = history(client, make, person.user, "?type=bus")

    assert [i["id"] for i in by_date.get_json()["items"]] == [recent_bus.id]
    assert [i["id"] for i in by_type.get_json()["items"]] == [recent_bus.id]


def test_history_from_a_time_with_offset(clock, client, make, person, log_at):
    now = clock.now()
    log_at(person.user, "walk", 1, now=now - timedelta(hours=5))
    new = log_at(person.user, "walk", 1, now=now - timedelta(hours=1))
    since = (now - timedelta(hours=3)).astimezone(SHANGHAI).isoformat()

    response = client.get("/api/v1/me/activities", query_string={"from": since},
                          headers=make.headers(person.user))

    assert [i["id"] for i in response.get_json()["items"]] == [new.id]


def test_history_shows_only_ones_own_activities(client, make, person, post_activity):
    other = make.user(person.org, person.team)
    post_activity(other, type="walk", quantity=1)

    assert history(client, make, person.user).get_json() == {"items": [], "next_cursor": None}


def test_a_forged_cursor_is_422(client, make, person):
    response = history(client, make, person.user, "?cursor=WyJub3QgYSB0aW1lIiwgMV0")

    assert response.status_code == 422


# --- summary -------------------------------------------------------------------------------

def summary(client, make, user, **headers):
    return client.get("/api/v1/me/summary", headers=make.headers(user, **headers)).get_json()


def test_summary_sums_carbon_by_local_period(clock, client, make, person, log_at):
    now = clock.now()
    entries = [log_at(person.user, "cycle", 5, now=now - timedelta(days=d))
               for d in (0, 1, 6, 20, 45, 400)]
    today = now.astimezone(SHANGHAI).date()
    starts = {"today": today, "week": today - timedelta(days=today.weekday()),
              "month": today.replace(day=1), "year": today.replace(month=1, day=1)}

    body = summary(client, make, person.user)

    for period, start in starts.items():
        grams = sum(a.co2e_saved_g for a in entries if a.local_date >= start)
        assert body["co2e_saved_kg"][period] == grams / 1000, period
    assert body["co2e_saved_kg"]["total"] == sum(a.co2e_saved_g for a in entries) / 1000
    assert body["activities_count"] == 6
    assert body["points_balance"] == sum(a.points for a in entries)


def test_streak_counts_consecutive_days_up_to_today(clock, client, make, person, log_at):
    now = clock.now()
    for days in (0, 1, 2, 4, 5):
        log_at(person.user, "stairs", 1, now=now - timedelta(days=days))

    assert summary(client, make, person.user)["streak_days"] == 3


def test_streak_still_stands_before_todays_first_entry(clock, client, make, person, log_at):
    now = clock.now()
    for days in (1, 2):
        log_at(person.user, "stairs", 1, now=now - timedelta(days=days))

    assert summary(client, make, person.user)["streak_days"] == 2


def test_no_entry_for_two_days_breaks_the_streak(clock, client, make, person, log_at):
    log_at(person.user, "stairs", 1, now=clock.now() - timedelta(days=2))

    assert summary(client, make, person.user)["streak_days"] == 0


def test_a_voided_day_does_not_count_for_the_streak(client, make, person, post_activity):
    logged = post_activity(person.user, type="stairs", quantity=1).get_json()
    client.delete(f"/api/v1/activities/{logged['id']}", headers=make.headers(person.user))

    body = summary(client, make, person.user)

    assert (body["streak_days"], body["activities_count"]) == (0, 0)


def test_team_rank_is_this_months_carbon_among_the_organisations_teams(client, make, log_at):
    org = make.org()
    teams = [make.team(org) for _ in range(3)]
    people = [make.user(org, team) for team in teams]
    for user, km in zip(people, (2, 4, 2), strict=True):  # teams 0 and 2 tie
        log_at(user, "walk", km)
    loner = make.user(org, None)

    ranks = [summary(client, make, user)["team_rank"] for user in people]

    assert ranks == [2, 1, 2]
    assert summary(client, make, loner)["team_rank"] is None


def test_team_rank_ignores_other_organisations(client, make, person, log_at):
    rival_org = make.org(region="hebei")
    rival = make.user(rival_org, make.team(rival_org))
    log_at(rival, "walk", 10)
    log_at(person.user, "walk", 1)

    assert summary(client, make, person.user)["team_rank"] == 1


def test_equivalents_express_the_total_in_solo_driving_km(client, make, person, log_at):
    logged = log_at(person.user, "metro", 40)

    body = summary(client, make, person.user)
    english = summary(client, make, person.user, **{"Accept-Language": "en"})

    car = {e["key"]: e for e in body["equivalents"]}["car_km"]
    expected = (Decimal(logged.co2e_saved_g) / Decimal("162.72")).quantize(
        Decimal("0.1"), rounding=ROUND_DOWN)
    assert (car["value"], car["unit"]) == (float(expected), "公里")
    assert {e["key"]: e for e in english["equivalents"]}["car_km"]["unit"] == "km"


def test_summary_of_someone_new_is_all_zero(client, make, person):
    body = summary(client, make, person.user)

    assert body["co2e_saved_kg"] == {"today": 0, "week": 0, "month": 0, "year": 0, "total": 0}
    assert (body["points_balance"], body["activities_count"], body["streak_days"],
            body["team_rank"]) == (0, 0, 0, 1)
