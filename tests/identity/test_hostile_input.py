"""Inputs an attacker sends to find a 500: a 5,000-digit integer, a lone surrogate, years 1
and 9999, digits of other scripts. Each is 400 `invalid_json` or 422 with field details."""

from __future__ import annotations

import base64
import json

import pytest

from tests.identity.conftest import login

HUGE = "9" * 5000


def post_raw(client, path, text, headers=None):
    return client.post(path, data=text.encode(), content_type="application/json",
                       headers=headers or {})


def error(response) -> dict:
    return response.get_json()["error"]


def test_a_5000_digit_integer_in_a_public_body_is_invalid_json(client):
    response = post_raw(client, "/api/v1/auth/login",
                        '{"username": "a", "password": "b", "x": ' + HUGE + "}")
    assert response.status_code == 400
    assert error(response)["code"] == "invalid_json"


@pytest.mark.parametrize("path", ["/api/v1/activities", "/api/v1/activities/batch"])
def test_a_5000_digit_quantity_is_invalid_json(client, make, people, path):
    entry = '{"type": "stairs", "quantity": ' + HUGE + "}"
    body = entry if path.endswith("activities") else '{"items": [' + entry + "]}"
    response = post_raw(client, path, body, make.headers(people.staff))
    assert response.status_code == 400
    assert error(response)["code"] == "invalid_json"


@pytest.mark.parametrize("text", ['"\\ud800"', '"abc\\udfff"', '"\\uDBFF x"'])
def test_a_lone_surrogate_in_any_string_is_invalid_json(client, make, people, text):
    response = post_raw(client, "/api/v1/auth/login",
                        '{"username": ' + text + ', "password": "p"}')
    assert response.status_code == 400
    assert error(response)["code"] == "invalid_json"
    response = client.patch("/api/v1/me", data='{"display_name": ' + text + "}",
                            content_type="application/json", headers=make.headers(people.staff))
    assert response.status_code == 400
    response = post_raw(client, f"/api/v1/orgs/{people.org.id}/teams",
                        '{"name": "ok", "nested": [{"k": ' + text + "}]}",
                        make.headers(people.admin))
    assert response.status_code == 400


def test_a_surrogate_pair_is_one_character_and_welcome(client, make, people):
    response = client.patch("/api/v1/me", data='{"display_name": "\\ud83c\\udf33 张三"}',
                            content_type="application/json", headers=make.headers(people.staff))
    assert response.status_code == 200
    assert response.get_json()["display_name"] == "\U0001F333 张三"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00",
                                    "0001-01-01T00:00:00", "9999-12-31T23:59:59"])
def test_years_1_and_9999_are_422_with_field_details(client, make, people, moment):
    admin = make.headers(people.admin)
    campaign = client.post("/api/v1/campaigns", json={
        "name": "宣传周", "starts_at": moment, "ends_at": moment, "multiplier": 2}, headers=admin)
    assert campaign.status_code == 422
    assert {"starts_at", "ends_at"} <= set(error(campaign)["details"])
    invite = client.post(f"/api/v1/orgs/{people.org.id}/invites",
                         json={"max_uses": 5, "expires_at": moment}, headers=admin)
    assert invite.status_code == 422
    assert "expires_at" in error(invite)["details"]


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00",
                                   "9999-12-31T23:59:59-12:00"])
def test_history_bounds_in_year_1_or_9999_are_422(client, make, people, value):
    for name in ("from", "to"):
        response = client.get("/api/v1/me/activities", query_string={name: value},
                              headers=make.headers(people.staff))
        assert response.status_code == 422
        assert name in error(response)["details"]


@pytest.mark.parametrize("value", [["0001-01-01T00:00:00+08:00", 5],
                                   ["9999-12-31T23:59:59+00:00", 5]])
def test_cursors_in_year_1_or_9999_are_422(client, make, people, value):
    cursor = base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    response = client.get("/api/v1/me/activities", query_string={"cursor": cursor},
                          headers=make.headers(people.staff))
    assert response.status_code == 422
    assert "cursor" in error(response)["details"]


@pytest.mark.parametrize("digits", ["１２", "١٢", "۱۲", "１.５"])
def test_quantities_in_other_scripts_digits_are_refused(client, make, people, digits):
    response = client.post("/api/v1/carbon/estimate", json={"type": "stairs",
                                                                "quantity": digits},
                           headers=make.headers(people.staff))
    assert response.status_code == 422
    assert "quantity" in error(response)["details"]
    response = client.post("/api/v1/activities", json={"type": "stairs", "quantity": digits},
                           headers=make.headers(people.staff))
    assert response.status_code == 422
    assert "quantity" in error(response)["details"]


def test_query_numbers_and_path_ids_take_ascii_digits_only(client, make, people):
    response = client.get("/api/v1/me/activities", query_string={"limit": "５"},
                          headers=make.headers(people.staff))
    assert response.status_code == 422
    assert "limit" in error(response)["details"]
    fullwidth_id = "".join(chr(0xFF10 + int(d)) for d in str(people.org.id))
    response = client.get(f"/api/v1/orgs/{fullwidth_id}", headers=make.headers(people.admin))
    assert response.status_code == 404


def test_ascii_digit_strings_still_read_as_numbers(client, make, people):
    response = client.post("/api/v1/carbon/estimate", json={"type": "stairs",
                                                                "quantity": "12"},
                           headers=make.headers(people.staff))
    assert response.status_code == 200


def test_login_still_works_after_all_that(client, people):
    assert login(client, people.staff.username).status_code == 200
