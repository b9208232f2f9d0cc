"""Password login, refresh rotation and reuse, logout, the login rate limit, key rotation."""

from __future__ import annotations

import threading

import pytest

from tests.identity.conftest import PASSWORD, bearer, login

USER_FIELDS = {"id", "username", "display_name", "org_id", "team_id", "role", "employee_no",
               "show_on_leaderboard", "enrolled"}


def refresh(client, token: str):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def code_of(response) -> str:
    return response.get_json()["error"]["code"]


# --- password login ----------------------------------------------------------------------

def test_password_login_answers_a_token_pair_and_the_user(client, app, people):
    response = login(client, people.staff.username)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == app.config["ACCESS_TOKEN_TTL"]
    assert body["enrolled"] is True
    assert set(body["user"]) == USER_FIELDS
    assert body["user"]["id"] == people.staff.id
    assert body["user"]["role"] == "staff"
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["username"] == people.staff.username


def test_login_never_returns_the_password_hash(client, people):
    text = login(client, people.staff.username).get_data(as_text=True)
    assert "password" not in text
    assert "pbkdf2" not in text


def test_wrong_password_answers_401_invalid_credentials(client, people):
    response = login(client, people.staff.username, "not-the-password")
    assert response.status_code == 401
    assert code_of(response) == "invalid_credentials"


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, people):
    unknown = login(client, "nobody-here", "whatever-it-is")
    wrong = login(client, people.staff.username, "whatever-it-is")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()


def test_inactive_user_cannot_log_in(client, make, people):
    gone = make.user(people.org, people.team, password=PASSWORD, is_active=False)
    response = login(client, gone.username)
    assert response.status_code == 401
    assert code_of(response) == "invalid_credentials"


def test_user_without_password_cannot_log_in_with_an_empty_one(client, make, people):
    wechat_only = make.user(people.org, people.team)
    response = login(client, wechat_only.username, "x")
    assert response.status_code == 401
    assert code_of(response) == "invalid_credentials"


@pytest.fixture
def frozen_window(clock):
    """Stop the clock (rate limits count in windows of it): a test never straddles two."""
    clock.freeze()


def test_eleventh_login_attempt_in_a_minute_answers_429_with_retry_after(client, people,
                                                                         frozen_window):
    for _ in range(10):
        assert login(client, people.staff.username, "wrong-guess").status_code == 401
    response = login(client, people.staff.username)  # even the right password now waits
    assert response.status_code == 429
    assert code_of(response) == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def test_login_rate_limit_is_per_username(client, people, frozen_window):
    for _ in range(11):
        login(client, people.staff.username, "wrong-guess")
    assert login(client, people.admin.username).status_code == 200


# --- refresh tokens ------------------------------------------------------------------------

def test_refresh_rotates_to_a_new_working_pair(client, people):
    first = login(client, people.staff.username).get_json()
    response = refresh(client, first["refresh_token"])
    assert response.status_code == 200
    second = response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"]["id"] == people.staff.id
    assert client.get("/api/v1/me", headers=bearer(second["access_token"])).status_code == 200
    assert refresh(client, second["refresh_token"]).status_code == 200


def test_reused_refresh_token_answers_401_and_revokes_the_family(client, people):
    old = login(client, people.staff.username).get_json()["refresh_token"]
    newest = refresh(client, old).get_json()["refresh_token"]
    reuse = refresh(client, old)
    assert reuse.status_code == 401
    assert code_of(reuse) == "refresh_token_invalid"
    after = refresh(client, newest)
    assert after.status_code == 401
    assert code_of(after) == "refresh_token_invalid"


def test_revoking_a_family_leaves_other_sessions_alone(client, people):
    phone = login(client, people.staff.username).get_json()["refresh_token"]
    laptop = login(client, people.staff.username).get_json()["refresh_token"]
    refresh(client, phone)
    refresh(client, phone)  # reuse: the phone's family is revoked
    assert refresh(client, laptop).status_code == 200


def test_unknown_refresh_token_answers_401(client, people):
    response = refresh(client, "made-up-refresh-token")
    assert response.status_code == 401
    assert code_of(response) == "refresh_token_invalid"


def test_expired_refresh_token_answers_401(client, app, people, monkeypatch):
    monkeypatch.setitem(app.config, "REFRESH_TOKEN_TTL", -1)
    token = login(client, people.staff.username).get_json()["refresh_token"]
    assert refresh(client, token).status_code == 401


def test_refresh_of_a_deactivated_user_answers_401(client, people, session):
    token = login(client, people.staff.username).get_json()["refresh_token"]
    people.staff.is_active = False
    session.commit()
    response = refresh(client, token)
    assert response.status_code == 401
    assert code_of(response) == "refresh_token_invalid"


@pytest.mark.concurrency
def test_concurrent_use_of_one_refresh_token_succeeds_at_most_once(app, people):
    token = login(app.test_client(), people.staff.username).get_json()["refresh_token"]
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def use():
        client = app.test_client()
        barrier.wait()
        statuses.append(refresh(client, token).status_code)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 4
    assert statuses.count(200) <= 1
    assert set(statuses) <= {200, 401}
    assert refresh(app.test_client(), token).status_code == 401


# --- logout -------------------------------------------------------------------------------

def test_logout_revokes_the_refresh_token(client, people):
    pair = login(client, people.staff.username).get_json()
    response = client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]},
                           headers=bearer(pair["access_token"]))
    assert response.status_code == 204
    assert refresh(client, pair["refresh_token"]).status_code == 401


def test_logout_without_a_token_revokes_every_session(client, people):
    phone = login(client, people.staff.username).get_json()
    laptop = login(client, people.staff.username).get_json()
    response = client.post("/api/v1/auth/logout", json={}, headers=bearer(phone["access_token"]))
    assert response.status_code == 204
    assert refresh(client, phone["refresh_token"]).status_code == 401
    assert refresh(client, laptop["refresh_token"]).status_code == 401


def test_logout_cannot_revoke_another_users_session(client, people):
    mine = login(client, people.staff.username).get_json()
    theirs = login(client, people.admin.username).get_json()
    client.post("/api/v1/auth/logout", json={"refresh_token": theirs["refresh_token"]},
                headers=bearer(mine["access_token"]))
    assert refresh(client, theirs["refresh_token"]).status_code == 200


def test_logout_needs_an_access_token(client, people):
    pair = login(client, people.staff.username).get_json()
    response = client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 401
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_logout_without_any_body_revokes_every_session(client, people):
    pair = login(client, people.staff.username).get_json()
    response = client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    assert response.status_code == 204
    assert refresh(client, pair["refresh_token"]).status_code == 401
