"""GET /campaigns/{id}/report: figures recomputed here from what the test logged."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import timedelta

import pytest


@pytest.fixture
def log(client, make):
    def post(user, activity_type="metro", quantity=10, **fields):
        response = client.post("/api/v1/activities", json={
            "type": activity_type, "quantity": quantity, **fields}, headers=make.headers(user))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return post


@pytest.fixture
def report_of(client, make):
    def get(user, campaign_id, **query):
        response = client.get(f"/api/v1/campaigns/{campaign_id}/report", query_string=query,
                              headers=make.headers(user))
        assert response.status_code == 200, response.get_json()
        return response

    return get


def kg_sum(entries) -> float:
    return round(sum(e["co2e_saved_kg"] for e in entries), 3)


def test_figures_equal_the_sums_of_the_logged_activities_and_check_ins(
        client, make, world, new_campaign, new_event, log, report_of):
    campaign = new_campaign(world.organizer, multiplier=2)
    it_team = make.team(world.org, "信息中心")
    colleague = make.user(world.org, it_team)
    logged = {"office": [log(world.staff, "metro", 12), log(world.staff, "cycle", 5)],
              "it": [log(colleague, "metro", 20)]}
    event = new_event(world.organizer, campaign["id"], points=7)
    client.post("/api/v1/checkins", json={"code": event["checkin_code"]},
                headers=make.headers(world.admin))
    everything = logged["office"] + logged["it"]

    report = report_of(world.organizer, campaign["id"]).get_json()

    assert report["summary"]["co2e_saved_kg"] == pytest.approx(kg_sum(everything), abs=1e-9)
    assert report["summary"]["participants"] == 3  # two who logged, one who checked in
    assert report["summary"]["activities"] == len(everything)
    assert report["summary"]["participation_rate"] == pytest.approx(3 / 40)
    activity_points = sum(e["points"] for e in everything)
    assert report["points"] == {"activity_points": activity_points, "checkin_points": 7,
                                "total": activity_points + 7}
    teams = {t["name"]: t for t in report["teams"]}
    office, it = teams["办公室"], teams["信息中心"]
    assert (office["members"], office["participants"]) == (3, 2)  # organizer, admin, staff
    assert office["participation_rate"] == pytest.approx(round(2 / 3, 4))
    assert office["co2e_saved_kg"] == pytest.approx(kg_sum(logged["office"]), abs=1e-9)
    assert office["points"] == sum(e["points"] for e in logged["office"]) + 7
    assert (it["members"], it["participants"], it["points"]) == (
        1, 1, sum(e["points"] for e in logged["it"]))
    by_type = defaultdict(list)
    for entry in everything:
        by_type[entry["type"]].append(entry)
    assert {b["type"]: (b["activities"], b["co2e_saved_kg"], b["points"])
            for b in report["behaviours"]} == {
        key: (len(entries), pytest.approx(kg_sum(entries), abs=1e-9),
              sum(e["points"] for e in entries)) for key, entries in by_type.items()}
    catalogue = client.get("/api/v1/activity-types", headers=make.headers(world.staff))
    names = {item["key"]: item["name_zh"] for item in catalogue.get_json()["items"]}
    assert {b["type"]: b["name_zh"] for b in report["behaviours"]} == {
        key: names[key] for key in by_type}


def test_a_voided_activity_is_not_in_the_report(client, make, world, new_campaign, log,
                                                report_of):
    campaign = new_campaign(world.organizer)
    kept = log(world.staff, "metro", 8)
    voided = log(world.staff, "cycle", 6)
    response = client.delete(f"/api/v1/activities/{voided['id']}",
                             headers=make.headers(world.staff))
    assert response.status_code == 200, response.get_json()
    report = report_of(world.organizer, campaign["id"]).get_json()
    assert report["summary"]["co2e_saved_kg"] == kept["co2e_saved_kg"]
    assert report["summary"]["activities"] == 1
    assert report["points"]["activity_points"] == kept["points"]
    assert [b["type"] for b in report["behaviours"]] == ["metro"]


def test_teams_are_ranked_by_carbon_and_top_teams_leave_out_those_without(
        make, world, new_campaign, log, report_of):
    campaign = new_campaign(world.organizer)
    quiet = make.team(world.org, "后勤中心")
    busy = make.user(world.org, make.team(world.org, "信息中心"))
    log(world.staff, "metro", 5)
    log(busy, "metro", 25)
    report = report_of(world.organizer, campaign["id"]).get_json()
    assert [(t["rank"], t["name"]) for t in report["teams"]] == [
        (1, "信息中心"), (2, "办公室"), (3, quiet.name)]
    assert [t["name"] for t in report["top_teams"]] == ["信息中心", "办公室"]


def test_change_against_the_previous_campaign_of_the_organisation(
        make, world, new_campaign, log, report_of, clock):
    now = clock.now()
    older = new_campaign(world.organizer, name="更早的周", starts_in=timedelta(days=-7),
                         lasts=timedelta(days=1))
    previous = new_campaign(world.organizer, name="上一期", starts_in=timedelta(days=-5),
                            lasts=timedelta(days=2))
    new_campaign(world.other_organizer, starts_in=timedelta(days=-3), lasts=timedelta(days=1))
    log(world.staff, "metro", 10, occurred_at=(now - timedelta(days=6, hours=12)).isoformat())
    before = [log(world.staff, "metro", 10,
                  occurred_at=(now - timedelta(days=4)).isoformat())]
    current = new_campaign(world.organizer, name="本期")
    colleague = make.user(world.org, world.team)
    after = [log(world.staff, "metro", 16), log(colleague, "cycle", 4)]

    report = report_of(world.organizer, current["id"]).get_json()

    comparison = report["previous"]
    assert (comparison["campaign_id"], comparison["name"]) == (previous["id"], "上一期")
    assert comparison["campaign_id"] != older["id"]
    assert comparison["co2e_saved_kg"] == kg_sum(before)
    assert (comparison["participants"], comparison["points"]) == (1, before[0]["points"])
    change = comparison["change_percent"]

    def pct(now_value, before_value):
        return pytest.approx((now_value - before_value) * 100 / before_value, abs=0.051)

    assert change["co2e_saved_kg"] == pct(kg_sum(after), kg_sum(before))
    assert change["participants"] == pytest.approx(100.0)
    assert change["participation_rate"] == pytest.approx(100.0)
    assert change["points"] == pct(sum(e["points"] for e in after), before[0]["points"])


def test_no_previous_campaign_or_a_zero_before_gives_null(world, new_campaign, log,
                                                           report_of):
    first = new_campaign(world.organizer, starts_in=timedelta(days=-5), lasts=timedelta(days=2))
    assert report_of(world.organizer, first["id"]).get_json()["previous"] is None
    current = new_campaign(world.organizer)
    log(world.staff)
    comparison = report_of(world.organizer, current["id"]).get_json()["previous"]
    assert comparison["campaign_id"] == first["id"]
    assert comparison["change_percent"] == {"co2e_saved_kg": None, "participants": None,
                                            "participation_rate": None, "points": None}


def test_a_live_report_is_not_final_and_an_ended_one_is(world, new_campaign, report_of):
    running = new_campaign(world.organizer)
    ended = new_campaign(world.organizer, starts_in=timedelta(days=-5), lasts=timedelta(days=2))
    live = report_of(world.organizer, running["id"]).get_json()
    assert (live["status"], live["final"]) == ("active", False)
    assert live["generated_at"]
    done = report_of(world.organizer, ended["id"]).get_json()
    assert (done["status"], done["final"]) == ("past", True)


def csv_sections(response) -> dict[str, list[dict]]:
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    sections = defaultdict(list)
    for row in csv.DictReader(io.StringIO(text[1:])):
        sections[row["section"]].append(row)
    return sections


def test_the_csv_parses_and_matches_the_json(client, make, world, new_campaign, new_event, log,
                                             report_of, clock):
    new_campaign(world.organizer, starts_in=timedelta(days=-5), lasts=timedelta(days=2))
    log(world.staff, occurred_at=(clock.now() - timedelta(days=4)).isoformat())
    campaign = new_campaign(world.organizer)
    log(world.staff, "metro", 9)
    log(make.user(world.org, make.team(world.org, "信息中心")), "cycle", 3)
    event = new_event(world.organizer, campaign["id"], points=5)
    client.post("/api/v1/checkins", json={"code": event["checkin_code"]},
                headers=make.headers(world.admin))
    report = report_of(world.organizer, campaign["id"]).get_json()
    sections = csv_sections(report_of(world.organizer, campaign["id"], format="csv"))

    fields = {row["item"]: row["value"] for row in sections["campaign"]}
    assert (fields["name"], fields["status"], fields["final"]) == ("节能宣传周", "active", "false")
    (summary,) = sections["summary"]
    assert float(summary["co2e_saved_kg"]) == report["summary"]["co2e_saved_kg"]
    assert int(summary["participants"]) == report["summary"]["participants"]
    assert int(summary["points"]) == report["points"]["total"]
    assert int(summary["checkin_points"]) == report["points"]["checkin_points"]
    assert [(r["name"], int(r["rank"]), float(r["co2e_saved_kg"]), int(r["points"]),
             int(r["members"]), float(r["participation_rate"])) for r in sections["team"]] == [
        (t["name"], t["rank"], t["co2e_saved_kg"], t["points"], t["members"],
         t["participation_rate"]) for t in report["teams"]]
    assert [(r["item"], r["name"], float(r["co2e_saved_kg"])) for r in sections["behaviour"]] == [
        (b["type"], b["name_zh"], b["co2e_saved_kg"]) for b in report["behaviours"]]
    assert [r["name"] for r in sections["top_team"]] == [t["name"] for t in report["top_teams"]]
    (previous,) = sections["previous"]
    assert int(previous["item"]) == report["previous"]["campaign_id"]
    (change,) = sections["change_percent"]
    assert float(change["co2e_saved_kg"]) == report["previous"]["change_percent"][
        "co2e_saved_kg"]


def test_staff_are_refused_and_another_organisation_is_not_found(client, make, world,
                                                                 new_campaign):
    campaign = new_campaign(world.organizer)
    path = f"/api/v1/campaigns/{campaign['id']}/report"
    assert client.get(path, headers=make.headers(world.staff)).status_code == 403
    response = client.get(path, headers=make.headers(world.other_organizer))
    assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found")
    assert client.get(path, headers=make.headers(world.admin)).status_code == 200
    assert client.get(path, headers=make.headers(world.superadmin)).status_code == 200


def test_an_unknown_format_is_refused(client, make, world, new_campaign):
    campaign = new_campaign(world.organizer)
    response = client.get(f"/api/v1/campaigns/{campaign['id']}/report?format=pdf",
                          headers=make.headers(world.organizer))
    assert response.status_code == 422


def test_a_region_wide_report_covers_the_regions_teams_for_a_superadmin_only(
        client, make, world, new_campaign, log, report_of):
    campaign = new_campaign(world.superadmin, region="beijing")
    neighbour = make.org(name="北京市第二测试局", headcount=10)
    neighbour_staff = make.user(neighbour, make.team(neighbour, "综合处"))
    entries = [log(world.staff, "metro", 10), log(neighbour_staff, "metro", 30)]
    report = report_of(world.superadmin, campaign["id"]).get_json()
    assert {(t["org_id"], t["name"]) for t in report["teams"]} == {
        (world.org.id, "办公室"), (neighbour.id, "综合处")}
    assert report["summary"]["co2e_saved_kg"] == kg_sum(entries)
    assert report["summary"]["headcount"] == 40 + 10
    response = client.get(f"/api/v1/campaigns/{campaign['id']}/report",
                          headers=make.headers(world.organizer))
    assert response.status_code == 403
