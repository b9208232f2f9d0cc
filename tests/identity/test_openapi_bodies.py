"""The document says which request bodies may be left out, as the app behaves.

Schemathesis found that PATCH /me, PATCH /orgs/{id} and POST /auth/logout without a body
are accepted (logout then revokes every session) while the document called every body required.
"""

from __future__ import annotations

SPEC_URL = "/api/v1/openapi.json"


def body_required(client, method: str, path: str) -> bool:
    spec = client.get(SPEC_URL).get_json()
    return spec["paths"][path][method]["requestBody"]["required"]


def test_a_body_of_nothing_but_optional_fields_is_documented_optional_and_may_be_left_out(
        client, make):
    org = make.org()
    admin = make.user(org, make.team(org), "admin")
    headers = make.headers(admin)
    assert body_required(client, "patch", "/api/v1/me") is False
    assert client.patch("/api/v1/me", headers=headers).status_code == 200
    assert body_required(client, "patch", "/api/v1/orgs/{org_id}") is False
    assert client.patch(f"/api/v1/orgs/{org.id}", headers=headers).status_code == 200
    assert body_required(client, "post", "/api/v1/auth/logout") is False
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204


def test_a_body_with_a_required_field_is_documented_required_and_refused_when_left_out(
        client, make):
    org = make.org()
    admin = make.user(org, make.team(org), "admin")
    assert body_required(client, "post", "/api/v1/orgs/{org_id}/teams") is True
    response = client.post(f"/api/v1/orgs/{org.id}/teams", headers=make.headers(admin))
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["name"]
