"""Organisations keep to themselves; no mass assignment; lists are capped and walk by cursor."""

from __future__ import annotations

import pytest

ORG_ROUTES = [
    ("GET", "/api/v1/orgs/{org}", None),
    ("PATCH", "/api/v1/orgs/{org}", {"headcount": 1}),
    ("POST", "/api/v1/orgs/{org}/teams", {"name": "渗透团队"}),
    ("GET", "/api/v1/orgs/{org}/teams", None),
    ("POST", "/api/v1/orgs/{org}/users", {"username": "intruder", "display_name": "入侵者"}),
    ("GET", "/api/v1/orgs/{org}/users", None),
    ("GET", "/api/v1/orgs/{org}/users/{user}", None),
    ("PATCH", "/api/v1/orgs/{org}/users/{user}", {"role": "staff"}),
    ("POST", "/api/v1/orgs/{org}/invites", {"max_uses": 1,
                                             "expires_at": "2099-01-01T00:00:00+08:00"}),
    ("GET", "/api/v1/orgs/{org}/invites", None),
    ("GET", "/api/v1/orgs/{org}/audit", None),
]
ROUTE_IDS = [f"{m} {p}" for m, p, _ in ORG_ROUTES]


def send(client, method, path, body, headers):
    return client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ORG_ROUTES, ids=ROUTE_IDS)
def test_another_organisations_objects_answer_404(client, make, people, method, path, body):
    url = path.format(org=people.other_org.id, user=people.other_staff.id)
    response = send(client, method, url, body, make.headers(people.admin))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("method", "path", "body"), ORG_ROUTES, ids=ROUTE_IDS)
def test_an_unknown_organisation_answers_the_same_404(client, make, people, method, path, body):
    url = path.format(org=987654, user=people.staff.id)
    response = send(client, method, url, body, make.headers(people.admin))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_another_organisations_user_under_ones_own_org_answers_404(client, make, people,
                                                                   method):
    url = f"/api/v1/orgs/{people.org.id}/users/{people.other_staff.id}"
    response = send(client, method, url, {"display_name": "篡改"} if method == "PATCH" else None,
                    make.headers(people.admin))
    assert response.status_code == 404


def test_cross_organisation_attempts_change_nothing(client, make, people):
    headers = make.headers(people.admin)
    for method, path, body in ORG_ROUTES:
        if method != "GET":
            send(client, method, path.format(org=people.other_org.id,
                                             user=people.other_staff.id), body, headers)
    theirs = make.headers(people.other_admin)
    org = client.get(f"/api/v1/orgs/{people.other_org.id}", headers=theirs).get_json()
    assert org["headcount"] == people.other_org.headcount
    teams = client.get(f"/api/v1/orgs/{people.other_org.id}/teams", headers=theirs).get_json()
    assert [t["name"] for t in teams["items"]] == [people.other_team.name]
    users = client.get(f"/api/v1/orgs/{people.other_org.id}/users", headers=theirs).get_json()
    assert "intruder" not in [u["username"] for u in users["items"]]


@pytest.mark.parametrize(("method", "path", "body"), ORG_ROUTES, ids=ROUTE_IDS)
def test_superadmin_reaches_every_organisation(client, make, people, method, path, body):
    url = path.format(org=people.other_org.id, user=people.other_staff.id)
    response = send(client, method, url, body, make.headers(people.superadmin))
    assert response.status_code in (200, 201), response.get_data(as_text=True)


def test_superadmin_lists_every_organisation(client, make, people):
    response = client.get("/api/v1/orgs", headers=make.headers(people.superadmin))
    assert {o["id"] for o in response.get_json()["items"]} == {people.org.id,
                                                                people.other_org.id}


# --- mass assignment --------------------------------------------------------------------

FORBIDDEN_ON_ME = {"role": "superadmin", "org_id": 1, "points": 10_000, "status": "active",
                   "is_active": True, "id": 1, "enrolled": True, "username": "root"}


@pytest.mark.parametrize(("field", "value"), FORBIDDEN_ON_ME.items(), ids=FORBIDDEN_ON_ME)
def test_patch_me_rejects_fields_a_user_may_not_set(client, make, people, field, value):
    headers = make.headers(people.staff)
    before = client.get("/api/v1/me", headers=headers).get_json()
    response = client.patch("/api/v1/me", json={"display_name": "新名字", field: value},
                            headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == {field: ["不允许的字段"]}
    assert client.get("/api/v1/me", headers=headers).get_json() == before


def test_an_unenrolled_user_cannot_enrol_themselves_with_a_role(client, make):
    newcomer = make.user(None, None)
    response = client.post("/api/v1/auth/enrol", headers=make.headers(newcomer),
                           json={"invite_code": "ABCD2345", "display_name": "我",
                                 "role": "admin", "org_id": 1})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]) == {"role", "org_id"}


@pytest.mark.parametrize("field", ["org_id", "is_active", "points", "id", "password_hash"])
def test_admin_user_creation_rejects_unknown_fields(client, make, people, field):
    response = client.post(f"/api/v1/orgs/{people.org.id}/users", headers=make.headers(
        people.admin), json={"username": "new.person", "display_name": "新人", field: 7})
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]


