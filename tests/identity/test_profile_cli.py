"""PATCH /me and `flask create-superadmin`."""

from __future__ import annotations

from tests.identity.conftest import login


def patch_me(client, make, user, body):
    return client.patch("/api/v1/me", json=body, headers=make.headers(user))


def test_me_answers_the_user_object(client, make, people):
    response = client.get("/api/v1/me", headers=make.headers(people.staff))
    assert response.status_code == 200
    assert response.get_json() == {
        "id": people.staff.id, "username": people.staff.username,
        "display_name": people.staff.display_name, "org_id": people.org.id,
        "team_id": people.team.id, "role": "staff", "employee_no": None,
        "show_on_leaderboard": True, "enrolled": True}


def test_patch_me_changes_display_name_and_leaderboard_visibility(client, make, people):
    response = patch_me(client, make, people.staff, {"display_name": "低碳达人",
                                                     "show_on_leaderboard": False})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["display_name"], body["show_on_leaderboard"]) == ("低碳达人", False)
    me = client.get("/api/v1/me", headers=make.headers(people.staff)).get_json()
    assert (me["display_name"], me["show_on_leaderboard"]) == ("低碳达人", False)


def test_patch_me_moves_to_another_team_of_ones_own_organisation(client, make, people):
    other_team = make.team(people.org)
    response = patch_me(client, make, people.staff, {"team_id": other_team.id})
    assert response.status_code == 200
    assert response.get_json()["team_id"] == other_team.id


def test_patch_me_can_leave_a_team(client, make, people):
    response = patch_me(client, make, people.staff, {"team_id": None})
    assert response.status_code == 200
    assert response.get_json()["team_id"] is None


def test_patch_me_refuses_a_team_of_another_organisation(client, make, people):
    response = patch_me(client, make, people.staff, {"team_id": people.other_team.id})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "team_not_in_org"
    me = client.get("/api/v1/me", headers=make.headers(people.staff)).get_json()
    assert me["team_id"] == people.team.id


def test_patch_me_refuses_a_team_that_does_not_exist(client, make, people):
    response = patch_me(client, make, people.staff, {"team_id": 987654})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "team_not_in_org"


def test_unenrolled_user_may_set_a_name_but_not_a_team(client, make, people):
    newcomer = make.user(None, None)
    assert patch_me(client, make, newcomer, {"display_name": "小李"}).status_code == 200
    response = patch_me(client, make, newcomer, {"team_id": people.team.id})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_enrolled"


def test_patch_me_validates_the_display_name(client, make, people):
    for name in ("", "长" * 101):
        response = patch_me(client, make, people.staff, {"display_name": name})
        assert response.status_code == 422
        assert "display_name" in response.get_json()["error"]["details"]


# --- flask create-superadmin -------------------------------------------------------------

def test_create_superadmin_command_makes_a_coordinator_who_can_log_in(app, client):
    result = app.test_cli_runner().invoke(
        args=["create-superadmin", "coordinator", "--password", "region-pass-1"])
    assert result.exit_code == 0, result.output
    assert "coordinator" in result.output
    response = login(client, "coordinator", "region-pass-1")
    assert response.status_code == 200
    assert response.get_json()["user"]["role"] == "superadmin"
    token = response.get_json()["access_token"]
    orgs = client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}"})
    assert orgs.status_code == 200


def test_create_superadmin_prompts_for_the_password(app, client):
    result = app.test_cli_runner().invoke(args=["create-superadmin", "prompted"],
                                          input="prompt-pass-1\nprompt-pass-1\n")
    assert result.exit_code == 0, result.output
    assert login(client, "prompted", "prompt-pass-1").status_code == 200


def test_create_superadmin_refuses_a_short_password(app, client):
    result = app.test_cli_runner().invoke(
        args=["create-superadmin", "weak", "--password", "short"])
    assert result.exit_code != 0
    assert login(client, "weak", "short").status_code == 401


def test_create_superadmin_promotes_an_existing_user(app, client, people):
    result = app.test_cli_runner().invoke(
        args=["create-superadmin", people.admin.username, "--password", "promoted-pass-1"])
    assert result.exit_code == 0, result.output
    response = login(client, people.admin.username, "promoted-pass-1")
    assert response.get_json()["user"]["role"] == "superadmin"
    assert response.get_json()["user"]["id"] == people.admin.id
