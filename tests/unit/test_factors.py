"""factors.json carries FACTORS.md exactly, and the loader refuses broken files."""

import copy
import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from activities.carbon import per_unit
from activities.factors import (
    FactorFileError,
    FactorRegistry,
    FactorSetNotFoundError,
    default_factors_path,
    load_factor_registry,
)

SAME_2022 = "same announcement"
# key, value, unit, data year, source, confidence: the "Source factors" table of FACTORS.md.
SOURCE_FACTORS = [
    (
        "grid_beijing",
        "0.5580",
        "kgCO2/kWh",
        2022,
        "MEE+NBS 《关于发布2022年电力二氧化碳排放因子的公告》 (2024-12)",
        "secondhand, single copy",
    ),
    ("grid_tianjin", "0.7041", "kgCO2/kWh", 2022, SAME_2022, "secondhand x2"),
    ("grid_hebei", "0.7252", "kgCO2/kWh", 2022, SAME_2022, "secondhand x3"),
    (
        "grid_north_china",
        "0.6361",
        "kgCO2/kWh",
        2023,
        "MEE+NBS 《关于发布2023年电力二氧化碳排放因子的公告》, 华北 regional",
        "secondhand",
    ),
    (
        "grid_national",
        "0.5306",
        "kgCO2/kWh",
        2023,
        "same announcement, national average",
        "secondhand x2",
    ),
    (
        "car_petrol_vkm",
        "0.16272",
        "kgCO2e/vehicle-km",
        2025,
        "UK DESNZ GHG conversion factors 2025, average petrol car "
        "(no official Chinese per-km car factor found)",
        "secondhand x2, UK proxy",
    ),
    (
        "car_occupancy_commute",
        "1.16",
        "persons/car",
        None,
        "UK National Travel Survey NTS09, commuting",
        "secondhand, UK proxy",
    ),
    (
        "bus_pkm",
        "0.10385",
        "kgCO2e/passenger-km",
        2025,
        "UK DESNZ 2025, average local bus (higher than Shenzhen's e-bus 0.0269: conservative)",
        "secondhand x2, UK proxy",
    ),
    (
        "metro_pkm",
        "0.0614",
        "kgCO2/passenger-km",
        None,
        "Beijing Transport Commission example: 22 km by metro = 1.35 kg "
        "(news.hlgnet.com/info/17600)",
        "seen, illustrative",
    ),
    (
        "hsr_pkm",
        "0.03048",
        "kgCO2/passenger-km",
        2019,
        "毛保华 (北京交通大学), 中国环境报 2024-03-05: HSR full process",
        "seen",
    ),
    (
        "flight_pkm",
        "0.0953",
        "kgCO2/passenger-km",
        2019,
        "same: civil aviation flight stage, no radiative forcing",
        "seen",
    ),
    ("ebike_kwh_per_km", "0.0053", "kWh/km", None, "BikeRadar e-bike consumption", "secondhand"),
    ("ev_kwh_per_km", "0.188", "kWh/km", None, "EV Database real-world average", "secondhand"),
    (
        "paper_kg_per_t",
        "919.4",
        "kgCO2e/t",
        None,
        "UK DESNZ material use, paper primary",
        "secondhand, vintage unverified",
    ),
    ("a4_sheet_g", "4.99", "g paper/sheet", None, "ISO 216 A4 at 80 g/m2", "derived"),
    (
        "pc_desktop_kwh_per_h",
        "0.0865",
        "kWh/h",
        None,
        "Japan METI energy-saving portal, desktop PC in use",
        "secondhand",
    ),
    (
        "led_lamp_kwh_per_h",
        "0.0085",
        "kWh/h",
        None,
        "8.5 W LED lamp, 800 lm (Philips spec)",
        "secondhand",
    ),
    (
        "ac_cooling_kwh_per_h_deg",
        "0.030",
        "kWh per h per °C",
        None,
        "Japan METI: 2.2 kW room AC, +1 °C, 30.24 kWh over 112 days x 9 h",
        "secondhand + derived",
    ),
    (
        "ac_heating_kwh_per_h_deg",
        "0.0349",
        "kWh per h per °C",
        None,
        "same: heating, -1 °C, 53.08 kWh over 169 days x 9 h",
        "secondhand + derived",
    ),
    (
        "meal_waste_kg",
        "0.34",
        "kgCO2e per meal wasted",
        2020,
        "生态环境部环境规划院, 北京师范大学, WWF, WFP 《餐饮浪费的生态环境影响分析与对策》",
        "secondhand",
    ),
    (
        "paper_cup_kg",
        "0.11",
        "kgCO2 per cup",
        None,
        "EDF / Starbucks estimate, 16 oz cup with sleeve",
        "secondhand, low",
    ),
    (
        "video_call_kg_per_h",
        "0.157",
        "kgCO2e/h",
        2021,
        "Obringer et al. 2021, Resources, Conservation & Recycling (camera on)",
        "secondhand",
    ),
]

