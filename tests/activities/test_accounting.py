"""Acceptance: every behaviour, in a Beijing, a Tianjin and a Hebei organisation, earns what
FACTORS.md says, through the catalogue, the estimate and a logged activity.

The expectation is computed here from the "Source factors" table of FACTORS.md with exact
fractions, and the "Behaviour catalogue" formulas written out by hand, never from the
application's factor file or its arithmetic.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from points.ledger import account_of
from points.models import DailyContribution

F = Fraction

# FACTORS.md "Source factors", in kg; grid factors per region (others: national average).
CAR_VKM = F("0.16272")
OCCUPANCY = F("1.16")
BUS_PKM = F("0.10385")
METRO_PKM = F("0.0614")
HSR_PKM = F("0.03048")
FLIGHT_PKM = F("0.0953")
EBIKE_KWH_KM = F("0.0053")
EV_KWH_KM = F("0.188")
PAPER_KG_PER_T = F("919.4")
A4_SHEET_G = F("4.99")
PC_KWH_H = F("0.0865")
LED_KWH_H = F("0.0085")
AC_COOLING_KWH_H = F("0.030")
MEAL_WASTE_KG = F("0.34")
PAPER_CUP_KG = F("0.11")
VIDEO_CALL_KG_H = F("0.157")
GRID = {"beijing": F("0.5580"), "tianjin": F("0.7041"), "hebei": F("0.7252"),
        "other": F("0.5306")}
GRID_KEY = {"beijing": "grid_beijing", "tianjin": "grid_tianjin", "hebei": "grid_hebei",
            "other": "grid_national"}


def saved_per_unit_g(behaviour: str, region: str) -> Fraction:
    """The catalogue's "saved per unit" column, in grams."""
    grid = GRID[region]
    car = CAR_VKM / OCCUPANCY
    kg = {
        "walk": car, "cycle": car,
        "ebike": car - EBIKE_KWH_KM * grid,
        "bus": car - BUS_PKM,
        "metro": car - METRO_PKM,
        "carpool": CAR_VKM * (1 / OCCUPANCY - F(1, 2)),
        "ev_commute": car - EV_KWH_KM * grid / OCCUPANCY,
        "rail_not_flight": FLIGHT_PKM - HSR_PKM,
        "video_meeting": car,
        "duplex_print": A4_SHEET_G / 1_000_000 * PAPER_KG_PER_T,
        "pc_off": PC_KWH_H * grid,
        "lights_off": LED_KWH_H * grid,
        "ac_setpoint": AC_COOLING_KWH_H * grid,
        "clean_plate": MEAL_WASTE_KG,
        "own_cup": PAPER_CUP_KG,
        "stairs": F(0),
    }[behaviour]
    return kg * 1000


def deduction_g(behaviour: str) -> Fraction:
    return VIDEO_CALL_KG_H * 1000 if behaviour == "video_meeting" else F(0)


def round_half_up(value: Fraction) -> int:
    """Nearest whole gram, halves up (a negative result is clamped to 0 by the caller)."""
    return math.floor(value + F(1, 2))


def expected_entry(behaviour: str, region: str, quantity: str) -> tuple[int, int]:
    """(grams, points): max(0, round(q x per unit - deduction)); 1 point per 10 g, at least 1."""
    grams = max(0, round_half_up(F(quantity) * saved_per_unit_g(behaviour, region)
                                 - deduction_g(behaviour)))
    return grams, max(1, grams // 10)


# One entry per behaviour, with decimals where the unit allows, within max_per_entry.
ENTRIES = {
    "walk": "4.2", "cycle": "12.5", "ebike": "18.3", "bus": "22.7", "metro": "31.4",
    "carpool": "25.6", "ev_commute": "40.1", "rail_not_flight": "1214.5",
    "video_meeting": "35", "duplex_print": "120", "pc_off": "7.5", "lights_off": "64",
    "ac_setpoint": "9.5", "clean_plate": "2", "own_cup": "3", "stairs": "12",
}
REGIONS = ("beijing", "tianjin", "hebei")


def kg(grams: int) -> float:
    return float(Decimal(grams) / 1000)


@pytest.fixture(params=REGIONS)
def region_member(request, make):
    org = make.org(name=f"{request.param}单位", region=request.param)
    team = make.team(org)
    return request.param, make.user(org, team)


def test_catalogue_per_unit_figures_follow_factors_md(client, make, region_member):
    region, user = region_member
    items = client.get("/api/v1/activity-types", headers=make.headers(user)).get_json()["items"]

    assert sorted(i["key"] for i in items) == sorted(ENTRIES)
    for item in items:
        exact_kg = saved_per_unit_g(item["key"], region) / 1000
        per_unit_kg = Decimal(exact_kg.numerator) / Decimal(exact_kg.denominator)
        assert item["co2e_saved_per_unit_kg"] == float(
            per_unit_kg.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)), item["key"]
        assert item["factor_version"] == "bth-2025.1"
    electric = {i["key"]: i for i in items}["pc_off"]
    assert electric["grid_factor"] == GRID_KEY[region]
    assert [s["key"] for s in electric["sources"]] == ["pc_desktop_kwh_per_h", GRID_KEY[region]]


