"""GET /reports/orgs/{id}: an institution's months beside the year before, from logged activities.

Every expected figure is summed here from the activities the service stored, bucketed by
their Beijing-time month; the report reads only the rollups, so the two must agree.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from app.extensions import db
from app.models import User
from app.redis_store import get_gateway
from points.redemptions import cancel_redemption, redeem_reward
from tests.points.helpers import add_reward
from tests.reports.conftest import HEADCOUNT, SHANGHAI, at, number, parse_csv, statements_of


@pytest.fixture
def history(office, make, log_at, void_at):
    """Two years of entries, around the January/February midnight in Beijing, one voided."""
    org, team, _ = office
    li, wang, zhao = (make.user(org, team) for _ in range(3))
    logged = [
        log_at(li, "walk", 3, at("2026-01-31T23:59:59+08:00")),  # January, Beijing time
        log_at(wang, "cycle", 5, at("2026-02-01T00:00:00+08:00")),  # February
        log_at(li, "bus", 10, at("2026-02-10T09:00:00+08:00")),
        log_at(li, "walk", 2, at("2026-02-10T18:00:00+08:00")),
        log_at(li, "walk", 4, at("2025-01-15T08:00:00+08:00")),
        log_at(wang, "metro", 20, at("2025-02-20T08:30:00+08:00")),
        log_at(zhao, "cycle", 4, at("2025-02-21T08:30:00+08:00")),
    ]
    voided = void_at(zhao, log_at(zhao, "walk", 6, at("2026-02-11T08:00:00+08:00")),
                     at("2026-02-11T12:00:00+08:00"))
    return logged, voided


def expected_months(activities) -> dict[str, dict]:
    """Month (YYYY-MM, Beijing) -> grams, points, people, entries, of the accepted ones."""
    months: dict[str, dict] = defaultdict(lambda: {"g": 0, "points": 0, "people": set(),
                                                   "n": 0, "types": defaultdict(int)})
    for activity in activities:
        if activity.status != "accepted":
            continue
        month = months[activity.occurred_at.astimezone(SHANGHAI).strftime("%Y-%m")]
        month["g"] += activity.co2e_saved_g
        month["points"] += activity.points
        month["people"].add(activity.user_id)
        month["n"] += 1
        month["types"][activity.type] += activity.co2e_saved_g
    return months


def rate(people: int) -> float:
    return float((Decimal(people) / HEADCOUNT).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def report(client, make, org, user, **query):
    return client.get(f"/api/v1/reports/orgs/{org.id}", query_string=query,
                      headers=make.headers(user))


def test_each_month_sums_its_own_activities_in_beijing_time(client, make, office, history):
    org, _, admin = office
    logged, _ = history
    expected = expected_months(logged)
    response = report(client, make, org, admin, year=2026)
    assert response.status_code == 200, response.get_json()
    months = {m["period"]: m for m in response.get_json()["months"]}
    assert list(months) == [f"2026-{n:02d}" for n in range(1, 13)]
    for period in ("2026-01", "2026-02", "2026-03"):
        want = expected.get(period, {"g": 0, "points": 0, "people": set(), "n": 0})
        got = months[period]
        assert got["co2e_saved_kg"] == want["g"] / 1000, period
        assert got["points_issued"] == want["points"], period
        assert got["active_users"] == len(want["people"]), period
        assert got["participation_rate"] == rate(len(want["people"])), period
        assert got["activities"] == want["n"], period
        assert got["points_redeemed"] == 0


def test_the_last_second_of_january_counts_in_january_and_midnight_in_february(
        client, make, office, history):
    org, _, admin = office
    late_january, first_february = history[0][0], history[0][1]
    months = {m["period"]: m for m in report(client, make, org, admin, year=2026)
              .get_json()["months"]}
    assert months["2026-01"]["co2e_saved_kg"] == late_january.co2e_saved_g / 1000
    assert months["2026-01"]["activities"] == 1
    assert months["2026-02"]["top_behaviours"][0]["co2e_saved_kg"] > 0
    assert "cycle" in {b["type"] for b in months["2026-02"]["top_behaviours"]}
    assert first_february.co2e_saved_g > 0


def test_a_voided_activity_counts_nowhere(client, make, office, history):
    org, _, admin = office
    logged, voided = history
    body = report(client, make, org, admin, year=2026).get_json()
    february = body["months"][1]
    assert voided.status == "voided"
    assert february["activities"] == sum(
        1 for a in logged if a.occurred_at.astimezone(SHANGHAI).strftime("%Y-%m") == "2026-02")
    assert body["totals"]["active_users"] == 2  # the person whose only entry was voided: no
    assert body["totals"]["points_issued"] == sum(
        a.points for a in logged if a.occurred_at.astimezone(SHANGHAI).year == 2026)


def test_each_month_stands_beside_the_same_month_a_year_before(client, make, office, history):
    org, _, admin = office
    expected = expected_months(history[0])
    february = report(client, make, org, admin, year=2026).get_json()["months"][1]
    now_g, before_g = expected["2026-02"]["g"], expected["2025-02"]["g"]
    assert february["previous"]["period"] == "2025-02"
    assert february["previous"]["co2e_saved_kg"] == before_g / 1000
    assert february["previous"]["active_users"] == len(expected["2025-02"]["people"])
    assert february["change_pct"]["co2e_saved_kg"] == round((now_g - before_g) * 100 / before_g, 1)
    assert february["change_pct"]["active_users"] == 0.0  # two people each February
    march = report(client, make, org, admin, year=2026).get_json()["months"][2]
    assert march["change_pct"]["co2e_saved_kg"] is None  # nothing the March before


def test_points_redeemed_count_what_was_spent_net_of_refunds(client, make, office, session,
                                                           history):
    org, _, admin = office
    spender = history[0][0].user_id
    person = session.get(User, spender)
    reward = add_reward(session, org, cost=7, stock=5)
    day = at("2026-03-03T10:00:00+08:00")
    redeem_reward(session, person, reward.id, day)
    second = redeem_reward(session, person, reward.id, day)["redemption"]
    session.commit()
    cancel_redemption(session, person, second.id, day, None)
    session.commit()
    march = report(client, make, org, admin, year=2026).get_json()["months"][2]
    assert march["points_redeemed"] == 7
    assert march["points_issued"] == 0


def test_year_totals_count_distinct_people_and_compare_with_the_year_before(
        client, make, office, history):
    org, _, admin = office
    logged, _ = history
    totals = report(client, make, org, admin, year=2026).get_json()["totals"]
    this_year = [a for a in logged if a.occurred_at.astimezone(SHANGHAI).year == 2026]
    last_year = [a for a in logged if a.occurred_at.astimezone(SHANGHAI).year == 2025]
    assert totals["period"] == "2026"
    assert totals["co2e_saved_kg"] == sum(a.co2e_saved_g for a in this_year) / 1000
    assert totals["active_users"] == len({a.user_id for a in this_year})
    assert totals["previous"]["active_users"] == len({a.user_id for a in last_year})
    assert totals["previous"]["co2e_saved_kg"] == sum(a.co2e_saved_g for a in last_year) / 1000
    assert totals["change_pct"]["active_users"] == round(
        (len({a.user_id for a in this_year}) - 3) * 100 / 3, 1)


def test_top_behaviours_carry_their_chinese_names_and_are_largest_first(
        client, make, office, history):
    org, _, admin = office
    expected = expected_months(history[0])["2026-02"]["types"]
    top = report(client, make, org, admin, year=2026).get_json()["months"][1]["top_behaviours"]
    assert [b["type"] for b in top] == sorted(expected, key=lambda t: -expected[t])
    assert {b["type"]: b["name"] for b in top}["cycle"] == "骑行通勤"
    assert all(b["co2e_saved_kg"] == expected[b["type"]] / 1000 for b in top)


def test_csv_has_a_row_per_month_and_the_year_with_the_json_figures(
        client, make, office, history):
    org, _, admin = office
    body = report(client, make, org, admin, year=2026).get_json()
    rows = parse_csv(report(client, make, org, admin, year=2026, format="csv"))
    assert [r["period"] for r in rows] == [m["period"] for m in body["months"]] + ["2026"]
    for row, month in zip(rows, [*body["months"], body["totals"]], strict=True):
        for name in ("co2e_saved_kg", "active_users", "participation_rate", "points_issued",
                     "points_redeemed"):
            assert number(row[name]) == month[name], (row["period"], name)
            assert number(row[f"previous_{name}"]) == month["previous"][name]
            assert number(row[f"{name}_change_pct"]) == month["change_pct"][name]


def test_the_year_defaults_to_the_current_year_in_the_organisation(clock, client, make, office):
    org, _, admin = office
    body = report(client, make, org, admin).get_json()
    assert body["year"] == clock.now().astimezone(SHANGHAI).year
    assert body["previous_year"] == body["year"] - 1


@pytest.mark.parametrize("query", [{"year": 1999}, {"year": 2101}, {"year": "last"},
                                   {"format": "xlsx"}])
def test_invalid_query_values_are_refused(client, make, office, query):
    org, _, admin = office
    response = report(client, make, org, admin, **query)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_only_admins_of_the_organisation_and_superadmins_read_it(client, make, office):
    org, team, _ = office
    other = make.org(region="tianjin")
    assert report(client, make, org, make.user(org, team, "organizer")).status_code == 403
    assert report(client, make, org, make.user(org, team, "staff")).status_code == 403
    assert report(client, make, org, make.user(other, make.team(other), "admin")
                  ).status_code == 404
    assert report(client, make, org, make.user(None, None, "superadmin")).status_code == 200


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_the_report_costs_the_same_statements_whatever_the_history(
        app, client, make, office, log_at):
    org, team, admin = office
    people = [make.user(org, team) for _ in range(4)]
    log_at(people[0], "walk", 1, at("2026-03-02T08:00:00+08:00"))
    report(client, make, org, admin, year=2026)  # the admin's first read fills their entry
    few = statements_of(app, lambda: report(client, make, org, admin, year=2026))
    start = at("2025-01-05T08:00:00+08:00")
    for week in range(0, 100, 3):
        for person in people:
            log_at(person, "cycle", 3, start + timedelta(days=7 * week, hours=person.id % 5))
    many = statements_of(app, lambda: report(client, make, org, admin, year=2026))
    assert many == few
    # The admin and their organisation from the directory when Redis holds them, then one
    # read; without Redis the admin with their organisation is one more (and on SQLite,
    # its explicit BEGIN IMMEDIATE is one more, app/db.py).
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    assert few == (1 if get_gateway(app) is not None else 2) + sqlite


def test_the_report_sent_is_its_schemas_dump_byte_for_byte(app, client, make, office, history):
    """The route sends the report as the service builds it, without a schema walk: it must
    be exactly what its documented schema (OrgReportOut) would send."""
    from reports.schemas import OrgReportOut

    org, _, admin = office
    for year in (2026, 2025, 2024):  # with figures, with some, with none (every change null)
        response = report(client, make, org, admin, year=year)
        assert response.status_code == 200
        sent = response.get_json()
        documented = OrgReportOut().dump(sent)
        assert json.dumps(sent, sort_keys=True) == json.dumps(documented, sort_keys=True)
        assert response.get_data(as_text=True) == app.json.dumps(
            documented, separators=(",", ":")) + "\n"


def test_a_change_to_the_organisation_shows_in_the_next_report(client, make, office):
    """With Redis the organisation comes from the directory: a change moves its entry."""
    org, _team, admin = office
    assert report(client, make, org, admin, year=2026).get_json()["org"]["headcount"] == HEADCOUNT
    response = client.patch(f"/api/v1/orgs/{org.id}", headers=make.headers(admin),
                            json={"headcount": HEADCOUNT + 5, "name": "新名称"})
    assert response.status_code == 200, response.get_json()

    shown = report(client, make, org, admin, year=2026).get_json()
    assert (shown["org"]["headcount"], shown["org"]["name"]) == (HEADCOUNT + 5, "新名称")
