"""Carbon, points and cap arithmetic against the figures of FACTORS.md.

Expected values are computed here from the source factors written out below,
independently of factors.json's formulas and of activities.carbon.
"""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from activities.carbon import (
    InvalidQuantityError,
    apply_multiplier,
    credited_quantity,
    equivalents,
    estimate_saving,
    per_unit,
    points_for_grams,
)
from activities.factors import (
    FactorSet,
    UnknownBehaviourError,
    default_factors_path,
    load_factor_registry,
)

D = Decimal

# Source factors of FACTORS.md, converted to grams by hand.
CAR_G_PER_VKM = D("162.72")
OCCUPANCY = D("1.16")
GRID_G_PER_KWH = {
    "beijing": D("558.0"),
    "tianjin": D("704.1"),
    "hebei": D("725.2"),
    "shanghai": D("530.6"),  # any other region: national average
}
BUS_G_PER_PKM = D("103.85")
METRO_G_PER_PKM = D("61.4")
HSR_G_PER_PKM = D("30.48")
FLIGHT_G_PER_PKM = D("95.3")
EBIKE_KWH_PER_KM = D("0.0053")
EV_KWH_PER_KM = D("0.188")
A4_SHEET_G_PAPER = D("4.99")
PAPER_G_PER_G = D("0.9194")  # 919.4 kg CO2e per tonne of paper
PC_KWH_PER_H = D("0.0865")
LED_KWH_PER_H = D("0.0085")
AC_COOLING_KWH_PER_H = D("0.030")
MEAL_WASTE_G = D("340")
PAPER_CUP_G = D("110")
VIDEO_CALL_G_PER_H = D("157")

REGIONS = tuple(GRID_G_PER_KWH)
TOLERANCE_G = D("0.000001")  # per-unit figures are kept to 1 microgram


def expected_saved_per_unit_g(behaviour: str, region: str) -> Decimal:
    grid = GRID_G_PER_KWH[region]
    car_pkm = CAR_G_PER_VKM / OCCUPANCY
    return {
        "walk": car_pkm,
        "cycle": car_pkm,
        "ebike": car_pkm - EBIKE_KWH_PER_KM * grid,
        "bus": car_pkm - BUS_G_PER_PKM,
        "metro": car_pkm - METRO_G_PER_PKM,
        "carpool": CAR_G_PER_VKM * (1 / OCCUPANCY - D(1) / 2),
        "ev_commute": car_pkm - EV_KWH_PER_KM * grid / OCCUPANCY,
        "rail_not_flight": FLIGHT_G_PER_PKM - HSR_G_PER_PKM,
        "video_meeting": car_pkm,
        "duplex_print": A4_SHEET_G_PAPER * PAPER_G_PER_G,
        "pc_off": PC_KWH_PER_H * grid,
        "lights_off": LED_KWH_PER_H * grid,
        "ac_setpoint": AC_COOLING_KWH_PER_H * grid,
        "clean_plate": MEAL_WASTE_G,
        "own_cup": PAPER_CUP_G,
        "stairs": D(0),
    }[behaviour]


BEHAVIOURS = (
    "walk",
    "cycle",
    "ebike",
    "bus",
    "metro",
    "carpool",
    "ev_commute",
    "rail_not_flight",
    "video_meeting",
    "duplex_print",
    "pc_off",
    "lights_off",
    "ac_setpoint",
    "clean_plate",
    "own_cup",
    "stairs",
)


@pytest.fixture(scope="module")
def factor_set() -> FactorSet:
    return load_factor_registry(default_factors_path()).get("bth-2025.1")


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_saved_per_unit_matches_the_formula_of_factors_md(behaviour, region, factor_set):
    result = per_unit(behaviour, region, factor_set)

    expected = expected_saved_per_unit_g(behaviour, region)
    assert abs(result.saved_g - expected) <= TOLERANCE_G
    assert result.saved_g == result.baseline_g - result.project_g


# The "saved per unit" column of the catalogue, at the precision it is printed.
@pytest.mark.parametrize(
    ("behaviour", "printed_g"),
    [
        ("walk", "140.3"),
        ("cycle", "140.3"),
        ("bus", "36.4"),
        ("metro", "78.9"),
        ("carpool", "58.9"),
        ("rail_not_flight", "64.8"),
        ("video_meeting", "140.3"),
        ("duplex_print", "4.59"),
        ("clean_plate", "340"),
        ("own_cup", "110"),
        ("stairs", "0"),
    ],
)
@pytest.mark.parametrize("region", REGIONS)
def test_saved_per_unit_rounds_to_the_catalogue_figure(behaviour, printed_g, region, factor_set):
    saved_g = per_unit(behaviour, region, factor_set).saved_g

    printed = D(printed_g)
    assert saved_g.quantize(printed, rounding=ROUND_HALF_UP) == printed