def test_estimates_of_every_behaviour_follow_factors_md(client, make, region_member):
    region, user = region_member
    for behaviour, quantity in ENTRIES.items():
        body = client.post("/api/v1/carbon/estimate", json={"type": behaviour,
                                                            "quantity": quantity},
                           headers=make.headers(user)).get_json()

        grams, points = expected_entry(behaviour, region, quantity)
        assert (body["co2e_saved_kg"], body["points"]) == (kg(grams), points), behaviour
        baseline = round_half_up(F(quantity) * saved_per_unit_g(behaviour, region)
                                 if behaviour in ("walk", "cycle", "video_meeting") else 0)
        if baseline:  # no project emissions: the baseline is the whole per-unit figure
            assert body["breakdown"]["baseline_kg"] == kg(baseline), behaviour


def test_logged_activities_of_every_behaviour_follow_factors_md(client, make, session,
                                                                 region_member):
    region, user = region_member
    total_g = total_points = 0
    for behaviour, quantity in ENTRIES.items():
        response = client.post("/api/v1/activities", json={"type": behaviour,
                                                           "quantity": quantity},
                               headers=make.headers(user))

        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        grams, points = expected_entry(behaviour, region, quantity)
        assert (body["co2e_saved_kg"], body["points"]) == (kg(grams), points), behaviour
        assert (body["factor_version"], body["capped"], body["status"]) == (
            "bth-2025.1", False, "accepted")
        total_g += grams
        total_points += points

    assert account_of(session, user.id) == (total_points, total_points)
    rollup = session.query(DailyContribution).filter_by(user_id=user.id).all()
    assert sum(r.co2e_g for r in rollup) == total_g
    assert sum(r.entries for r in rollup) == len(ENTRIES)


def test_estimate_before_enrolment_uses_the_national_grid(client, make):
    user = make.user(None, None)

    body = client.post("/api/v1/carbon/estimate", json={"type": "pc_off", "quantity": 8},
                       headers=make.headers(user)).get_json()

    grams, points = expected_entry("pc_off", "other", "8")
    assert (body["co2e_saved_kg"], body["points"], body["region"]) == (kg(grams), points,
                                                                        "other")
    assert [f["key"] for f in body["breakdown"]["factors"]] == ["pc_desktop_kwh_per_h",
                                                                  "grid_national"]


def test_estimate_names_baseline_project_and_sourced_factors(client, person, make):
    body = client.post("/api/v1/carbon/estimate", json={"type": "bus", "quantity": 10},
                       headers=make.headers(person.user)).get_json()

    breakdown = body["breakdown"]
    assert breakdown["baseline_kg"] == kg(round_half_up(10 * CAR_VKM / OCCUPANCY * 1000))
    assert breakdown["actual_kg"] == kg(round_half_up(10 * BUS_PKM * 1000))
    factors = {f["key"]: f for f in breakdown["factors"]}
    assert set(factors) == {"car_petrol_vkm", "car_occupancy_commute", "bus_pkm"}
    assert factors["bus_pkm"]["value"] == 0.10385
    assert factors["bus_pkm"]["source"].startswith("UK DESNZ 2025")


def test_estimate_logs_nothing(client, person, make, session):
    client.post("/api/v1/carbon/estimate", json={"type": "metro", "quantity": 12},
                headers=make.headers(person.user))

    assert account_of(session, person.user.id) == (0, 0)
    listed = client.get("/api/v1/me/activities", headers=make.headers(person.user)).get_json()
    assert listed["items"] == []


def test_no_source_behaviour_earns_participation_points_and_no_carbon(post_activity, person):
    body = post_activity(person.user, type="stairs", quantity=6).get_json()

    assert (body["co2e_saved_kg"], body["points"]) == (0, 1)


def test_catalogue_names_follow_accept_language_and_show_the_limits(client, make, person):
    zh = client.get("/api/v1/activity-types", headers=make.headers(person.user)).get_json()
    en = client.get("/api/v1/activity-types",
                    headers=make.headers(person.user, **{"Accept-Language": "en"})).get_json()

    walk_zh = {i["key"]: i for i in zh["items"]}["walk"]
    walk_en = {i["key"]: i for i in en["items"]}["walk"]
    assert (walk_zh["name"], walk_en["name"]) == ("步行通勤", "Walking commute")
    assert (walk_zh["category"], walk_zh["unit"], walk_zh["max_per_entry"],
            walk_zh["daily_cap"]) == ("commute", "km", 15, 20)
    assert walk_zh["points_per_unit"] == 14.027  # 140.276 g at 1 point per 10 g


@pytest.mark.parametrize(("body", "code"), [
    ({"type": "jog", "quantity": 1}, "unknown_activity_type"),
    ({"type": "walk", "quantity": 0}, "quantity_out_of_range"),
    ({"type": "walk", "quantity": 15.5}, "quantity_out_of_range"),
])
def test_estimate_refuses_what_logging_would_refuse(client, make, person, body, code):
    response = client.post("/api/v1/carbon/estimate", json=body,
                           headers=make.headers(person.user))

    assert (response.status_code, response.get_json()["error"]["code"]) == (422, code)
