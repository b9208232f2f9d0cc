"""No token, password, pickup code, session key or personal name ever reaches a log line.

A run of the flows that carry secrets (login, refresh, WeChat login, redeem, fulfil, a
wrong pickup code, a search by pickup code, logout, a reused refresh token) with every
record captured as the service writes it, then the captured text is searched for each.
"""

from __future__ import annotations

import pytest

from tests.identity.conftest import SESSION_KEY, bearer
from tests.ops.conftest import captured_log  # noqa: F401 - fixture
from tests.points.helpers import add_reward, give_points, new_key

PASSWORD = "Gr33n-Passw0rd-Secret!"
DISPLAY_NAME = "王秘密"


@pytest.fixture
def secrets_run(client, make, session, wechat, captured_log):  # noqa: F811 - fixture
    org = make.org(name="天津市日志测试局", region="tianjin")
    team = make.team(org)
    staff = make.user(org, team, username="logstaff", password=PASSWORD,
                      display_name=DISPLAY_NAME)
    make.user(org, team, role="admin", username="logadmin", password=PASSWORD,
              display_name="李管理员")
    give_points(session, staff, 100)
    reward = add_reward(session, org, cost=30)
    seen: list[str] = [PASSWORD, DISPLAY_NAME, "李管理员", SESSION_KEY]

    login = client.post("/api/v1/auth/login", json={"username": "logstaff", "password": PASSWORD})
    assert login.status_code == 200
    tokens = login.get_json()
    seen += [tokens["access_token"], tokens["refresh_token"]]
    wrong = client.post("/api/v1/auth/login",
                        json={"username": "logstaff", "password": PASSWORD + "x"})
    assert wrong.status_code == 401
    seen.append(PASSWORD + "x")
    refreshed = client.post("/api/v1/auth/refresh",
                            json={"refresh_token": tokens["refresh_token"]}).get_json()
    seen += [refreshed["access_token"], refreshed["refresh_token"]]
    wechat_login = client.post("/api/v1/auth/wechat", json={"code": "ok-openid-logs"})
    assert wechat_login.status_code == 200
    seen += [wechat_login.get_json()["access_token"], wechat_login.get_json()["refresh_token"]]

    redeemed = client.post(f"/api/v1/rewards/{reward.id}/redeem",
                           headers={**bearer(refreshed["access_token"]),
                                    "Idempotency-Key": new_key()})
    assert redeemed.status_code == 201
    redemption = redeemed.get_json()["redemption"]
    seen.append(redemption["pickup_code"])
    # After the redemption: a reuse revokes the family, and with it that access token.
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401
    admin_token = client.post("/api/v1/auth/login", json={"username": "logadmin",
                                                          "password": PASSWORD}).get_json()
    seen += [admin_token["access_token"], admin_token["refresh_token"]]
    admin_headers = bearer(admin_token["access_token"])
    mismatch = client.post(f"/api/v1/redemptions/{redemption['id']}/fulfil",
                           json={"pickup_code": "ZZZZZZ"}, headers=admin_headers)
    assert mismatch.status_code == 422
    found = client.get(f"/api/v1/orgs/{org.id}/redemptions",
                       query_string={"pickup_code": redemption["pickup_code"]},
                       headers=admin_headers)
    assert found.status_code == 200
    fulfilled = client.post(f"/api/v1/redemptions/{redemption['id']}/fulfil",
                            json={"pickup_code": redemption["pickup_code"]},
                            headers=admin_headers)
    assert fulfilled.status_code == 200
    # The WeChat session: the password one ended with the refresh token's reuse above.
    wechat_pair = wechat_login.get_json()
    logout = client.post("/api/v1/auth/logout",
                         json={"refresh_token": wechat_pair["refresh_token"]},
                         headers=bearer(wechat_pair["access_token"]))
    assert logout.status_code in (200, 204)
    return captured_log, seen


def test_no_secret_or_name_appears_in_any_log_line(secrets_run):
    captured, secrets = secrets_run
    text = captured.text
    assert len(captured.requests()) >= 11
    leaked = [s for s in secrets if s in text]
    assert leaked == []


def test_the_run_is_logged_one_json_line_per_request_with_ids(secrets_run):
    captured, _ = secrets_run
    requests = captured.requests()
    routes = [line["route"] for line in requests]
    assert "/api/v1/auth/login" in routes
    assert "/api/v1/redemptions/<int:redemption_id>/fulfil" in routes
    assert all(line["request_id"] for line in requests)
    fulfil = [line for line in requests if line["route"].endswith("/fulfil")]
    assert [line["status"] for line in fulfil] == [422, 200]
    assert all(line["user_id"] and line["org_id"] for line in fulfil)