# key, category, name_zh, unit, unit_zh, max per entry, daily cap: the catalogue table.
CATALOGUE = [
    ("walk", "commute", "步行通勤", "km", "公里", 15, 20),
    ("cycle", "commute", "骑行通勤", "km", "公里", 30, 40),
    ("ebike", "commute", "电动自行车通勤", "km", "公里", 60, 60),
    ("bus", "commute", "公交通勤", "km", "公里", 60, 100),
    ("metro", "commute", "地铁通勤", "km", "公里", 80, 120),
    ("carpool", "commute", "拼车通勤 (两人及以上)", "km", "公里", 80, 120),
    ("ev_commute", "commute", "新能源车通勤", "km", "公里", 80, 120),
    ("rail_not_flight", "business_travel", "公务出行高铁替代飞机", "km", "公里", 2500, 5000),
    ("video_meeting", "business_travel", "视频会议替代驾车出行", "km", "公里", 500, 1000),
    ("duplex_print", "office", "双面打印", "sheet", "张", 500, 500),
    ("pc_off", "office", "离开时关闭电脑", "hour", "小时", 16, 16),
    ("lights_off", "office", "随手关灯", "lamp_hour", "盏·小时", 200, 400),
    ("ac_setpoint", "office", "空调温度调高/调低1°C", "unit_hour", "台·小时", 24, 48),
    ("clean_plate", "canteen", "光盘行动", "meal", "餐", 3, 3),
    ("own_cup", "canteen", "自带水杯", "cup", "杯", 5, 5),
    ("stairs", "office", "走楼梯", "floor", "层", 30, 30),
]


@pytest.fixture(scope="module")
def registry() -> FactorRegistry:
    return load_factor_registry(default_factors_path())


@pytest.fixture
def raw_sets() -> list:
    return json.loads(default_factors_path().read_text(encoding="utf-8"))


def write_factors(tmp_path: Path, data) -> Path:
    path = tmp_path / "factors.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def find(items: list, key: str) -> dict:
    return next(item for item in items if item["key"] == key)


def test_default_path_is_the_repository_root_file():
    assert default_factors_path() == Path(__file__).resolve().parents[2] / "factors.json"


def test_first_set_is_bth_2025_1_from_new_year_2025(registry):
    first = registry.sets[0]

    assert first.version == "bth-2025.1"
    assert first.effective_from == date(2025, 1, 1)


def test_every_source_factor_of_factors_md_is_carried_exactly(registry):
    factor_set = registry.get("bth-2025.1")

    carried = [
        (f.key, str(f.value), f.unit, f.data_year, f.source, f.confidence)
        for f in factor_set.factors
    ]
    assert carried == SOURCE_FACTORS


def test_factor_values_are_decimal_strings_in_the_file(raw_sets):
    values = [f["value"] for f in raw_sets[0]["factors"]]

    assert all(isinstance(v, str) for v in values)
    assert "0.5580" in values  # trailing zero kept, as printed in FACTORS.md


def test_catalogue_has_the_sixteen_behaviours_with_their_limits(registry):
    factor_set = registry.get("bth-2025.1")

    catalogue = [
        (b.key, b.category, b.name_zh, b.unit, b.unit_zh, b.max_per_entry, b.daily_cap)
        for b in factor_set.behaviours
    ]
    assert catalogue == CATALOGUE


def test_every_behaviour_has_english_names_and_says_limits_are_a_design_choice(registry):
    for behaviour in registry.get("bth-2025.1").behaviours:
        assert behaviour.name_en
        assert behaviour.unit_en
        assert "design choice" in behaviour.limits_note
        assert "not sourced" in behaviour.limits_note


def test_only_stairs_lacks_a_source(registry):
    unsourced = [b for b in registry.get("bth-2025.1").behaviours if b.no_source]

    assert [b.key for b in unsourced] == ["stairs"]
    assert "participation points only" in unsourced[0].note
    assert unsourced[0].formula.terms == ()


