"""`flask factors check`, `flask factors restate`, the start-up check of the factor file and
the demo activity seeder."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from activities.factors import default_factors_path
from activities.models import Activity
from app.config import ConfigError


def raw_sets() -> list[dict]:
    return json.loads(default_factors_path().read_text(encoding="utf-8"))


def write_factors(tmp_path, sets) -> str:
    path = tmp_path / "factors.json"
    path.write_text(json.dumps(sets, ensure_ascii=False), encoding="utf-8")
    return str(path)


def second_app(make_app, path: str):
    return make_app({"FACTORS_PATH": path})


def test_factors_check_prints_the_tianjin_catalogue(app):
    result = app.test_cli_runner().invoke(args=["factors", "check", "--region", "tianjin"])

    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "grid_tianjin = 0.7041" in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "60.905" in lines["pc_off"]  # 0.0865 kWh x 704.1 g/kWh
    assert "136.544" in lines["ebike"]  # 140.276 g - 0.0053 kWh x 704.1 g/kWh
    assert "4.588" in lines["duplex_print"]
    assert "grid_beijing" not in result.output


def test_factors_check_without_a_region_prints_every_region(app):
    result = app.test_cli_runner().invoke(args=["factors", "check"])

    for grid in ("grid_beijing", "grid_tianjin", "grid_hebei", "grid_national"):
        assert f"grid: {grid}" in result.output


def test_a_bad_factor_file_stops_start_up_naming_the_bad_key(make_app, tmp_path):
    sets = raw_sets()
    tianjin = next(f for f in sets[0]["factors"] if f["key"] == "grid_tianjin")
    tianjin["value"] = "lots"

    with pytest.raises(ConfigError, match="grid_tianjin"):
        second_app(make_app, write_factors(tmp_path, sets))


def test_restatement_reports_both_totals_per_organisation_and_changes_nothing(
        make_app, make, session, log_at, tmp_path, clock):
    beijing, hebei = make.org(name="北京重述局", region="beijing"), make.org(
        name="河北重述院", region="hebei")
    bj_user, he_user = make.user(beijing, make.team(beijing)), make.user(hebei, make.team(hebei))
    logged = [log_at(bj_user, "pc_off", 10), log_at(bj_user, "walk", 5),
              log_at(he_user, "pc_off", 4)]
    year = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).year
    later = json.loads(json.dumps(raw_sets()[0]))
    later["version"], later["effective_from"] = "bth-test.2", f"{year + 1}-01-01"
    for factor in later["factors"]:
        if factor["key"] == "grid_beijing":
            factor["value"] = "0.6000"
        if factor["key"] == "car_petrol_vkm":
            factor["value"] = "0.17000"
    other = second_app(make_app, write_factors(tmp_path, [raw_sets()[0], later]))

    result = other.test_cli_runner().invoke(
        args=["factors", "restate", "--version", "bth-test.2", "--year", str(year)])

    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()
            if line.split() and line.split()[0].isdigit()}
    # Beijing: stored 483 + 701 g; restated 10 x 0.0865 x 600 = 519 g, 5 x 170 / 1.16 = 733 g.
    assert rows[str(beijing.id)][-3:] == ["1.184", "1.252", "+5.7"]
    # Hebei: the Hebei grid did not change.
    assert rows[str(hebei.id)][-3:] == ["0.251", "0.251", "+0.0"]
    session.expire_all()
    assert [session.get(Activity, a.id).co2e_saved_g for a in logged] == [483, 701, 251]
    assert [session.get(Activity, a.id).points for a in logged] == [48, 70, 25]


def test_restatement_under_an_unknown_version_fails(app):
    result = app.test_cli_runner().invoke(
        args=["factors", "restate", "--version", "nope", "--year", "2026"])

    assert result.exit_code != 0
    assert "nope" in result.output


def test_activity_is_computed_with_the_set_in_force_on_its_local_day(make_app, make, tmp_path,
                                                                    clock):
    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    later = json.loads(json.dumps(raw_sets()[0]))
    later["version"], later["effective_from"] = "bth-test.3", today.isoformat()
    other = second_app(make_app, write_factors(tmp_path, [raw_sets()[0], later]))
    org = make.org()
    user = make.user(org, make.team(org))
    client = other.test_client()
    yesterday = (clock.now() - timedelta(days=1)).isoformat()

    new = client.post("/api/v1/activities", json={"type": "walk", "quantity": 1},
                      headers=make.headers(user)).get_json()
    old = client.post("/api/v1/activities", json={"type": "walk", "quantity": 1,
                                                  "occurred_at": yesterday},
                      headers=make.headers(user)).get_json()

    assert (new["factor_version"], old["factor_version"]) == ("bth-test.3", "bth-2025.1")