@pytest.mark.parametrize(("path", "field"), [("/api/v1/orgs/{org}", "id"),
                                             ("/api/v1/orgs/{org}/users/{user}", "org_id"),
                                             ("/api/v1/orgs/{org}/users/{user}", "wechat_openid")])
def test_admin_patches_reject_unknown_fields(client, make, people, path, field):
    url = path.format(org=people.org.id, user=people.staff.id)
    response = client.patch(url, json={field: 5}, headers=make.headers(people.admin))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]


def test_invite_body_cannot_set_its_organisation_or_uses(client, make, people):
    response = client.post(f"/api/v1/orgs/{people.org.id}/invites", headers=make.headers(
        people.admin), json={"max_uses": 1, "expires_at": "2099-01-01T00:00:00+08:00",
                             "org_id": people.other_org.id, "uses": -5})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]) == {"org_id", "uses"}


# --- admin user management ------------------------------------------------------------

def test_admin_creates_a_person_who_can_log_in(client, make, people):
    response = client.post(f"/api/v1/orgs/{people.org.id}/users", headers=make.headers(
        people.admin), json={"username": "zhang.san", "password": "long-enough-1",
                             "display_name": "张三", "team_id": people.team.id,
                             "role": "organizer", "employee_no": "E-7"})
    assert response.status_code == 201
    created = response.get_json()
    assert (created["org_id"], created["team_id"], created["role"]) == (
        people.org.id, people.team.id, "organizer")
    assert "password" not in response.get_data(as_text=True)
    login = client.post("/api/v1/auth/login",
                        json={"username": "zhang.san", "password": "long-enough-1"})
    assert login.status_code == 200


def test_taken_username_answers_409(client, make, people):
    response = client.post(f"/api/v1/orgs/{people.org.id}/users", headers=make.headers(
        people.admin), json={"username": people.other_staff.username, "display_name": "重名"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "username_taken"


@pytest.mark.parametrize("request_kind", ["create", "promote"])
def test_admin_cannot_grant_a_role_above_their_own(client, make, people, request_kind):
    headers = make.headers(people.admin)
    if request_kind == "create":
        response = client.post(f"/api/v1/orgs/{people.org.id}/users", headers=headers,
                               json={"username": "wannabe", "display_name": "某人",
                                     "role": "superadmin"})
    else:
        response = client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.staff.id}",
                                headers=headers, json={"role": "superadmin"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "role_not_allowed"


def test_admin_deactivates_a_person_whose_token_then_fails(client, make, people):
    staff_headers = make.headers(people.staff)
    response = client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.staff.id}",
                            headers=make.headers(people.admin), json={"is_active": False})
    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert client.get("/api/v1/me", headers=staff_headers).status_code == 401


def test_person_cannot_be_moved_into_another_organisations_team(client, make, people):
    response = client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.staff.id}",
                            headers=make.headers(people.admin),
                            json={"team_id": people.other_team.id})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "team_not_in_org"


def test_team_members_are_counted(client, make, people):
    make.users(3, people.org, people.team)
    response = client.get(f"/api/v1/orgs/{people.org.id}/teams",
                          headers=make.headers(people.staff))
    (team,) = response.get_json()["items"]
    assert team["members"] == 6  # staff, organizer, admin and three more


def test_duplicate_team_name_answers_409(client, make, people):
    response = client.post(f"/api/v1/orgs/{people.org.id}/teams", json={
        "name": people.team.name}, headers=make.headers(people.admin))
    assert response.status_code == 409


# --- lists ------------------------------------------------------------------------------

def test_list_limit_is_capped_at_100(client, make, people):
    make.users(110, people.org, people.team)
    response = client.get(f"/api/v1/orgs/{people.org.id}/users?limit=1000",
                          headers=make.headers(people.admin))
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["items"]) == 100
    assert body["next_cursor"]


def test_list_limit_defaults_to_20(client, make, people):
    make.users(25, people.org, people.team)
    body = client.get(f"/api/v1/orgs/{people.org.id}/users",
                      headers=make.headers(people.admin)).get_json()
    assert len(body["items"]) == 20


def test_cursor_walks_every_item_once_newest_first(client, make, people):
    make.users(30, people.org, people.team)
    headers = make.headers(people.admin)
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/orgs/{people.org.id}/users?limit=7" + (f"&cursor={cursor}" if cursor
                                                                else "")
        body = client.get(url, headers=headers).get_json()
        seen += [u["id"] for u in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 33
    assert seen == sorted(seen, reverse=True)
    assert pages == 5


BAD_PAGING = ["limit=0", "limit=-3", "limit=abc", "cursor=%%%not-base64",
              "cursor=W10",  # []
              "cursor=W3RydWVd",  # [true]
              "cursor=WyJ4Il0",  # ["x"]
              "cursor=WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMF0"]  # [10**30]


@pytest.mark.parametrize("query", BAD_PAGING)
def test_bad_paging_parameters_answer_422(client, make, people, query):
    response = client.get(f"/api/v1/orgs/{people.org.id}/users?{query}",
                          headers=make.headers(people.admin))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