@pytest.mark.parametrize(
    ("region", "grid_key"),
    [
        ("beijing", "grid_beijing"),
        ("tianjin", "grid_tianjin"),
        ("hebei", "grid_hebei"),
        ("shandong", "grid_national"),
    ],
)
def test_region_maps_to_its_grid_factor(region, grid_key, registry):
    assert registry.get("bth-2025.1").grid_factor(region).key == grid_key


def test_points_rule_is_ten_grams_per_point_minimum_one(registry):
    points = registry.get("bth-2025.1").points

    assert (points.grams_per_point, points.min_points_per_entry) == (10, 1)
    assert "design choice" in points.note.lower()


def test_unknown_version_is_not_found(registry):
    with pytest.raises(FactorSetNotFoundError, match="bth-1999.1"):
        registry.get("bth-1999.1")


def test_no_set_is_in_force_before_2025(registry):
    with pytest.raises(FactorSetNotFoundError, match="2024-12-31"):
        registry.in_force_on(date(2024, 12, 31))


def test_first_set_is_in_force_from_its_effective_date(registry):
    assert registry.in_force_on(date(2025, 1, 1)).version == "bth-2025.1"


def test_in_force_on_refuses_a_datetime(registry):
    with pytest.raises(TypeError, match="local calendar date"):
        registry.in_force_on(datetime(2025, 6, 1, 12, 0))


@pytest.fixture
def two_versions(tmp_path, raw_sets) -> FactorRegistry:
    """bth-2025.1 plus a 2026 set with a new Tianjin grid factor, listed first in the file."""
    later = copy.deepcopy(raw_sets[0])
    later["version"] = "bth-2026.1"
    later["effective_from"] = "2026-01-01"
    find(later["factors"], "grid_tianjin")["value"] = "0.6500"
    return load_factor_registry(write_factors(tmp_path, [later, raw_sets[0]]))


@pytest.mark.parametrize(
    ("day", "version"),
    [
        (date(2025, 1, 1), "bth-2025.1"),
        (date(2025, 12, 31), "bth-2025.1"),
        (date(2026, 1, 1), "bth-2026.1"),
        (date(2030, 6, 1), "bth-2026.1"),
    ],
)
def test_in_force_on_picks_the_latest_set_effective_by_that_day(day, version, two_versions):
    assert two_versions.in_force_on(day).version == version


def test_latest_is_the_last_effective_set(two_versions):
    assert two_versions.latest.version == "bth-2026.1"
    assert two_versions.versions == ("bth-2025.1", "bth-2026.1")


def test_restatement_under_another_version_changes_grid_based_figures(two_versions):
    old = per_unit("pc_off", "tianjin", two_versions.get("bth-2025.1"))
    new = per_unit("pc_off", "tianjin", two_versions.get("bth-2026.1"))

    assert old.saved_g == Decimal("60.90465")  # 0.0865 kWh x 704.1 g/kWh
    assert new.saved_g == Decimal("56.225")  # 0.0865 kWh x 650.0 g/kWh
    assert new.factor_version == "bth-2026.1"


def _set(data):
    return data[0]


def _behaviour(data, key):
    return find(_set(data)["behaviours"], key)


def _factor(data, key):
    return find(_set(data)["factors"], key)


def _rename_ebike_factor(data):
    _behaviour(data, "ebike")["formula"]["project"][0]["multiply"] = ["ebike_kwh", "grid"]


def _drop_walk_cap(data):
    del _behaviour(data, "walk")["daily_cap"]


def _garble_value(data):
    _factor(data, "grid_beijing")["value"] = "0.55x8"


def _float_value(data):
    _factor(data, "grid_beijing")["value"] = 0.558


def _negative_value(data):
    _factor(data, "bus_pkm")["value"] = "-0.10385"


def _negative_limit(data):
    _behaviour(data, "walk")["max_per_entry"] = -15


def _zero_cap(data):
    _behaviour(data, "metro")["daily_cap"] = 0


def _limit_with_four_places(data):
    _behaviour(data, "walk")["max_per_entry"] = "15.0001"


def _duplicate_factor(data):
    _set(data)["factors"].append(copy.deepcopy(_factor(data, "bus_pkm")))


def _duplicate_behaviour(data):
    _set(data)["behaviours"].append(copy.deepcopy(_behaviour(data, "metro")))


def _unknown_region_factor(data):
    _set(data)["grid_by_region"]["regions"]["tianjin"] = "grid_tj"


