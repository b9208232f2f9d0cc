"""WeChat login through jscode2session, against a local stand-in for WeChat."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from app.config import load_config
from app.models import User
from tests.identity.conftest import SESSION_KEY, bearer, free_port


def wechat_login(client, code: str, **headers):
    return client.post("/api/v1/auth/wechat", json={"code": code}, headers=headers)


def test_first_wechat_login_creates_an_unenrolled_user(client, wechat):
    response = wechat_login(client, "ok-openid-aaa")
    assert response.status_code == 200
    body = response.get_json()
    assert body["enrolled"] is False
    assert body["user"]["enrolled"] is False
    assert body["user"]["org_id"] is None
    assert body["access_token"]
    assert body["refresh_token"]
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["id"] == body["user"]["id"]


def test_one_openid_is_one_user(client, wechat):
    first = wechat_login(client, "ok-openid-bbb").get_json()["user"]["id"]
    second = wechat_login(client, "ok-openid-bbb").get_json()["user"]["id"]
    other = wechat_login(client, "ok-openid-ccc").get_json()["user"]["id"]
    assert first == second
    assert other != first


def test_server_sends_appid_secret_and_code_to_jscode2session(client, app, wechat):
    wechat_login(client, "ok-openid-ddd")
    (call,) = wechat.calls
    assert call["path"] == "/sns/jscode2session"
    assert call["appid"] == app.config["WECHAT_APPID"]
    assert call["secret"] == app.config["WECHAT_SECRET"]
    assert call["js_code"] == "ok-openid-ddd"
    assert call["grant_type"] == "authorization_code"


def test_session_key_is_never_returned_nor_logged(client, wechat, caplog):
    with caplog.at_level(logging.DEBUG):
        response = wechat_login(client, "ok-openid-eee")
        wechat_login(client, "err-40029")
        wechat_login(client, "err--1")
    assert response.status_code == 200
    assert SESSION_KEY not in response.get_data(as_text=True)
    assert "session_key" not in response.get_data(as_text=True)
    assert SESSION_KEY not in caplog.text
    assert all(SESSION_KEY not in str(r.args) for r in caplog.records)


def test_invalid_code_answers_401_wechat_code_invalid(client, wechat):
    response = wechat_login(client, "err-40029")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "wechat_code_invalid"


def test_used_code_answers_401_wechat_code_invalid(client, wechat):
    response = wechat_login(client, "err-40163", **{"Accept-Language": "en"})
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == "wechat_code_invalid"
    assert error["message"] == "The WeChat login code is invalid or used"


def test_wechat_rate_limit_answers_429_with_retry_after(client, wechat):
    response = wechat_login(client, "err-45011")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "wechat_rate_limited"
    assert int(response.headers["Retry-After"]) >= 1


def test_other_wechat_errors_answer_503_wechat_unavailable(client, wechat):
    response = wechat_login(client, "err--1")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_unavailable"


@pytest.mark.parametrize("broken", ["html", "list", "text-errcode", "empty"])
def test_a_broken_wechat_answer_is_503_wechat_unavailable(client, wechat, broken):
    response = wechat_login(client, f"raw-{broken}")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_unavailable"


def test_unreachable_wechat_answers_503_wechat_unavailable(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", f"http://127.0.0.1:{free_port()}")
    response = wechat_login(client, "ok-openid-fff")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_unavailable"


def test_wechat_slower_than_the_timeout_answers_503(client, app, wechat, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TIMEOUT_SECONDS", 0.3)
    response = wechat_login(client, "slow-openid-ggg")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_unavailable"


def test_wechat_timeout_defaults_to_three_seconds(app):
    assert load_config("/tmp", {"APP_ENV": "development"})["WECHAT_TIMEOUT_SECONDS"] == 3
    assert app.config["WECHAT_TIMEOUT_SECONDS"] == 3


def test_failed_wechat_login_creates_no_user(client, wechat, session):
    for code in ("err-40029", "err-45011", "err--1"):
        wechat_login(client, code)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_unconfigured_wechat_answers_503(client, app, wechat, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_SECRET", "")
    response = wechat_login(client, "ok-openid-iii")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_not_configured"
    assert wechat.calls == []
