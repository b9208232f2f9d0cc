"""An admin cannot lock themselves out: lowering one's own role or deactivating oneself is
refused (the fuzzing run showed an admin could demote themselves and lose the console)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("change", [{"role": "staff"}, {"is_active": False}])
def test_an_admin_cannot_lower_or_deactivate_themselves_and_nothing_changes(client, make, change):
    org = make.org()
    admin = make.user(org, make.team(org), "admin")
    response = client.patch(f"/api/v1/orgs/{org.id}/users/{admin.id}", json=change,
                            headers=make.headers(admin))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "cannot_lock_self_out"
    me = client.get("/api/v1/me", headers=make.headers(admin)).get_json()
    assert me["role"] == "admin"


def test_an_admin_may_still_edit_their_own_name_and_another_admin_may_demote_them(client, make):
    org = make.org()
    team = make.team(org)
    admin, other = make.user(org, team, "admin"), make.user(org, team, "admin")
    renamed = client.patch(f"/api/v1/orgs/{org.id}/users/{admin.id}",
                           json={"display_name": "新名字", "role": "admin"},
                           headers=make.headers(admin))
    assert renamed.status_code == 200
    demoted = client.patch(f"/api/v1/orgs/{org.id}/users/{admin.id}", json={"role": "staff"},
                           headers=make.headers(other))
    assert demoted.status_code == 200
    assert demoted.get_json()["role"] == "staff"
