"""Ending a session ends its access tokens at once: logout, logout everywhere, a reused refresh
token, and a password change (by the person or by an admin) sign the holder out."""

from __future__ import annotations

from tests.identity.conftest import PASSWORD, bearer, login

NEW_PASSWORD = "a-new-long-secret-42"


def refresh(client, token: str):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def me(client, pair: dict) -> int:
    return client.get("/api/v1/me", headers=bearer(pair["access_token"])).status_code


def test_logout_ends_the_access_token_of_that_session_only(client, people):
    phone = login(client, people.staff.username).get_json()
    laptop = login(client, people.staff.username).get_json()
    client.post("/api/v1/auth/logout", json={"refresh_token": phone["refresh_token"]},
                headers=bearer(phone["access_token"]))
    assert me(client, phone) == 401
    assert me(client, laptop) == 200


def test_logout_everywhere_ends_every_access_token(client, people):
    phone = login(client, people.staff.username).get_json()
    laptop = login(client, people.staff.username).get_json()
    client.post("/api/v1/auth/logout", headers=bearer(phone["access_token"]))
    assert me(client, phone) == 401
    assert me(client, laptop) == 401


def test_a_reused_refresh_token_ends_the_access_tokens_of_its_family(client, people):
    stolen = login(client, people.staff.username).get_json()
    rotated = refresh(client, stolen["refresh_token"]).get_json()
    assert refresh(client, stolen["refresh_token"]).status_code == 401  # reuse noticed
    assert me(client, rotated) == 401
    assert me(client, stolen) == 401


def test_an_admin_password_reset_signs_the_thief_out(client, make, people):
    thief = login(client, people.staff.username).get_json()
    response = client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.staff.id}",
                            json={"password": NEW_PASSWORD}, headers=make.headers(people.admin))
    assert response.status_code == 200
    assert refresh(client, thief["refresh_token"]).status_code == 401
    assert me(client, thief) == 401
    assert login(client, people.staff.username, PASSWORD).status_code == 401
    fresh = login(client, people.staff.username, NEW_PASSWORD).get_json()
    assert me(client, fresh) == 200


def test_an_admin_edit_without_a_password_keeps_sessions(client, make, people):
    pair = login(client, people.staff.username).get_json()
    client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.staff.id}",
                 json={"display_name": "张三"}, headers=make.headers(people.admin))
    assert me(client, pair) == 200
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_changing_ones_own_password_ends_every_other_session(client, people):
    thief = login(client, people.staff.username).get_json()
    mine = login(client, people.staff.username).get_json()
    response = client.post("/api/v1/me/password",
                           json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                           headers=bearer(mine["access_token"]))
    assert response.status_code == 200
    fresh = response.get_json()
    assert me(client, fresh) == 200
    assert me(client, thief) == 401
    assert me(client, mine) == 401
    assert refresh(client, thief["refresh_token"]).status_code == 401
    assert refresh(client, fresh["refresh_token"]).status_code == 200
    assert login(client, people.staff.username, NEW_PASSWORD).status_code == 200


def test_a_wrong_current_password_changes_nothing(client, people):
    pair = login(client, people.staff.username).get_json()
    response = client.post("/api/v1/me/password",
                           json={"current_password": "not-it-at-all", "new_password": NEW_PASSWORD},
                           headers=bearer(pair["access_token"]))
    assert response.status_code == 422
    body = response.get_json()["error"]
    assert body["code"] == "current_password_wrong"
    assert "current_password" in body["details"]
    assert me(client, pair) == 200
    assert login(client, people.staff.username, PASSWORD).status_code == 200


def test_the_session_check_costs_no_extra_statement(client, app, people):
    from sqlalchemy import event

    from app.extensions import db

    pair = login(client, people.staff.username).get_json()
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert me(client, pair) == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements
