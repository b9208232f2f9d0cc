"""Login against guessing: a budget per client address across usernames (password spraying),
a per-username limit that an attacker elsewhere cannot use to lock the owner out, one hash
verified for every attempt (timing tells nothing), usernames without case."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from app import auth
from app.models import User
from tests.identity.conftest import PASSWORD, login

# The database counter commits on a connection of its own: the test's rows must be committed.
pytestmark = pytest.mark.commits

ATTACKER = {"REMOTE_ADDR": "10.0.0.66"}
OWNER = {"REMOTE_ADDR": "10.0.0.7"}


@pytest.fixture(params=["redis", "database"])
def frozen_window(request, app, monkeypatch, clock):
    """Stop the clock (rate limits count in windows of it: none is straddled); count in
    Redis, then again in the database (no Redis, or Redis away)."""
    clock.freeze()
    if request.param == "database":
        monkeypatch.setitem(app.extensions, "redis_gateway", None)
    elif app.extensions.get("redis_gateway") is None:
        pytest.skip("Redis not available")


def attempt(client, username, password="wrong-guess-123", address=ATTACKER):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       environ_base=address)


def test_guessing_from_one_address_does_not_lock_the_owner_out(client, people, frozen_window):
    for _ in range(10):
        assert attempt(client, people.staff.username).status_code == 401
    assert attempt(client, people.staff.username, PASSWORD).status_code == 429
    assert attempt(client, people.staff.username, PASSWORD, OWNER).status_code == 200


def test_spraying_many_usernames_from_one_address_answers_429(client, people, frozen_window):
    for n in range(30):
        assert attempt(client, f"guess{n}").status_code == 401
    response = attempt(client, people.staff.username, PASSWORD)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert attempt(client, "guess-elsewhere", address=OWNER).status_code == 401


def test_successful_logins_do_not_use_the_address_budget(client, people, frozen_window):
    for _ in range(5):
        assert attempt(client, people.staff.username, PASSWORD).status_code == 200
    for n in range(30):
        assert attempt(client, f"guess{n}").status_code == 401
    assert attempt(client, "one-too-many").status_code == 429


@pytest.fixture
def hash_checks(monkeypatch):
    calls = []
    real = auth.check_password_hash

    def recording(stored, password):
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(auth, "check_password_hash", recording)
    return calls


def test_an_unknown_username_verifies_a_hash_like_a_known_one(client, people, hash_checks):
    assert login(client, "nobody-at-all", "some-password-1").status_code == 401
    assert login(client, people.staff.username, "some-password-1").status_code == 401
    assert len(hash_checks) == 2
    method = people.staff.password_hash.split("$")[0]
    assert all(stored.startswith(method + "$") for stored in hash_checks)


def test_accounts_without_a_password_or_inactive_verify_a_hash_too(client, make, people,
                                                                     hash_checks):
    wechat_only = make.user(people.org, people.team)
    gone = make.user(people.org, people.team, password=PASSWORD, is_active=False)
    assert login(client, wechat_only.username, "some-password-1").status_code == 401
    assert login(client, gone.username, PASSWORD).status_code == 401
    assert len(hash_checks) == 2


def test_login_ignores_the_case_of_the_username(client, people):
    response = login(client, people.staff.username.upper())
    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == people.staff.id


def test_a_username_differing_only_in_case_is_taken(client, make, people):
    make.user(people.org, people.team, username="bj_admin")
    response = client.post(f"/api/v1/orgs/{people.org.id}/users", json={
        "username": "BJ_ADMIN", "display_name": "冒名者", "role": "staff"},
        headers=make.headers(people.admin))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "username_taken"


def test_the_database_refuses_usernames_differing_only_in_case(session):
    session.add(User(username="Zhang.San", display_name="张三", role="staff"))
    session.commit()
    session.add(User(username="zhang.san", display_name="张三", role="staff"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
