"""Weak passwords are refused: a deny-list of common ones, 8 characters at least, 12 for the
accounts that run an organisation (organizer, admin, superadmin)."""

from __future__ import annotations

import pytest

from tests.identity.conftest import login


def create(client, make, people, password, role="staff", **headers):
    return client.post(f"/api/v1/orgs/{people.org.id}/users", json={
        "username": "li.si", "display_name": "李四", "role": role, "password": password},
        headers=make.headers(people.admin, **headers))


def error(response) -> dict:
    return response.get_json()["error"]


@pytest.mark.parametrize("password", ["12345678", "password123", "iloveyou", "Qwertyuiop",
                                      "aaaaaaaaaaaa", "li.si-2026x"])
def test_common_or_guessable_passwords_are_refused(client, make, people, password):
    response = create(client, make, people, password)
    assert response.status_code == 422
    assert error(response)["code"] == "password_too_common"
    assert error(response)["details"]["password"]


def test_a_short_password_is_refused_with_its_minimum(client, make, people):
    response = create(client, make, people, "x7!kq", **{"Accept-Language": "en"})
    assert response.status_code == 422
    assert error(response)["code"] == "password_too_short"
    assert "8" in error(response)["message"]
    assert error(response)["details"] == {"password": [error(response)["message"]]}


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_running_an_organisation_needs_twelve_characters(client, make, people, role):
    response = create(client, make, people, "tree-frog-91", role=role)
    assert response.status_code == 201
    response = client.post(f"/api/v1/orgs/{people.org.id}/users", json={
        "username": "wang.wu", "display_name": "王五", "role": role, "password": "frog-91-tre"},
        headers=make.headers(people.admin))
    assert response.status_code == 422
    assert error(response)["code"] == "password_too_short"
    assert "12" in error(response)["message"]


def test_staff_may_have_eight_characters(client, make, people):
    assert create(client, make, people, "frog-91x").status_code == 201
    assert login(client, "li.si", "frog-91x").status_code == 200


def test_an_admin_reset_is_held_to_the_persons_role(client, make, people):
    response = client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.organizer.id}",
                            json={"password": "frog-91x"}, headers=make.headers(people.admin))
    assert response.status_code == 422
    assert error(response)["code"] == "password_too_short"


def test_ones_own_new_password_is_checked_too(client, make, people):
    from tests.identity.conftest import PASSWORD

    response = client.post("/api/v1/me/password",
                           json={"current_password": PASSWORD, "new_password": "12345678"},
                           headers=make.headers(people.staff))
    assert response.status_code == 422
    assert error(response)["code"] == "password_too_common"


def test_create_superadmin_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(args=["create-superadmin", "coord",
                                                "--password", "demo12345"])
    assert result.exit_code != 0
    assert "12" in result.output
