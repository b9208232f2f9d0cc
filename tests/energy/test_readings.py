"""Entering readings: exact conversion in the unit sent, integer grams, the contract's codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from energy.models import EnergyReading
from tests.energy.conftest import error_code


def test_reading_keeps_unit_sent_and_converts_exactly(post_reading):
    response = post_reading(carrier="electricity", period="2024-03", quantity="1.2345",
                            unit="万kWh", cost_yuan=9000)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # 1.2345 万kWh = 12,345 kWh; x 0.1229 kgce/kWh = 1517.2005 kg; Tianjin grid 0.7041
    assert (body["quantity"], body["unit"]) == (1.2345, "万kWh")
    assert body["kgce"] == 1517.201  # 1,517,200.5 g rounds half up to 1,517,201 g
    assert body["co2e_kg"] == 8692.115  # 12,345 x 0.7041 = 8692.1145 kg
    assert body["factor_version"] == "bth-2025.1"
    assert (body["status"], body["restated"]) == ("draft", False)


@pytest.mark.parametrize(("carrier", "quantity", "unit", "kgce", "co2e_kg"), [
    ("natural_gas", "2", "万m3", 26600.0, 43240.0),      # 20,000 m3 x 1.33 / x 2.162
    ("heat", "10", "GJ", 341.2, 1100.0),                 # 10,000 MJ x 0.03412; 10 GJ x 110
    ("heat", "500", "MJ", 17.06, 55.0),
    ("gasoline", "100", "L", 107.412, 213.525),          # 73 kg x 1.4714 / x 2.925
    ("diesel", "1", "t", 1457.1, 3096.0),
    ("coal", "2.5", "t", 1785.75, 4750.0),
    ("lpg", "10", "kg", 17.143, 31.01),
    ("water", "12.5", "t", 0.0, 0.0),
    ("electricity", "3", "MWh", 368.7, 2112.3),
])
def test_each_carrier_converts_by_factors_md(post_reading, carrier, quantity, unit, kgce,
                                             co2e_kg):
    response = post_reading(carrier=carrier, period="2024-01", quantity=quantity, unit=unit)
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["kgce"], response.get_json()["co2e_kg"]) == (kgce, co2e_kg)


def test_electricity_outside_the_three_regions_uses_the_national_factor(member, client):
    elsewhere = member(region="other")
    response = client.post(f"/api/v1/orgs/{elsewhere.id}/energy/readings",
                           headers=elsewhere.headers,
                           json={"carrier": "electricity", "period": "2024-01",
                                 "quantity": 1000, "unit": "kWh"})
    assert response.get_json()["co2e_kg"] == 530.6


def test_zero_is_a_valid_month(post_reading):
    response = post_reading(carrier="heat", period="2024-07", quantity=0, unit="GJ")
    assert response.status_code == 201
    assert response.get_json()["kgce"] == 0


@pytest.mark.parametrize(("body", "code"), [
    ({"carrier": "steam", "unit": "t"}, "unknown_carrier"),
    ({"carrier": "electricity", "unit": "m3"}, "unit_mismatch"),
    ({"carrier": "water", "unit": "L"}, "unit_mismatch"),
    ({"quantity": -1}, "quantity_out_of_range"),
    ({"quantity": "NaN"}, "quantity_out_of_range"),
    ({"quantity": "Infinity"}, "quantity_out_of_range"),
    ({"quantity": "1e400"}, "quantity_out_of_range"),
    ({"quantity": "abc"}, "quantity_out_of_range"),
    ({"quantity": True}, "quantity_out_of_range"),
    ({"period": "2024-13"}, "validation_error"),
    ({"period": "24-01"}, "validation_error"),
    ({"period": "2024/01"}, "validation_error"),
])
def test_bad_reading_gets_its_code_and_changes_nothing(post_reading, session, body, code):
    reading = {"carrier": "electricity", "period": "2024-01", "quantity": 10, "unit": "kWh",
               **body}
    response = post_reading(**reading)
    assert response.status_code == 422
    assert error_code(response) == code
    assert session.scalar(select(func.count()).select_from(EnergyReading)) == 0


def test_non_finite_json_number_is_out_of_range(client, institution):
    response = client.post(f"/api/v1/orgs/{institution.id}/energy/readings",
                           data='{"carrier": "water", "period": "2024-01", "quantity": NaN,'
                                ' "unit": "m3"}',
                           headers={**institution.headers, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert error_code(response) == "quantity_out_of_range"


def test_period_in_the_future_is_refused(post_reading, clock):
    next_year = (clock.now() + timedelta(days=400)).year
    response = post_reading(carrier="water", period=f"{next_year}-01", quantity=1, unit="m3")
    assert (response.status_code, error_code(response)) == (422, "period_in_future")
    response = post_reading(carrier="water", period=str(next_year), quantity=1, unit="m3")
    assert (response.status_code, error_code(response)) == (422, "period_in_future")


def test_second_reading_for_a_period_is_409_naming_the_first(post_reading):
    first = post_reading(carrier="water", period="2024-02", quantity=1, unit="m3").get_json()
    again = post_reading(carrier="water", period="2024-02", quantity=2, unit="t")
    assert (again.status_code, error_code(again)) == (409, "reading_exists")
    assert again.get_json()["error"]["details"]["existing_id"] == first["id"]


def test_a_year_is_monthly_or_annual_never_both(post_reading):
    assert post_reading(carrier="electricity", period="2015", quantity=5, unit="万kWh"
                        ).status_code == 201
    month = post_reading(carrier="electricity", period="2015-03", quantity=5, unit="kWh")
    assert (month.status_code, error_code(month)) == (409, "period_conflict")
    assert post_reading(carrier="electricity", period="2016-03", quantity=5, unit="kWh"
                        ).status_code == 201
    year = post_reading(carrier="electricity", period="2016", quantity=5, unit="kWh")
    assert (year.status_code, error_code(year)) == (409, "period_conflict")
    # another carrier's year is its own
    assert post_reading(carrier="water", period="2015-03", quantity=5, unit="m3"
                        ).status_code == 201


def test_another_organisations_readings_are_404(client, make, institution):
    other = make.org()
    response = client.post(f"/api/v1/orgs/{other.id}/energy/readings", headers=institution.headers,
                           json={"carrier": "water", "period": "2024-01", "quantity": 1,
                                 "unit": "m3"})
    assert response.status_code == 404


def test_staff_cannot_enter_readings(client, make, headers_for, institution):
    staff = make.user(institution.org)
    response = client.post(f"/api/v1/orgs/{institution.id}/energy/readings",
                           headers=headers_for(staff),
                           json={"carrier": "water", "period": "2024-01", "quantity": 1,
                                 "unit": "m3"})
    assert response.status_code == 403


def test_unit_price_flag_outside_the_band(post_reading):
    cheap = post_reading(carrier="electricity", period="2024-01", quantity=1000, unit="kWh",
                         cost_yuan=100).get_json()
    assert [f["code"] for f in cheap["flags"]] == ["unit_price"]
    fair = post_reading(carrier="electricity", period="2024-02", quantity=1, unit="MWh",
                        cost_yuan=800).get_json()
    assert fair["flags"] == []
    # gasoline's band is per litre: 100 kg = 136.99 L at 8 yuan/L is plausible
    litres = post_reading(carrier="gasoline", period="2024-01", quantity=100, unit="kg",
                          cost_yuan=1096).get_json()
    assert litres["flags"] == []


def test_yoy_jump_flag_against_the_same_month_a_year_before(post_reading, client, institution):
    post_reading(carrier="water", period="2023-05", quantity=100, unit="m3")
    jumped = post_reading(carrier="water", period="2024-05", quantity=141, unit="t").get_json()
    assert [f["code"] for f in jumped["flags"]] == ["yoy_jump"]
    assert jumped["flags"][0]["details"]["previous_period"] == "2023-05"
    post_reading(carrier="water", period="2023-06", quantity=100, unit="m3")
    steady = post_reading(carrier="water", period="2024-06", quantity=140, unit="m3").get_json()
    assert steady["flags"] == []
    listed = client.get(f"/api/v1/orgs/{institution.id}/energy/readings?year=2024",
                        headers=institution.headers).get_json()["items"]
    assert {r["period"]: [f["code"] for f in r["flags"]] for r in listed} == {
        "2024-05": ["yoy_jump"], "2024-06": []}


def test_list_readings_filters_by_carrier(post_reading, client, institution):
    post_reading(carrier="water", period="2024-01", quantity=1, unit="m3")
    post_reading(carrier="heat", period="2024-01", quantity=1, unit="GJ")
    listed = client.get(f"/api/v1/orgs/{institution.id}/energy/readings?carrier=heat",
                        headers=institution.headers).get_json()["items"]
    assert [r["carrier"] for r in listed] == ["heat"]


def test_stored_readings_are_counted_in_the_metrics_refusals_are_not(post_reading):
    from tests.ops.conftest import sample

    before = sample("lc_energy_readings_total")
    stored = post_reading(carrier="water", period="2025-03", quantity=120, unit="t")
    refused = post_reading(carrier="water", period="2025-03", quantity=1, unit="t")
    assert (stored.status_code, refused.status_code) == (201, 409)
    assert sample("lc_energy_readings_total") == before + 1
