"""A board read answered from Redis still sees every change to people and teams at once.

Each test reads the board first (with Redis, that fills the cached entries of the person
and of the organisation's teams), changes something, and reads again right after the
change's request. Without Redis the same answers come from the database.
"""

from __future__ import annotations

import pytest

from tests.identity.conftest import PASSWORD, login

BOARD = "/api/v1/leaderboards/teams?period=week"


@pytest.fixture
def office(make):
    org = make.org(headcount=10)
    team, other = make.team(org, "一组"), make.team(org, "二组")
    admin = make.user(org, team, "admin", password=PASSWORD)
    staff = make.user(org, team, "staff", password=PASSWORD)
    return org, team, other, admin, staff


def _board(client, headers):
    response = client.get(BOARD, headers=headers)
    return response.status_code, response.get_json()


def _members(body) -> dict[str, int]:
    return {entry["name"]: entry["members"] for entry in body["entries"]}


def _patch_user(client, make, admin, org, person, changes):
    response = client.patch(f"/api/v1/orgs/{org.id}/users/{person.id}", json=changes,
                            headers=make.headers(admin))
    assert response.status_code == 200, response.get_json()


def test_a_deactivated_person_is_refused_the_board_at_once(client, make, office):
    org, _team, _other, admin, staff = office
    headers = make.headers(staff)
    assert _board(client, headers)[0] == 200
    assert _board(client, headers)[0] == 200

    _patch_user(client, make, admin, org, staff, {"is_active": False})

    assert _board(client, headers)[0] == 401


def test_a_role_change_applies_to_the_board_at_once(client, make, office, session):
    org = office[0]
    elsewhere = make.org()
    coordinator = make.user(None, None, "superadmin")
    headers = make.headers(coordinator)
    url = f"{BOARD}&org_id={elsewhere.id}"
    assert client.get(url, headers=headers).status_code == 200
    coordinator.role, coordinator.org_id = "staff", org.id  # no longer the coordinator
    session.commit()
    assert client.get(url, headers=headers).status_code == 404


@pytest.mark.commits  # without Redis, sign-in limits count on another connection
def test_a_password_change_ends_the_old_token_on_the_board_at_once(client, make, office):
    _org, _team, _other, _admin, staff = office
    signed_in = login(client, staff.username).get_json()
    old = {"Authorization": f"Bearer {signed_in['access_token']}"}
    assert _board(client, old)[0] == 200

    changed = client.post("/api/v1/me/password", headers=old, json={
        "current_password": PASSWORD, "new_password": "一个新的很长的口令-2026"})
    assert changed.status_code == 200, changed.get_json()

    assert _board(client, old)[0] == 401
    fresh = {"Authorization": f"Bearer {changed.get_json()['access_token']}"}
    assert _board(client, fresh)[0] == 200


@pytest.mark.commits  # without Redis, sign-in limits count on another connection
def test_a_logged_out_session_is_refused_the_board_at_once(client, make, office):
    _org, _team, _other, _admin, staff = office
    kept, ended = (login(client, staff.username).get_json() for _ in range(2))
    kept_headers = {"Authorization": f"Bearer {kept['access_token']}"}
    ended_headers = {"Authorization": f"Bearer {ended['access_token']}"}
    assert _board(client, kept_headers)[0] == _board(client, ended_headers)[0] == 200

    out = client.post("/api/v1/auth/logout", headers=ended_headers,
                      json={"refresh_token": ended["refresh_token"]})
    assert out.status_code == 204

    assert _board(client, ended_headers)[0] == 401
    assert _board(client, kept_headers)[0] == 200


def test_a_change_made_straight_in_the_database_is_seen_at_once(client, make, office, session):
    """A script or a console page changing rows through the ORM, not the API."""
    _org, team, _other, _admin, staff = office
    headers = make.headers(staff)
    assert _board(client, headers)[0] == 200
    team.name = "改名一组"
    session.commit()
    assert "改名一组" in _members(_board(client, headers)[1])

    staff.is_active = False
    session.commit()

    assert _board(client, headers)[0] == 401


def test_team_names_and_member_counts_follow_joins_moves_and_departures(
        client, make, office):
    org, _team, other, admin, staff = office
    headers = make.headers(admin)
    assert _members(_board(client, headers)[1]) == {"一组": 2, "二组": 0}

    created = client.post(f"/api/v1/orgs/{org.id}/teams", json={"name": "三组"},
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    assert _members(_board(client, headers)[1]) == {"一组": 2, "二组": 0, "三组": 0}

    _patch_user(client, make, admin, org, staff, {"team_id": other.id})
    assert _members(_board(client, headers)[1]) == {"一组": 1, "二组": 1, "三组": 0}

    joined = client.post(f"/api/v1/orgs/{org.id}/users", headers=headers, json={
        "username": "newcomer", "display_name": "新同事", "team_id": created.get_json()["id"],
        "role": "staff"})
    assert joined.status_code == 201, joined.get_json()
    assert _members(_board(client, headers)[1]) == {"一组": 1, "二组": 1, "三组": 1}

    _patch_user(client, make, admin, org, staff, {"is_active": False})
    assert _members(_board(client, headers)[1]) == {"一组": 1, "二组": 0, "三组": 1}
