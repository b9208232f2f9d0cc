"""Enrolment by invite code: the invite carries organisation, team and role; uses are counted."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from app.models import Invite


def create_invite(client, make, admin, org, **fields):
    week_later = (make.clock.now() + timedelta(days=7)).isoformat()
    body = {"team_id": fields.pop("team_id", None), "role": fields.pop("role", "staff"),
            "max_uses": fields.pop("max_uses", 5),
            "expires_at": fields.pop("expires_at", week_later)}
    return client.post(f"/api/v1/orgs/{org.id}/invites", json=body, headers=make.headers(admin))


def enrol(client, make, user, code, **fields):
    body = {"invite_code": code, "display_name": fields.pop("display_name", "新同事"), **fields}
    return client.post("/api/v1/auth/enrol", json=body, headers=make.headers(user))


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def test_admin_creates_an_invite_with_team_role_and_a_code(client, make, people):
    response = create_invite(client, make, people.admin, people.org, team_id=people.team.id,
                             role="organizer", max_uses=3)
    assert response.status_code == 201
    invite = response.get_json()
    assert invite["org_id"] == people.org.id
    assert (invite["team_id"], invite["role"], invite["max_uses"], invite["uses"]) == (
        people.team.id, "organizer", 3, 0)
    assert len(invite["code"]) == 8


def test_enrolment_binds_the_user_to_the_invites_org_team_and_role(client, make, people):
    code = create_invite(client, make, people.admin, people.org, team_id=people.team.id,
                         role="organizer").get_json()["code"]
    newcomer = make.user(None, None)
    response = enrol(client, make, newcomer, code, display_name="李四", employee_no="E-042")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["org_id"], body["team_id"], body["role"]) == (
        people.org.id, people.team.id, "organizer")
    assert (body["display_name"], body["employee_no"], body["enrolled"]) == ("李四", "E-042", True)
    me = client.get("/api/v1/me", headers=make.headers(newcomer)).get_json()
    assert me["org_id"] == people.org.id
    assert me["enrolled"] is True


def test_enrolled_user_reaches_member_routes_with_the_same_token(client, make, people):
    code = create_invite(client, make, people.admin, people.org).get_json()["code"]
    newcomer = make.user(None, None)
    headers = make.headers(newcomer)
    teams_url = f"/api/v1/orgs/{people.org.id}/teams"
    before = client.get(teams_url, headers=headers)
    assert before.status_code == 403
    assert error_code(before) == "not_enrolled"
    enrol(client, make, newcomer, code)
    assert client.get(teams_url, headers=headers).status_code == 200


def test_invite_code_is_read_forgivingly(client, make, people):
    code = create_invite(client, make, people.admin, people.org).get_json()["code"]
    response = enrol(client, make, make.user(None, None), f" {code.lower()} ")
    assert response.status_code == 200


def test_invite_max_uses_is_enforced(client, make, people):
    code = create_invite(client, make, people.admin, people.org, max_uses=2).get_json()["code"]
    assert enrol(client, make, make.user(None, None), code).status_code == 200
    assert enrol(client, make, make.user(None, None), code).status_code == 200
    third = enrol(client, make, make.user(None, None), code)
    assert third.status_code == 422
    assert error_code(third) == "invite_invalid"


@pytest.mark.concurrency
def test_concurrent_enrolments_on_the_last_slot_admit_exactly_one(app, client, make, people):
    code = create_invite(client, make, people.admin, people.org, max_uses=1).get_json()["code"]
    newcomers = [make.user(None, None) for _ in range(5)]
    barrier = threading.Barrier(len(newcomers))
    statuses: list[int] = []

    def attempt(user):
        own_client = app.test_client()
        barrier.wait()
        statuses.append(enrol(own_client, make, user, code).status_code)

    threads = [threading.Thread(target=attempt, args=(u,)) for u in newcomers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 422, 422, 422, 422]
    invites = client.get(f"/api/v1/orgs/{people.org.id}/invites",
                         headers=make.headers(people.admin)).get_json()["items"]
    assert invites[0]["uses"] == 1
    enrolled = [u for u in newcomers if client.get(
        "/api/v1/me", headers=make.headers(u)).get_json()["enrolled"]]
    assert len(enrolled) == 1


def test_expired_invite_answers_422_invite_invalid(clock, client, make, people, session):
    session.add(Invite(org_id=people.org.id, code="EXP1RED2", role="staff", max_uses=5,
                       expires_at=clock.now() - timedelta(minutes=1)))
    session.commit()
    response = enrol(client, make, make.user(None, None), "EXP1RED2")
    assert response.status_code == 422
    assert error_code(response) == "invite_invalid"


def test_unknown_invite_answers_422_invite_invalid(client, make, people):
    response = enrol(client, make, make.user(None, None), "ZZZZ9999")
    assert response.status_code == 422
    assert error_code(response) == "invite_invalid"


def test_already_enrolled_user_answers_409(client, make, people):
    code = create_invite(client, make, people.admin, people.org).get_json()["code"]
    response = enrol(client, make, people.staff, code)
    assert response.status_code == 409
    assert error_code(response) == "already_enrolled"
    invites = client.get(f"/api/v1/orgs/{people.org.id}/invites",
                         headers=make.headers(people.admin)).get_json()["items"]
    assert invites[0]["uses"] == 0


def test_admin_cannot_create_an_invite_above_their_own_role(client, make, people):
    response = create_invite(client, make, people.admin, people.org, role="superadmin")
    assert response.status_code == 403
    assert error_code(response) == "role_not_allowed"


def test_admin_can_invite_another_admin(client, make, people):
    assert create_invite(client, make, people.admin, people.org,
                         role="admin").status_code == 201


def test_superadmin_can_invite_an_organisations_first_admin(client, make, people):
    response = create_invite(client, make, people.superadmin, people.other_org, role="admin")
    assert response.status_code == 201
    assert response.get_json()["org_id"] == people.other_org.id


def test_invite_into_another_organisations_team_answers_422(client, make, people):
    response = create_invite(client, make, people.admin, people.org,
                             team_id=people.other_team.id)
    assert response.status_code == 422
    assert error_code(response) == "team_not_in_org"


def test_invite_that_expires_in_the_past_answers_422(clock, client, make, people):
    response = create_invite(client, make, people.admin, people.org,
                             expires_at=(clock.now() - timedelta(hours=1)).isoformat())
    assert response.status_code == 422
    assert "expires_at" in response.get_json()["error"]["details"]


def test_invite_with_zero_uses_answers_422(client, make, people):
    response = create_invite(client, make, people.admin, people.org, max_uses=0)
    assert response.status_code == 422
    assert "max_uses" in response.get_json()["error"]["details"]


@pytest.mark.concurrency
def test_a_double_tapped_enrolment_uses_one_slot(app, client, make, people):
    code = create_invite(client, make, people.admin, people.org, max_uses=5).get_json()["code"]
    newcomer = make.user(None, None)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def attempt():
        own_client = app.test_client()
        barrier.wait()
        statuses.append(enrol(own_client, make, newcomer, code).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    invites = client.get(f"/api/v1/orgs/{people.org.id}/invites",
                         headers=make.headers(people.admin)).get_json()["items"]
    assert invites[0]["uses"] == 1
