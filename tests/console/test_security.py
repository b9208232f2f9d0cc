"""Console sign-in, sessions, CSRF, CSP and the scope rules (through the Flask test client)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.models import ConsoleSession
from points.models import Reward
from tests.console.conftest import PASSWORD, csrf_of

TEMPLATES = Path(__file__).resolve().parents[2] / "console" / "templates"


def test_sign_in_form_has_the_contract_labels(client):
    page = client.get("/console/login")
    assert page.status_code == 200
    assert re.search(r'<label for="username">用户名</label>', page.text)
    assert re.search(r'<label for="password">密码</label>', page.text)
    assert re.search(r'<button type="submit">登录</button>', page.text)


def test_signing_in_sets_a_signed_httponly_lax_cookie_and_a_session_row(client, people,
                                                                       session):
    page = client.get("/console/login")
    response = client.post("/console/login", data={
        "username": "t_admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert session.scalar(select(func.count()).select_from(ConsoleSession)
                          .where(ConsoleSession.user_id == people.admin.id)) == 1
    assert client.get(f"/console/orgs/{people.org.id}").status_code == 200


def test_a_wrong_password_shows_the_form_again_with_401(client, people):
    page = client.get("/console/login")
    response = client.post("/console/login", data={
        "username": "t_admin", "password": "wrong", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_sign_in_is_throttled_like_auth_login(client, people, clock):
    clock.freeze()  # limits count in windows of the clock: stopped, none is straddled
    token = csrf_of(client.get("/console/login").text)
    statuses = [client.post("/console/login", data={
        "username": "t_admin", "password": "wrong", "csrf_token": token}).status_code
        for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_signing_out_revokes_the_session_on_the_server(sign_in, people, app):
    admin = sign_in(people.admin)
    cookie = admin.client.get_cookie("lc_console")
    assert admin.post("/console/logout").status_code == 303
    thief = app.test_client()
    thief.set_cookie("lc_console", cookie.value)
    response = thief.get(f"/console/orgs/{people.org.id}")
    assert response.status_code == 302
    assert "/console/login" in response.headers["Location"]


def test_deactivating_a_person_ends_their_console_sessions(sign_in, people, client, make,
                                                          session):
    staff = sign_in(people.staff)
    assert staff.get("/console/me").status_code == 200
    patched = client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.staff.id}",
                           json={"is_active": False}, headers=make.headers(people.admin))
    assert patched.status_code == 200
    assert staff.get("/console/me").status_code == 302
    assert session.scalar(select(func.count()).select_from(ConsoleSession).where(
        ConsoleSession.user_id == people.staff.id,
        ConsoleSession.revoked_at.is_(None))) == 0


def test_a_password_reset_ends_their_console_sessions(sign_in, people, client, make):
    staff = sign_in(people.staff)
    assert staff.get("/console/me").status_code == 200
    patched = client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.staff.id}",
                           json={"password": "a-new-long-secret-42"},
                           headers=make.headers(people.admin))
    assert patched.status_code == 200
    assert staff.get("/console/me").status_code == 302


def test_the_api_ignores_the_console_cookie(sign_in, people):
    admin = sign_in(people.admin)
    assert admin.get("/api/v1/me").status_code == 401


def test_the_console_ignores_a_bearer_token(client, people, make):
    response = client.get("/console/me", headers=make.headers(people.staff))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(sign_in, people,
                                                                     session):
    admin = sign_in(people.admin)
    response = admin.client.post(f"/console/orgs/{people.org.id}/rewards", data={
        "name": "无令牌", "cost_points": "10", "stock": "1"})
    assert response.status_code == 400
    forged = admin.client.post(f"/console/orgs/{people.org.id}/rewards", data={
        "name": "伪造", "cost_points": "10", "stock": "1", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert session.scalar(select(func.count()).select_from(Reward)) == 0


def test_the_json_api_needs_no_csrf_token(client, people, make):
    response = client.post("/api/v1/rewards", json={"name": "API", "cost_points": 5},
                           headers=make.headers(people.admin))
    assert response.status_code == 201


def test_no_session_goes_to_the_sign_in_page_with_next(client, people):
    response = client.get(f"/console/orgs/{people.org.id}/counter")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/console/login?next=/console/orgs/{people.org.id}/counter")


def test_sign_in_never_redirects_off_site(client, people):
    page = client.get("/console/login?next=//evil.example/x")
    response = client.post("/console/login", data={
        "username": "t_admin", "password": PASSWORD, "next": "//evil.example/x",
        "csrf_token": csrf_of(page.text)})
    assert response.headers["Location"] == "/console/"


@pytest.mark.parametrize("suffix", ["", "/counter", "/rewards", "/people", "/reports",
                                    "/audit", "/adjustments", "/campaigns"])
def test_another_organisations_pages_are_404(sign_in, people, suffix):
    admin = sign_in(people.admin)
    assert admin.get(f"/console/orgs/{people.other_org.id}{suffix}").status_code == 404


@pytest.mark.parametrize(("who", "url", "status"), [
    ("staff", "/console/orgs/{org}", 403),
    ("staff", "/console/orgs/{org}/counter", 403),
    ("staff", "/console/orgs/{org}/campaigns", 403),
    ("organizer", "/console/orgs/{org}/counter", 403),
    ("organizer", "/console/orgs/{org}/rewards", 403),
    ("organizer", "/console/orgs/{org}/campaigns", 200),
    ("admin", "/console/region", 403),
    ("staff", "/console/region", 403),
    ("coordinator", "/console/region", 200),
    ("coordinator", "/console/orgs/{org}", 200),
    ("staff", "/console/me", 200),
])
def test_pages_above_the_role_are_403(sign_in, people, who, url, status):
    signed_in = sign_in(getattr(people, who))
    assert signed_in.get(url.format(org=people.org.id)).status_code == status


def test_pages_send_the_csp_and_carry_no_inline_script_or_style(sign_in, people):
    admin = sign_in(people.admin)
    for url in (f"/console/orgs/{people.org.id}", f"/console/orgs/{people.org.id}/counter",
                "/console/me", "/console/login", "/disclosure"):
        response = admin.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), url
        assert " style=" not in response.text, url


def test_every_label_a_template_uses_is_in_the_translation_table():
    from console.i18n import LABELS

    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_.0-9]+)'\s*[,)]", template.read_text()))
    assert used - set(LABELS) == set()


def test_english_switch_keeps_its_choice_in_a_cookie(client):
    english = client.get("/console/login?lang=en")
    assert "Sign in" in english.text
    assert "lc_lang=en" in english.headers["Set-Cookie"]
    assert "Username" in client.get("/console/login").text