@pytest.mark.parametrize(
    ("behaviour", "baseline_g", "project_g"),
    [
        ("bus", CAR_G_PER_VKM / OCCUPANCY, BUS_G_PER_PKM),
        ("metro", CAR_G_PER_VKM / OCCUPANCY, METRO_G_PER_PKM),
        ("carpool", CAR_G_PER_VKM / OCCUPANCY, CAR_G_PER_VKM / 2),
        ("rail_not_flight", FLIGHT_G_PER_PKM, HSR_G_PER_PKM),
        ("walk", CAR_G_PER_VKM / OCCUPANCY, D(0)),
    ],
)
def test_baseline_and_project_per_unit_are_reported(behaviour, baseline_g, project_g, factor_set):
    result = per_unit(behaviour, "beijing", factor_set)

    assert abs(result.baseline_g - baseline_g) <= TOLERANCE_G
    assert abs(result.project_g - project_g) <= TOLERANCE_G


@pytest.mark.parametrize(
    ("region", "grid_key", "grid_value"),
    [
        ("beijing", "grid_beijing", "0.5580"),
        ("tianjin", "grid_tianjin", "0.7041"),
        ("hebei", "grid_hebei", "0.7252"),
        ("shanghai", "grid_national", "0.5306"),
        ("", "grid_national", "0.5306"),
    ],
)
def test_office_electricity_uses_the_regional_grid_factor(region, grid_key, grid_value, factor_set):
    result = per_unit("pc_off", region, factor_set)

    assert result.grid_factor == grid_key
    assert [(f.key, str(f.value)) for f in result.factors] == [
        ("pc_desktop_kwh_per_h", "0.0865"),
        (grid_key, grid_value),
    ]


def test_region_name_is_matched_regardless_of_case_and_spaces(factor_set):
    assert per_unit("lights_off", " Tianjin ", factor_set).grid_factor == "grid_tianjin"


def test_breakdown_lists_each_factor_once_with_unit_and_source(factor_set):
    result = per_unit("ev_commute", "hebei", factor_set)

    assert [f.key for f in result.factors] == [
        "car_petrol_vkm",
        "car_occupancy_commute",
        "ev_kwh_per_km",
        "grid_hebei",
    ]
    car = result.factors[0]
    assert car.unit == "kgCO2e/vehicle-km"
    assert car.source.startswith("UK DESNZ GHG conversion factors 2025")


def test_formula_without_grid_reports_no_grid_factor(factor_set):
    assert per_unit("bus", "tianjin", factor_set).grid_factor is None


def test_unknown_behaviour_is_rejected(factor_set):
    with pytest.raises(UnknownBehaviourError, match="'jog'"):
        per_unit("jog", "beijing", factor_set)


def test_entry_grams_round_half_up(factor_set):
    # 25 km x 64.82 g = 1620.5 g: half up gives 1621 (half-even would give 1620).
    saving = estimate_saving("rail_not_flight", D(25), "beijing", factor_set)

    assert saving.saved_g == 1621
    assert saving.baseline_g == 2383  # 25 x 95.3 = 2382.5
    assert saving.project_g == 762  # 25 x 30.48 = 762.0


@pytest.mark.parametrize(
    ("km", "saved_g"),
    [("3", 421), ("2.5", 351), ("0.2", 28), ("0.003", 0), ("0.004", 1)],
)
def test_entry_grams_round_to_the_nearest_gram(km, saved_g, factor_set):
    # km x 140.275862 g: 420.83, 350.69, 28.06, 0.42, 0.56
    assert estimate_saving("walk", D(km), "hebei", factor_set).saved_g == saved_g


def test_entry_keeps_the_per_unit_figure_and_version(factor_set):
    saving = estimate_saving("ebike", D("12.5"), "tianjin", factor_set)

    per_unit_g = expected_saved_per_unit_g("ebike", "tianjin")
    assert abs(saving.per_unit_saved_g - per_unit_g) <= TOLERANCE_G
    assert saving.factor_version == "bth-2025.1"
    # The stored per-unit figure reproduces the entry's grams exactly.
    assert saving.saved_g == int(
        (D("12.5") * saving.per_unit_saved_g).quantize(D(1), rounding=ROUND_HALF_UP)
    )
    assert saving.saved_g == 1707  # 12.5 x 136.544132 = 1706.80


def test_video_meeting_deducts_one_hour_of_call_per_entry(factor_set):
    saving = estimate_saving("video_meeting", D(10), "tianjin", factor_set)

    # 10 km x 140.275862 g - 157 g = 1245.76 g
    assert saving.saved_g == 1246
    assert saving.per_entry_deduction_g == VIDEO_CALL_G_PER_H
    assert saving.baseline_g == 1403
    assert saving.project_g == 157  # the call is the project emission


def test_video_meeting_deduction_is_per_entry_not_per_km(factor_set):
    saving = estimate_saving("video_meeting", D(100), "beijing", factor_set)

    # 100 x 140.275862 - 157 = 13870.59
    assert saving.saved_g == 13871


@pytest.mark.parametrize("km", ["0.5", "1", "1.119"])
def test_short_video_meeting_saves_zero_not_negative(km, factor_set):
    # Below 157 / 140.275862 = 1.1192 km the call emits more than the trip.
    assert estimate_saving("video_meeting", D(km), "beijing", factor_set).saved_g == 0


