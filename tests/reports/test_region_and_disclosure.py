"""GET /reports/region (superadmin) and GET /public/disclosure (anyone), from logged activities."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.reports.conftest import at, number, parse_csv, statements_of

WHEN = at("2026-03-10T09:00:00+08:00")
YEAR_BEFORE = at("2025-03-10T09:00:00+08:00")


def per_capita(grams: int, headcount: int) -> float:
    return float((Decimal(grams) / 1000 / headcount).quantize(Decimal("0.001"), ROUND_HALF_UP))


@pytest.fixture
def region(make, log_at):
    """Beijing: two government offices with the same per-capita carbon, a better one, a school;
    a Tianjin hospital that the Beijing report leaves out."""
    def org_with(name, sector, headcount, people, km, region="beijing", before_km=None):
        org = make.org(name=name, region=region, sector=sector, headcount=headcount)
        team = make.team(org)
        staff = [make.user(org, team) for _ in range(people)]
        logged = [log_at(p, "cycle", km, WHEN) for p in staff]
        if before_km:
            logged += [log_at(staff[0], "cycle", before_km, YEAR_BEFORE)]
        return org, logged

    return {
        "top": org_with("市发改委", "government", 10, 3, 20, before_km=10),
        "tie_a": org_with("市财政局", "government", 10, 2, 10),
        "tie_b": org_with("市教委", "government", 20, 4, 10),
        "school": org_with("第一中学", "school", 40, 1, 5),
        "far": org_with("天津市医院", "hospital", 30, 2, 5, region="tianjin"),
    }


def region_report(client, make, **query):
    superadmin = make.user(None, None, "superadmin")
    return client.get("/api/v1/reports/region", query_string=query,
                      headers=make.headers(superadmin))


def test_institutions_stand_side_by_side_with_totals_and_per_capita(client, make, region):
    response = region_report(client, make, region="beijing", year=2026)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    rows = {r["name"]: r for r in body["organisations"]}
    assert set(rows) == {"市发改委", "市财政局", "市教委", "第一中学"}
    for key in ("top", "tie_a", "tie_b", "school"):
        org, logged = region[key]
        this_year = [a for a in logged if a.local_date.year == 2026]
        grams = sum(a.co2e_saved_g for a in this_year)
        row = rows[org.name]
        assert row["co2e_saved_kg"] == grams / 1000
        assert row["points_issued"] == sum(a.points for a in this_year)
        assert row["active_users"] == len({a.user_id for a in this_year})
        assert row["headcount"] == org.headcount
        assert row["per_capita_co2e_kg"] == per_capita(grams, org.headcount)
        assert row["participation_rate"] == round(len(this_year) / org.headcount, 4)
    all_logged = [a for key in ("top", "tie_a", "tie_b", "school") for a in region[key][1]
                  if a.local_date.year == 2026]
    totals = body["totals"]
    assert totals["organisations"] == 4
    assert totals["headcount"] == 80
    assert totals["co2e_saved_kg"] == sum(a.co2e_saved_g for a in all_logged) / 1000
    assert totals["active_users"] == 10
    assert totals["per_capita_co2e_kg"] == per_capita(sum(a.co2e_saved_g for a in all_logged), 80)


def test_ranks_within_the_sector_by_per_capita_carbon_share_ties(client, make, region):
    rows = {r["name"]: r for r in region_report(client, make, region="beijing", year=2026)
            .get_json()["organisations"]}
    assert [rows[n]["sector_rank"] for n in ("市发改委", "市财政局", "市教委")] == [1, 2, 2]
    assert rows["第一中学"]["sector_rank"] == 1
    assert rows["市发改委"]["sector_size"] == 3


def test_each_institution_is_compared_with_the_year_before(client, make, region):
    org, logged = region["top"]
    before = sum(a.co2e_saved_g for a in logged if a.local_date.year == 2025)
    now = sum(a.co2e_saved_g for a in logged if a.local_date.year == 2026)
    row = next(r for r in region_report(client, make, year=2026).get_json()["organisations"]
               if r["name"] == org.name)
    assert row["previous"]["co2e_saved_kg"] == before / 1000
    assert row["change_pct"]["co2e_saved_kg"] == round((now - before) * 100 / before, 1)
    assert row["previous"]["active_users"] == 1


def test_without_a_region_every_institution_is_in(client, make, region):
    names = {r["name"] for r in region_report(client, make, year=2026)
             .get_json()["organisations"]}
    assert "天津市医院" in names
    assert "市发改委" in names


def test_region_csv_has_a_row_per_institution_and_the_totals(client, make, region):
    body = region_report(client, make, region="beijing", year=2026).get_json()
    rows = parse_csv(region_report(client, make, region="beijing", year=2026, format="csv"))
    assert [r["name"] for r in rows] == [o["name"] for o in body["organisations"]] + ["合计"]
    for row, org in zip(rows, [*body["organisations"], body["totals"]], strict=True):
        for name in ("co2e_saved_kg", "points_issued", "active_users", "per_capita_co2e_kg",
                     "participation_rate"):
            assert number(row[name]) == org[name], (row["name"], name)
            assert number(row[f"previous_{name}"]) == org["previous"][name]


def test_only_superadmins_read_the_regional_comparison(client, make, region):
    org = region["top"][0]
    admin = make.user(org, None, "admin")
    response = client.get("/api/v1/reports/region", headers=make.headers(admin))
    assert response.status_code == 403


# --- public disclosure ---------------------------------------------------------------

@pytest.fixture
def hebei(make, log_at):
    """A 9-person and a 12-person institution in Hebei; a 10-person one in Beijing."""
    def org_with(name, people, region):
        org = make.org(name=name, region=region, sector="school", headcount=40)
        team = make.team(org)
        staff = [make.user(org, team, display_name=f"公开测试人{name}{n}",
                           username=f"discl_{org.id}_{n}", employee_no=f"E{org.id}{n:03d}")
                 for n in range(people)]
        return org, staff, [log_at(p, "walk", 2, WHEN) for p in staff]

    return {"small": org_with("河北小学", 9, "hebei"), "large": org_with("河北中学", 12, "hebei"),
            "beijing": org_with("北京十人学校", 10, "beijing")}


def disclosure(client, **query):
    return client.get("/api/v1/public/disclosure", query_string=query)


def test_disclosure_needs_no_login(client, hebei):
    response = disclosure(client, year=2026)
    assert response.status_code == 200, response.get_json()


def test_an_institution_of_nine_people_is_withheld_and_one_of_ten_or_more_shown(client, hebei):
    body = disclosure(client, year=2026).get_json()
    orgs = {o["name"]: o for o in body["organisations"]}
    small = orgs["河北小学"]
    assert small["withheld"] is True
    assert small["withheld_reason"] == "fewer_than_10_participants"
    assert [small[k] for k in ("participants", "co2e_saved_kg", "per_capita_co2e_kg",
                               "participation_rate")] == [None, None, None, None]
    for name, key in (("河北中学", "large"), ("北京十人学校", "beijing")):
        _, staff, logged = hebei[key]
        grams = sum(a.co2e_saved_g for a in logged)
        assert orgs[name]["withheld"] is False
        assert orgs[name]["participants"] == len(staff)
        assert orgs[name]["co2e_saved_kg"] == grams / 1000
        assert orgs[name]["per_capita_co2e_kg"] == per_capita(grams, 40)
        assert orgs[name]["participation_rate"] == len(staff) / 40


def test_a_region_total_that_would_reveal_a_withheld_institution_is_withheld(client, hebei):
    regions = {r["region"]: r for r in disclosure(client, year=2026).get_json()["regions"]}
    assert regions["hebei"]["withheld"] is True  # 21 people, minus the 12 shown: the 9
    assert regions["hebei"]["co2e_saved_kg"] is None
    assert regions["beijing"]["withheld"] is False
    assert regions["beijing"]["participants"] == 10
    assert regions["beijing"]["co2e_saved_kg"] == sum(
        a.co2e_saved_g for a in hebei["beijing"][2]) / 1000


def test_no_personal_data_appears_in_the_disclosure(client, hebei):
    for response in (disclosure(client, year=2026), disclosure(client, year=2026, format="csv")):
        text = response.get_data().decode("utf-8")
        for _, staff, _ in hebei.values():
            for person in staff:
                assert person.username not in text
                assert person.display_name not in text
                assert person.employee_no not in text
    body = disclosure(client, year=2026).get_json()

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    assert not set(keys(body)) & {"id", "user_id", "username", "display_name", "employee_no",
                                  "users", "people"}


def test_the_method_lists_the_factor_versions_of_the_activities_counted(client, hebei, registry):
    method = disclosure(client, year=2026).get_json()["method"]
    used = {a.factor_version for _, _, logged in hebei.values() for a in logged}
    assert method["factor_versions"] == sorted(used)
    assert {s["version"] for s in method["factor_sets"]} >= used
    assert all(s["sources"] for s in method["factor_sets"])
    assert method["min_participants"] == 10


def test_a_region_filter_discloses_that_region_only(client, hebei):
    body = disclosure(client, region="beijing", year=2026).get_json()
    assert [r["region"] for r in body["regions"]] == ["beijing"]
    assert {o["name"] for o in body["organisations"]} == {"北京十人学校"}


def test_disclosure_csv_matches_the_json_and_keeps_withheld_cells_empty(client, hebei):
    body = disclosure(client, year=2026).get_json()
    rows = parse_csv(disclosure(client, year=2026, format="csv"))
    expected = [*body["regions"], *body["organisations"]]
    assert [r["name"] for r in rows] == [e["name"] for e in expected]
    for row, entry in zip(rows, expected, strict=True):
        for name in ("participants", "co2e_saved_kg", "per_capita_co2e_kg",
                     "participation_rate"):
            assert number(row[name]) == entry[name], (row["name"], name)
    small = next(r for r in rows if r["name"] == "河北小学")
    assert small["co2e_saved_kg"] == ""
    assert small["participants"] == ""


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_region_report_and_disclosure_cost_the_same_statements_with_more_institutions(
        app, client, make, log_at):
    superadmin = make.user(None, None, "superadmin")
    headers = make.headers(superadmin)

    def costs():
        return (statements_of(app, lambda: client.get("/api/v1/reports/region?year=2026",
                                                      headers=headers)),
                statements_of(app, lambda: disclosure(client, year=2026)))

    def add_org(n):
        org = make.org(name=f"成本测试单位{n}", region=("beijing", "hebei")[n % 2])
        person = make.user(org, make.team(org))
        log_at(person, "walk", 1, WHEN)

    add_org(0)
    few = costs()
    for n in range(1, 8):
        add_org(n)
    assert costs() == few
