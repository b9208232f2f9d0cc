"""One error shape for every error: routing, size, JSON, validation, domain and the last resort."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from app.errors import ApiError
from app.models import Organisation

EN = {"Accept-Language": "en"}


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


def test_unknown_route_answers_404_in_the_error_shape(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "找不到请求的资源",
                                  "details": {}}


def test_unknown_route_outside_the_api_answers_the_same_shape(client):
    response = client.get("/nowhere", headers=EN)
    assert response.status_code == 404
    assert error_of(response)["message"] == "Not found"


def test_wrong_method_answers_405_with_allow_header(client):
    response = client.delete("/api/v1/auth/login")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "POST" in {m.strip() for m in response.headers["Allow"].split(",")}


def test_body_over_64_kib_answers_413(client):
    body = '{"username": "' + "x" * (64 * 1024) + '", "password": "p"}'
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_body_just_under_64_kib_is_read(client):
    body = '{"username": "' + "x" * (60 * 1024) + '", "password": "p"}'
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert response.status_code == 422
    assert "username" in error_of(response)["details"]


def test_malformed_json_answers_400_invalid_json(client):
    response = client.post("/api/v1/auth/login", data='{"username": ',
                           content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_json"
    assert error["message"] == "请求体不是有效的 JSON"
    assert error["details"] == {"_body": ["请求体不是有效的 JSON"]}


def test_malformed_json_in_english(client):
    response = client.post("/api/v1/auth/login", data="{oops", content_type="application/json",
                           headers=EN)
    assert response.status_code == 400
    assert error_of(response)["message"] == "The request body is not valid JSON"


def test_validation_error_maps_fields_to_chinese_messages(client):
    response = client.post("/api/v1/auth/login", json={"username": "", "extra": 1})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["message"] == "提交的数据不符合要求"
    assert error["details"] == {"username": ["长度必须在 1 到 64 之间"],
                                "password": ["必填字段"], "extra": ["不允许的字段"]}


def test_validation_error_in_english_translates_message_and_details(client):
    response = client.post("/api/v1/auth/login", json={"username": "", "extra": 1},
                           headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["message"] == "Some values are invalid"
    assert error["details"] == {"username": ["Length must be between 1 and 64."],
                                "password": ["Missing data for required field."],
                                "extra": ["Unknown field."]}


def test_common_validator_messages_read_in_chinese(client, people, make):
    response = client.post("/api/v1/orgs", headers=make.headers(people.superadmin),
                           json={"name": "某单位", "region": "mars", "sector": "school",
                                 "headcount": 0, "floor_area_m2": "big"})
    assert response.status_code == 422
    assert error_of(response)["details"] == {
        "region": ["必须是以下之一：beijing, tianjin, hebei, other"],
        "headcount": ["必须大于或等于 1 且小于或等于 1000000"],
        "floor_area_m2": ["不是有效的整数"],
    }


def test_non_object_json_body_is_a_validation_error(client):
    response = client.post("/api/v1/auth/login", json=["a", "b"])
    assert response.status_code == 422
    assert error_of(response)["details"] == {"_schema": ["输入类型错误"]}


def test_domain_error_carries_its_code_and_translated_message(client, make):
    headers = make.headers(make.user(None, None, "staff"))
    response = client.post("/api/v1/auth/enrol", headers=headers,
                           json={"invite_code": "NOPE2345", "display_name": "小王"})
    assert response.status_code == 422
    assert error_of(response) == {"code": "invite_invalid",
                                  "message": "邀请码无效、已过期或已用完",
                                  "details": {"invite_code": ["邀请码无效、已过期或已用完"]}}
    response = client.post("/api/v1/auth/enrol", headers={**headers, **EN},
                           json={"invite_code": "NOPE2345", "display_name": "小王"})
    assert error_of(response)["message"] == "The invite code is unknown, expired or used up"


def _app_with_failing_route(make_app):
    from app.extensions import db

    throwaway = make_app()

    @throwaway.post("/api/v1/explode")
    def explode():
        db.session.add(Organisation(name="半途而废", region="beijing", sector="other",
                                    headcount=1))
        db.session.flush()
        raise RuntimeError("something unexpected")

    return throwaway


def test_unexpected_exception_answers_500_rolls_back_and_logs(make_app, session, caplog):
    throwaway = _app_with_failing_route(make_app)
    with caplog.at_level(logging.ERROR):
        response = throwaway.test_client().post("/api/v1/explode", headers=EN)
    assert response.status_code == 500
    assert error_of(response) == {"code": "internal_error", "message": "Internal server error",
                                  "details": {}}
    assert "something unexpected" not in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0
    assert any(r.exc_info and "something unexpected" in str(r.exc_info[1])
               for r in caplog.records)


def test_failed_request_leaves_the_next_request_working(make_app, people, make):
    throwaway = _app_with_failing_route(make_app)
    client = throwaway.test_client()
    assert client.post("/api/v1/explode").status_code == 500
    response = client.get(f"/api/v1/orgs/{people.org.id}", headers=make.headers(people.admin))
    assert response.status_code == 200
    assert response.get_json()["id"] == people.org.id


def test_a_domain_error_after_a_write_commits_nothing(client, people, make, session,
                                                      monkeypatch):
    from app import service

    real_create_team = service.create_team

    def create_team_then_fail(*args, **kwargs):
        real_create_team(*args, **kwargs)
        raise ApiError("conflict", status=409)

    monkeypatch.setattr(service, "create_team", create_team_then_fail)
    response = client.post(f"/api/v1/orgs/{people.org.id}/teams", json={"name": "幽灵团队"},
                           headers=make.headers(people.admin))
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    teams = client.get(f"/api/v1/orgs/{people.org.id}/teams",
                       headers=make.headers(people.admin)).get_json()["items"]
    assert "幽灵团队" not in [t["name"] for t in teams]


# --- hostile input answers 4xx, never 500 --------------------------------------------------

def test_deeply_nested_json_answers_400_invalid_json(client):
    body = "[" * 20000 + "]" * 20000
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_id_past_the_integer_range_in_a_path_answers_404(client, make):
    headers = make.headers(make.user(None, None, "superadmin"))
    for org_id in (2**31, 10**30):
        response = client.get(f"/api/v1/orgs/{org_id}", headers=headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_number_past_the_integer_range_in_a_body_answers_422(client, people, make):
    for team_id in (2**40, 10**30):
        response = client.patch("/api/v1/me", json={"team_id": team_id},
                                headers=make.headers(people.staff))
        assert response.status_code == 422
        assert error_of(response)["code"] in ("validation_error", "team_not_in_org")


def test_number_past_the_integer_range_in_a_query_answers_422(client, people, make):
    response = client.get(f"/api/v1/orgs/{people.org.id}/users?team_id={10**30}",
                          headers=make.headers(people.admin))
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_nul_character_in_a_string_answers_422_on_every_engine(client, people, make):
    response = client.patch("/api/v1/me", json={"display_name": "a\u0000b"},
                            headers=make.headers(people.staff))
    assert response.status_code == 422
    assert list(error_of(response)["details"]) == ["display_name"]
    response = client.post("/api/v1/auth/login", json={"username": "x\u0000", "password": "p"})
    assert response.status_code == 422
