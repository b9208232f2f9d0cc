"""Meter gateway pushes (key energy:write) booked into the month's reading."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from energy.models import EnergyReading
from machines.models import MeterReading
from tests.machines.conftest import key_headers
from tests.machines.matrix import KEY_ONLY_ROUTES

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/energy/meter-readings"


@pytest.fixture
def gateway(make, issue_key):
    """An institution and the headers of its meter gateway's key."""
    org = make.org()
    admin = make.user(org, role="admin")
    return org, admin, key_headers(issue_key(admin, org)["key"])


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def push(client, headers, when: datetime, value=None, *, meter="M-1", carrier="electricity",
         unit="kWh", interval=None):
    body = {"meter_id": meter, "carrier": carrier, "unit": unit, "read_at": when.isoformat()}
    if interval is not None:
        body["interval_quantity"] = interval
    else:
        body["register_value"] = value
    return client.post(URL, json=body, headers=headers)


def month_readings(session, org) -> dict[str, tuple[str, str, str]]:
    session.expire_all()
    rows = session.scalars(select(EnergyReading).where(EnergyReading.org_id == org.id))
    return {r.period: (r.quantity, r.unit, r.source) for r in rows}


def test_consumption_is_apportioned_to_months_by_time(client, session, gateway, last_year):
    org, _admin, headers = gateway
    assert push(client, headers, local(last_year, 1, 31), 1000).status_code == 201
    # 48 hours later: one day in January, one in February.
    response = push(client, headers, local(last_year, 2, 2), 1480)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["consumption"] == 480
    assert [(b["period"], b["quantity"]) for b in body["booked"]] == [
        (f"{last_year}-01", 240), (f"{last_year}-02", 240)]
    assert month_readings(session, org) == {f"{last_year}-01": ("240", "kWh", "meter"),
                                            f"{last_year}-02": ("240", "kWh", "meter")}
    # The next push adds to February's reading.
    push(client, headers, local(last_year, 2, 10), 1580)
    assert month_readings(session, org)[f"{last_year}-02"] == ("340", "kWh", "meter")


def test_repeats_are_idempotent_and_a_different_value_is_refused(client, session, gateway,
                                                                  last_year):
    org, _admin, headers = gateway
    push(client, headers, local(last_year, 3, 1), 10)
    first = push(client, headers, local(last_year, 3, 5), 110)
    again = push(client, headers, local(last_year, 3, 5), 110)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    changed = push(client, headers, local(last_year, 3, 5), 120)
    assert changed.status_code == 409
    assert month_readings(session, org)[f"{last_year}-03"][0] == "100"


def test_a_register_going_down_starts_a_new_baseline(client, session, gateway, last_year):
    org, _admin, headers = gateway
    push(client, headers, local(last_year, 4, 1), 99990)
    push(client, headers, local(last_year, 4, 10), 99995)
    reset = push(client, headers, local(last_year, 4, 20), 3)
    assert reset.status_code == 201
    assert reset.get_json()["consumption"] == 0
    assert [f["code"] for f in reset.get_json()["flags"]] == ["register_reset"]
    push(client, headers, local(last_year, 4, 25), 8)
    assert month_readings(session, org)[f"{last_year}-04"][0] == "10"  # 5 + 5, never 3


def test_interval_quantities_land_in_their_month(client, session, gateway, last_year):
    org, _admin, headers = gateway
    response = push(client, headers, local(last_year, 5, 3, 12), meter="W-1", carrier="water",
                    unit="m3", interval=12.5)
    assert response.status_code == 201, response.get_json()
    assert month_readings(session, org)[f"{last_year}-05"] == ("12.5", "m3", "meter")


def test_a_person_can_still_correct_a_meter_month(client, make, session, gateway, last_year):
    org, admin, headers = gateway
    push(client, headers, local(last_year, 6, 1), 0)
    push(client, headers, local(last_year, 6, 15), 500)
    reading_id = session.scalar(select(EnergyReading.id).where(EnergyReading.org_id == org.id))
    corrected = client.patch(f"/api/v1/energy/readings/{reading_id}", headers=make.headers(admin),
                             json={"quantity": 450, "reason": "表计校准 (meter calibrated)"})
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["source"] == "meter"


def test_bad_pushes_are_refused_and_keep_nothing(client, session, gateway, clock, last_year):
    org, _admin, headers = gateway
    push(client, headers, local(last_year, 7, 1), 100)
    cases = {
        "another carrier for the meter": (push(client, headers, local(last_year, 7, 2), 5,
                                               carrier="natural_gas", unit="m3"),
                                          422, "meter_carrier_mismatch"),
        "in the future": (push(client, headers, clock.now() + timedelta(hours=1), 200),
                          422, "read_at_in_future"),
        "not a number": (push(client, headers, local(last_year, 7, 3), "lots"),
                         422, "validation_error"),
        "a boolean": (push(client, headers, local(last_year, 7, 3), True),
                      422, "validation_error"),
        "negative": (push(client, headers, local(last_year, 7, 3), -5), 422, "validation_error"),
        "unknown carrier": (push(client, headers, local(last_year, 7, 3), 5, meter="X",
                                 carrier="plutonium"), 422, "unknown_carrier"),
        "wrong unit": (push(client, headers, local(last_year, 7, 3), 5, meter="Y", unit="GJ"),
                       422, "unit_mismatch"),
    }
    for name, (response, status, code) in cases.items():
        assert response.status_code == status, name
        assert response.get_json()["error"]["code"] == code, name
    assert session.scalar(select(func.count()).select_from(MeterReading)) == 1
    assert month_readings(session, org) == {}


def test_keys_and_tokens_on_the_meter_route(client, make, gateway, issue_key, last_year):
    org, admin, headers = gateway
    for role in ("staff", "admin"):
        user = make.user(org, role=role)
        response = push(client, make.headers(user), local(last_year, 8, 1), 1)
        assert response.status_code == 401, role
    superadmin = make.user(None, None, "superadmin")
    assert push(client, make.headers(superadmin), local(last_year, 8, 1), 1).status_code == 401
    region_key = issue_key(superadmin)
    assert push(client, key_headers(region_key["key"]), local(last_year, 8, 1),
                1).status_code == 403
    assert KEY_ONLY_ROUTES == [("POST", URL)]