def _unknown_default_grid(data):
    _set(data)["grid_by_region"]["default"] = "grid_china"


def _unknown_field(data):
    _behaviour(data, "walk")["dailycap"] = 20


def _missing_factor_field(data):
    del _factor(data, "hsr_pkm")["source"]


def _string_year(data):
    _factor(data, "grid_hebei")["data_year"] = "2022"


def _bad_category(data):
    _behaviour(data, "bus")["category"] = "transport"


def _stairs_with_formula(data):
    _behaviour(data, "stairs")["formula"]["baseline"] = [{"multiply": ["paper_cup_kg"]}]


def _empty_baseline_without_no_source(data):
    _behaviour(data, "own_cup")["formula"]["baseline"] = []


def _bad_date(data):
    _set(data)["effective_from"] = "2025-13-01"


def _duplicate_version(data):
    data.append(copy.deepcopy(_set(data)))


def _unknown_equivalent_factor(data):
    _set(data)["equivalents"][0]["factor"] = "car_diesel_vkm"


def _zero_grams_per_point(data):
    _set(data)["points"]["grams_per_point"] = 0


BROKEN = [
    (
        _rename_ebike_factor,
        "factors.json: bth-2025.1: behaviour 'ebike' references unknown factor 'ebike_kwh'",
    ),
    (_drop_walk_cap, "factors.json: bth-2025.1: behaviour 'walk': missing field 'daily_cap'"),
    (_garble_value, "factor 'grid_beijing': value '0.55x8' is not a decimal"),
    (_float_value, "factor 'grid_beijing': value must be a decimal string"),
    (_negative_value, "factor 'bus_pkm': value '-0.10385' must be a finite, non-negative"),
    (_negative_limit, "behaviour 'walk': max_per_entry must be positive, got -15"),
    (_zero_cap, "behaviour 'metro': daily_cap must be positive, got 0"),
    (_limit_with_four_places, "behaviour 'walk': max_per_entry '15.0001' has more than 3"),
    (_duplicate_factor, "bth-2025.1: duplicate factor key 'bus_pkm'"),
    (_duplicate_behaviour, "bth-2025.1: duplicate behaviour key 'metro'"),
    (_unknown_region_factor, "region 'tianjin' maps to unknown factor 'grid_tj'"),
    (_unknown_default_grid, "region 'default' maps to unknown factor 'grid_china'"),
    (_unknown_field, "behaviour 'walk': unknown field 'dailycap'"),
    (_missing_factor_field, "factor 'hsr_pkm': missing field 'source'"),
    (_string_year, "factor 'grid_hebei': data_year must be an integer or null"),
    (_bad_category, "behaviour 'bus': category 'transport' is not one of"),
    (_stairs_with_formula, "behaviour 'stairs': no_source behaviour must have an empty formula"),
    (_empty_baseline_without_no_source, "behaviour 'own_cup': baseline is empty"),
    (_bad_date, "bth-2025.1: effective_from '2025-13-01' is not a YYYY-MM-DD date"),
    (_duplicate_version, "factors.json: duplicate factor set version 'bth-2025.1'"),
    (_unknown_equivalent_factor, "equivalent 'car_km': references unknown or zero factor"),
    (_zero_grams_per_point, "points: grams_per_point must be a positive integer, got 0"),
]


@pytest.mark.parametrize(
    ("breakage", "message"), BROKEN, ids=[b.__name__.strip("_") for b, _ in BROKEN]
)
def test_broken_file_is_refused_naming_the_bad_key(breakage, message, tmp_path, raw_sets):
    breakage(raw_sets)
    path = write_factors(tmp_path, raw_sets)

    with pytest.raises(FactorFileError, match=re.escape(message)):
        load_factor_registry(path)


def test_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "factors.json"
    path.write_text("[{", encoding="utf-8")

    with pytest.raises(FactorFileError, match=r"^factors\.json: invalid JSON"):
        load_factor_registry(path)


def test_empty_list_is_refused(tmp_path):
    with pytest.raises(FactorFileError, match="non-empty list of factor sets"):
        load_factor_registry(write_factors(tmp_path, []))


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(FactorFileError, match="cannot read file"):
        load_factor_registry(tmp_path / "factors.json")


def test_unmodified_copy_loads(tmp_path, raw_sets):
    registry = load_factor_registry(write_factors(tmp_path, raw_sets))

    assert registry.versions == ("bth-2025.1",)
