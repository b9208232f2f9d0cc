"""The organisation report, the region report and the public energy disclosure."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.energy.conftest import csv_rows
from tests.read_cost import request_cost


@pytest.fixture
def filled(institution, put_profile, post_reading):
    """2024 and 2023 of one institution: 1,000 m2, 50 people."""
    put_profile(2023, area=1000, occupants=50)
    put_profile(2024, area=1000, occupants=50)
    for carrier, period, quantity, unit in (
            ("electricity", "2023-01", 12, "MWh"), ("water", "2023-01", 400, "m3"),
            ("electricity", "2024-01", 10000, "kWh"), ("natural_gas", "2024-02", 100, "m3"),
            ("water", "2024-01", 300, "t")):
        assert post_reading(carrier=carrier, period=period, quantity=quantity, unit=unit
                            ).status_code == 201
    return institution


def org_report(client, institution, query="year=2024&base_year=2023"):
    response = client.get(f"/api/v1/orgs/{institution.id}/energy/report?{query}",
                          headers=institution.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_org_report_months_totals_indicators_and_changes(client, filled):
    report = org_report(client, filled)
    january = report["months"][0]
    assert january["period"] == "2024-01"
    assert january["carriers"]["electricity"] == {"quantity": 10000, "unit": "kWh",
                                                  "kgce": 1229.0, "co2e_kg": 7041.0}
    assert january["carriers"]["water"]["unit"] == "t"
    assert (january["kgce"], january["water_m3"]) == (1229.0, 300.0)
    assert report["months"][5]["kgce"] is None  # no readings in June: null, not 0
    # 1229 + 133 kgce over 1,000 m2 and 50 people; 300 m3 of water
    assert report["totals"]["kgce"] == 1362.0
    assert report["totals"]["tce"] == 1.362
    assert report["indicators"]["kgce_per_m2"] == 1.36
    assert report["indicators"]["kgce_per_person"] == 27.24
    assert report["indicators"]["water_m3_per_person"] == 6.0
    assert report["previous_year"]["indicators"]["kgce_per_m2"] == 1.47  # 1474.8 / 1000
    # (1.362 - 1.4748) / 1.4748 = -7.6485% of the unrounded ratios
    assert report["change_pct"]["kgce_per_m2"] == -7.65
    assert report["change_vs_base_pct"]["water_m3_per_person"] == -25.0
    assert report["totals"]["by_carrier"]["natural_gas"]["unit"] == "m3"
    assert report["status"] == "draft"
    assert report["restated"] is False


def test_missing_profile_gives_null_indicators_with_a_flag(client, institution, post_reading):
    post_reading(carrier="electricity", period="2022-03", quantity=1, unit="kWh")
    report = org_report(client, institution, "year=2022&base_year=2015")
    assert report["indicators"] == dict.fromkeys(report["indicators"])
    flags = [(f["code"], f["details"].get("missing"), f["details"].get("year"))
             for f in report["flags"]]
    assert ("inputs_missing", "profile", 2022) in flags
    assert ("inputs_missing", "profile", 2015) in flags
    assert report["change_vs_base_pct"]["kgce_per_m2"] is None


def test_no_water_readings_leaves_water_per_person_null(client, institution, put_profile,
                                                        post_reading):
    put_profile(2022)
    post_reading(carrier="heat", period="2022-01", quantity=10, unit="GJ")
    report = org_report(client, institution, "year=2022&base_year=2015")
    assert report["indicators"]["water_m3_per_person"] is None
    assert report["indicators"]["kgce_per_m2"] is not None
    assert any(f["details"].get("missing") == "water_readings" for f in report["flags"])


def test_missing_months_flag_for_a_past_year(client, filled):
    flags = [f for f in org_report(client, filled)["flags"] if f["code"] == "missing_months"]
    assert {f["details"]["carrier"]: f["details"]["missing"] for f in flags} == {
        "electricity": list(range(2, 13)), "natural_gas": [1, *range(3, 13)],
        "water": list(range(2, 13))}


def test_missing_months_of_the_current_year_stop_before_the_month_in_progress(
        client, member, post_reading, clock):
    clock.freeze(datetime.fromisoformat("2026-05-20T10:00:00+08:00"))
    institution = member("某单位", "school")  # its token issued at the frozen time
    for month in (1, 2, 4):
        post_reading(institution, carrier="water", period=f"2026-{month:02d}", quantity=1,
                     unit="m3")
    report = org_report(client, institution, "year=2026&base_year=2015")
    (flag,) = [f for f in report["flags"] if f["code"] == "missing_months"]
    assert flag["details"]["missing"] == [3]


def test_denominator_change_flag_on_the_profile(client, institution, put_profile):
    put_profile(2023, area=1000, occupants=100)
    assert put_profile(2024, area=1100, occupants=100)["flags"] == []
    flagged = put_profile(2024, area=1101, occupants=100)
    assert [f["code"] for f in flagged["flags"]] == ["denominator_change"]
    listed = client.get(f"/api/v1/orgs/{institution.id}/energy/profiles",
                        headers=institution.headers).get_json()["items"]
    assert [(p["year"], len(p["flags"])) for p in listed] == [(2023, 0), (2024, 1)]


@pytest.mark.parametrize("body", [{"building_area_m2": 0, "occupants": 5},
                                  {"building_area_m2": 10, "occupants": -1}])
def test_profile_needs_positive_area_and_occupants(client, institution, body):
    response = client.put(f"/api/v1/orgs/{institution.id}/energy/profiles/2024", json=body,
                          headers=institution.headers)
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        422, "profile_invalid")


def test_org_report_csv(client, filled):
    rows = csv_rows(client.get(f"/api/v1/orgs/{filled.id}/energy/report?year=2024"
                               "&base_year=2023&format=csv", headers=filled.headers))
    header = rows[0]
    indicator = {row[0]: row for row in rows[1:]}["kgce_per_m2"]
    assert indicator[header.index("value")] == "1.36"
    assert indicator[header.index("change_pct")] == "-7.65"


def _fill(client, inst, year, area, kwh, people=10):
    client.put(f"/api/v1/orgs/{inst.id}/energy/profiles/{year}",
               json={"building_area_m2": area, "occupants": people}, headers=inst.headers)
    response = client.post(f"/api/v1/orgs/{inst.id}/energy/readings", headers=inst.headers,
                           json={"carrier": "electricity", "period": f"{year}-01",
                                 "quantity": kwh, "unit": "kWh"})
    assert response.status_code == 201
    return response.get_json()


def test_region_report_ratio_of_totals_ranks_within_sector(client, member, coordinator):
    a = member("甲中学", "school")
    b = member("乙中学", "school")
    c = member("丙中学", "school")
    h = member("丁医院", "hospital")
    no_profile = member("戊机关", "government")
    _fill(client, a, 2024, 1000, 10000)   # 1.229 kgce/m2
    _fill(client, b, 2024, 2000, 20000)   # 1.229: a tie
    _fill(client, c, 2024, 1000, 5000)    # 0.6145: first
    _fill(client, h, 2024, 4000, 100000)  # 3.0725
    client.post(f"/api/v1/orgs/{no_profile.id}/energy/readings", headers=no_profile.headers,
                json={"carrier": "water", "period": "2024-01", "quantity": 5, "unit": "m3"})
    member("北京某单位", "school", region="beijing")
    report = client.get("/api/v1/energy/region?region=tianjin&year=2024&base_year=2015",
                        headers=coordinator).get_json()
    assert report["institutions"] == 4
    # (1229 + 2458 + 614.5 + 12290) kgce / 8000 m2 = 2.0739... (not the mean of ratios)
    assert report["indicators"]["kgce_per_m2"] == 2.07
    school = {s["sector"]: s for s in report["by_sector"]}["school"]
    assert (school["institutions"], school["indicators"]["kgce_per_m2"]) == (3, 1.08)
    ranks = {o["name"]: (o["sector"], o["rank"]) for o in report["organisations"]}
    assert ranks == {"丙中学": ("school", 1), "甲中学": ("school", 2), "乙中学": ("school", 2),
                     "丁医院": ("hospital", 1), "戊机关": ("government", None)}
    assert {o["name"]: o["status"] for o in report["organisations"]}["甲中学"] == "draft"
    sector_only = client.get("/api/v1/energy/region?region=tianjin&year=2024&sector=hospital",
                             headers=coordinator).get_json()
    assert [o["name"] for o in sector_only["organisations"]] == ["丁医院"]


def test_region_report_is_the_coordinators(client, institution):
    assert client.get("/api/v1/energy/region?year=2024", headers=institution.headers
                      ).status_code == 403


def test_region_csv_neutralises_formulas_in_names(client, member, coordinator):
    inst = member("=HYPERLINK(\"http://x\")", "school")
    _fill(client, inst, 2024, 1000, 10)
    rows = csv_rows(client.get("/api/v1/energy/region?region=tianjin&year=2024&format=csv",
                               headers=coordinator))
    assert rows[1][rows[0].index("name")] == "'=HYPERLINK(\"http://x\")"


def test_disclosure_counts_approved_readings_and_marks_restated_years(client, member,
                                                                       coordinator):
    a = member("甲中学", "school")
    b = member("乙中学", "school")
    reading = _fill(client, a, 2024, 1000, 10000)
    _fill(client, b, 2024, 1000, 50000)
    submission = client.post(f"/api/v1/orgs/{a.id}/energy/submissions", json={"period": "2024"},
                             headers=a.headers).get_json()
    client.post(f"/api/v1/energy/submissions/{submission['id']}/approve", headers=coordinator)
    public = client.get("/api/v1/public/energy?region=tianjin&year=2024").get_json()
    assert public["institutions"] == 1
    assert public["totals"]["kgce"] == 1229.0
    assert [o["name"] for o in public["organisations"] if o["reported"]] == ["甲中学"]
    assert "status" not in public["organisations"][0]
    assert public["restated"] is False

    client.patch(f"/api/v1/energy/readings/{reading['id']}", headers=a.headers,
                 json={"quantity": 9000, "reason": "审计调整"})
    public = client.get("/api/v1/public/energy?region=tianjin&year=2024").get_json()
    assert (public["restated"], public["restated_years"]) == (True, [2024])
    assert public["totals"]["kgce"] == 1106.1
    row = {o["name"]: o for o in public["organisations"]}["甲中学"]
    assert row["restated"] is True
    org = client.get(f"/api/v1/orgs/{a.id}/energy/report?year=2024", headers=a.headers
                     ).get_json()
    assert org["restated"] is True
    assert "restated" in [f["code"] for f in org["flags"]]
    region = client.get("/api/v1/energy/region?region=tianjin&year=2024",
                        headers=coordinator).get_json()
    assert region["institutions"] == 2  # the region report counts every reading


def _region_cost(app, client, coordinator):
    return request_cost(app, client, "/api/v1/energy/region?region=tianjin&year=2024"
                        "&base_year=2015", coordinator)


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_region_report_statements_do_not_grow_with_institutions_or_readings(
        app, client, member, coordinator):
    first = member("甲中学", "school")
    _fill(client, first, 2024, 1000, 100)
    small = _region_cost(app, client, coordinator)
    assert small.status == 200
    for n in range(6):
        inst = member(f"单位{n}", ["school", "hospital", "government"][n % 3])
        _fill(client, inst, 2024, 1000 + n, 100 * n)
        _fill(client, inst, 2023, 1000 + n, 100 * n)
        client.post(f"/api/v1/orgs/{inst.id}/energy/readings/batch", headers=inst.headers,
                    json={"items": [{"carrier": "water", "period": f"2024-{m:02d}",
                                     "quantity": m, "unit": "m3"} for m in range(1, 13)]})
    large = _region_cost(app, client, coordinator)
    assert large.body["institutions"] == 7
    # the user (auth), the per-(organisation, year) aggregate, the profiles, the names
    assert small.statements == large.statements == 4


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_org_report_statements_are_fixed(app, client, filled):
    cost = request_cost(app, client, f"/api/v1/orgs/{filled.id}/energy/report?year=2024",
                        filled.headers)
    assert (cost.status, cost.statements) == (200, 3)


def test_org_report_repeats_reading_and_profile_flags(client, institution, put_profile,
                                                      post_reading):
    put_profile(2023, area=1000, occupants=50)
    put_profile(2024, area=1500, occupants=50)
    post_reading(carrier="water", period="2023-03", quantity=100, unit="m3")
    post_reading(carrier="water", period="2024-03", quantity=200, unit="m3", cost_yuan=5000)
    report = org_report(client, institution)
    found = {(f["code"], f["details"].get("period")) for f in report["flags"]}
    assert {("yoy_jump", "2024-03"), ("unit_price", "2024-03"),
            ("denominator_change", None)} <= found
