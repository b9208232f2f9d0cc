"""Every 422 says which field it is about: `details` is never empty."""

from __future__ import annotations

import pytest


def details_of(response) -> dict:
    assert response.status_code == 422, response.get_json()
    return response.get_json()["error"]["details"]


def test_an_unknown_invite_code_names_the_field(client, make, people):
    loner = make.user(None, None)
    response = client.post("/api/v1/auth/enrol", json={"invite_code": "NOSUCHCODE",
                                                      "display_name": "张三"},
                           headers=make.headers(loner))
    assert list(details_of(response)) == ["invite_code"]


@pytest.mark.parametrize(("change", "field"), [({"role": "staff"}, "role"),
                                               ({"is_active": False}, "is_active")])
def test_locking_oneself_out_names_the_field(client, make, people, change, field):
    response = client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.admin.id}",
                            json=change, headers=make.headers(people.admin))
    assert response.get_json()["error"]["code"] == "cannot_lock_self_out"
    assert list(details_of(response)) == [field]


def test_a_value_no_column_holds_says_so(client, make, people):
    response = client.patch(f"/api/v1/orgs/{people.org.id}/users/{people.staff.id}",
                            json={"team_id": 2**63}, headers=make.headers(people.admin))
    assert details_of(response) == {"_body": ["某个值过长或过大，无法保存"]}