def test_video_meeting_just_past_break_even_saves_grams(factor_set):
    # 1.2 x 140.275862 - 157 = 11.33 g
    assert estimate_saving("video_meeting", D("1.2"), "beijing", factor_set).saved_g == 11


def test_stairs_saves_zero_grams_but_earns_a_point(factor_set):
    saving = estimate_saving("stairs", D(30), "beijing", factor_set)

    assert saving.saved_g == 0
    assert saving.baseline_g == 0
    assert saving.project_g == 0
    assert saving.no_source is True
    assert saving.factors == ()
    assert points_for_grams(saving.saved_g, factor_set) == 1


@pytest.mark.parametrize(
    ("saved_g", "points"),
    [(0, 1), (9, 1), (10, 1), (19, 1), (20, 2), (29, 2), (1246, 124), (2806, 280)],
)
def test_points_are_one_per_ten_grams_rounded_down_at_least_one(saved_g, points, factor_set):
    assert points_for_grams(saved_g, factor_set) == points


@pytest.mark.parametrize("saved_g", [-1, 1.5, True])
def test_points_reject_grams_that_are_not_non_negative_ints(saved_g, factor_set):
    with pytest.raises(ValueError, match="saved_g"):
        points_for_grams(saved_g, factor_set)


@pytest.mark.parametrize(
    ("points", "multiplier", "expected"),
    [(124, "1.5", 186), (7, "1.5", 10), (1, "1.5", 1), (5, "1", 5), (3, "2", 6), (0, "3", 0)],
)
def test_campaign_multiplier_rounds_points_down(points, multiplier, expected):
    assert apply_multiplier(points, D(multiplier)) == expected


def test_multiplier_refuses_floats():
    with pytest.raises(TypeError, match="multiplier"):
        apply_multiplier(10, 1.5)


def test_multiplier_refuses_negative_values():
    with pytest.raises(ValueError, match="multiplier"):
        apply_multiplier(10, D("-1"))


@pytest.mark.parametrize(
    ("quantity", "used_today", "cap", "credited", "capped"),
    [
        ("10", "0", "20", "10", False),
        ("5", "15", "20", "5", False),  # fills the cap exactly
        ("10", "15", "20", "5", True),  # partly past the cap
        ("1.5", "18.5", "20", "1.5", False),
        ("2.25", "18.5", "20", "1.5", True),
        ("3", "20", "20", "0", True),  # wholly past the cap
        ("0.001", "20", "20", "0", True),
        ("3", "25", "20", "0", True),  # cap lowered after use: still nothing
        ("25", "0", "20", "20", True),
    ],
)
def test_daily_cap_credits_only_what_fits(quantity, used_today, cap, credited, capped):
    result = credited_quantity(D(quantity), D(used_today), D(cap))

    assert result == (D(credited), capped)


def test_capped_walk_earns_grams_and_points_for_the_credited_part_only(factor_set):
    walk = factor_set.behaviour("walk")
    credited, capped = credited_quantity(D(25), D(0), walk.daily_cap)

    saving = estimate_saving(walk, credited, "beijing", factor_set)

    assert (credited, capped) == (D(20), True)
    assert saving.saved_g == 2806  # 20 x 140.275862 = 2805.52
    assert points_for_grams(saving.saved_g, factor_set) == 280


def test_entry_wholly_past_the_cap_saves_nothing(factor_set):
    credited, capped = credited_quantity(D(5), D(20), D(20))

    assert capped
    assert estimate_saving("walk", credited, "beijing", factor_set).saved_g == 0


@pytest.mark.parametrize("quantity", [1.5, D("1.2345"), D("-1"), D("NaN"), D("Infinity"), "2"])
def test_invalid_quantities_are_rejected(quantity, factor_set):
    with pytest.raises(InvalidQuantityError):
        estimate_saving("walk", quantity, "beijing", factor_set)


def test_quantity_with_trailing_zeros_is_accepted(factor_set):
    saving = estimate_saving("walk", D("2.50000"), "beijing", factor_set)

    assert saving.saved_g == 351


def test_cap_arithmetic_rejects_float_quantities():
    with pytest.raises(InvalidQuantityError):
        credited_quantity(0.1, D(0), D(20))


def test_equivalents_express_grams_through_factors(factor_set):
    result = {e.key: e for e in equivalents(16272, factor_set)}

    assert result["car_km"].value == D("100.0")  # 16272 / 162.72
    assert result["paper_cups"].value == D("147.9")  # 16272 / 110 = 147.93
    assert result["meals"].value == D("47.8")  # 16272 / 340 = 47.86, never rounded up
    for equivalent in result.values():
        assert equivalent.label_zh
        assert equivalent.label_en
        assert equivalent.unit_zh
        assert equivalent.unit_en


def test_equivalents_of_nothing_are_zero(factor_set):
    assert all(e.value == 0 for e in equivalents(0, factor_set))
