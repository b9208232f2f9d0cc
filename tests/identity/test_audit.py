"""The audit log: who changed what, from where, and when; admins read their organisation's."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

CLIENT_IP = "203.0.113.7"
SECRET_PASSWORD = "s3cret-never-logged"


def write(client, make, actor, method, url, body):
    response = client.open(url, method=method, json=body, headers=make.headers(actor),
                           environ_base={"REMOTE_ADDR": CLIENT_IP})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()


def audit_of(client, make, viewer, org_id) -> list[dict]:
    response = client.get(f"/api/v1/orgs/{org_id}/audit?limit=100", headers=make.headers(viewer))
    assert response.status_code == 200
    return response.get_json()["items"]


@pytest.fixture
def admin_writes(client, make, people):
    """Each identity write an admin can make, in order."""
    base = f"/api/v1/orgs/{people.org.id}"
    write(client, make, people.admin, "PATCH", base, {"headcount": 80})
    team = write(client, make, people.admin, "POST", f"{base}/teams", {"name": "节能小组"})
    user = write(client, make, people.admin, "POST", f"{base}/users",
                 {"username": "wang.wu", "password": SECRET_PASSWORD, "display_name": "王五",
                  "team_id": team["id"]})
    write(client, make, people.admin, "PATCH", f"{base}/users/{user['id']}",
          {"role": "organizer", "password": SECRET_PASSWORD + "-2"})
    invite = write(client, make, people.admin, "POST", f"{base}/invites",
                   {"team_id": team["id"], "max_uses": 10,
                    "expires_at": "2099-01-01T00:00:00+08:00"})
    return {"team": team, "user": user, "invite": invite}


def test_every_admin_write_is_audited_newest_first(client, make, people, admin_writes):
    entries = audit_of(client, make, people.admin, people.org.id)
    assert [e["action"] for e in entries] == [
        "invite.create", "user.update", "user.create", "team.create", "org.update"]
    assert [e["target_type"] for e in entries] == [
        "invite", "user", "user", "team", "organisation"]
    assert [e["target_id"] for e in entries] == [
        str(admin_writes["invite"]["id"]), str(admin_writes["user"]["id"]),
        str(admin_writes["user"]["id"]), str(admin_writes["team"]["id"]), str(people.org.id)]
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True)


def test_audit_entries_carry_actor_ip_time_and_org(client, make, people, admin_writes):
    for entry in audit_of(client, make, people.admin, people.org.id):
        assert entry["actor_id"] == people.admin.id
        assert entry["org_id"] == people.org.id
        assert entry["ip"] == CLIENT_IP
        assert datetime.fromisoformat(entry["created_at"]).tzinfo is not None


def test_audit_summarises_what_changed(client, make, people, admin_writes):
    entries = {e["action"]: e["changes"] for e in audit_of(client, make, people.admin,
                                                            people.org.id)}
    assert entries["org.update"] == {"before": {"headcount": people.org.headcount},
                                     "after": {"headcount": 80}}
    assert entries["team.create"] == {"name": "节能小组"}
    assert entries["user.create"]["username"] == "wang.wu"
    assert entries["user.create"]["role"] == "staff"
    assert entries["user.update"]["before"] == {"role": "staff"}
    assert entries["user.update"]["after"] == {"role": "organizer"}
    assert entries["user.update"]["password_changed"] is True
    assert entries["invite.create"]["max_uses"] == 10
    assert entries["invite.create"]["code"] == admin_writes["invite"]["code"]


def test_audit_never_holds_a_password(client, make, people, admin_writes):
    text = json.dumps(audit_of(client, make, people.admin, people.org.id), ensure_ascii=False)
    assert SECRET_PASSWORD not in text
    assert '"password"' not in text
    assert "pbkdf2" not in text


def test_superadmin_organisation_changes_are_audited(client, make, people):
    org = write(client, make, people.superadmin, "POST", "/api/v1/orgs",
                {"name": "雄安新区管委会", "region": "hebei", "sector": "government",
                 "headcount": 120, "floor_area_m2": 5000})
    write(client, make, people.superadmin, "PATCH", f"/api/v1/orgs/{people.org.id}",
          {"timezone": "Asia/Urumqi"})
    (created,) = audit_of(client, make, people.superadmin, org["id"])
    assert (created["action"], created["actor_id"], created["target_id"]) == (
        "org.create", people.superadmin.id, str(org["id"]))
    assert created["changes"]["name"] == "雄安新区管委会"
    (updated,) = audit_of(client, make, people.admin, people.org.id)
    assert (updated["action"], updated["actor_id"]) == ("org.update", people.superadmin.id)
    assert updated["changes"]["after"] == {"timezone": "Asia/Urumqi"}


def test_an_organisations_audit_shows_only_its_own_entries(client, make, people, admin_writes):
    write(client, make, people.other_admin, "POST", f"/api/v1/orgs/{people.other_org.id}/teams",
          {"name": "别家团队"})
    mine = audit_of(client, make, people.admin, people.org.id)
    theirs = audit_of(client, make, people.other_admin, people.other_org.id)
    assert len(mine) == 5
    assert [e["action"] for e in theirs] == ["team.create"]


def test_a_refused_write_leaves_no_audit_entry(client, make, people):
    response = client.post(f"/api/v1/orgs/{people.org.id}/users", headers=make.headers(
        people.admin), json={"username": "boss", "display_name": "某人", "role": "superadmin"})
    assert response.status_code == 403
    assert audit_of(client, make, people.admin, people.org.id) == []


@pytest.mark.parametrize("role", ["staff", "organizer"])
def test_below_admin_cannot_read_the_audit_log(client, make, people, role):
    response = client.get(f"/api/v1/orgs/{people.org.id}/audit",
                          headers=make.headers(getattr(people, role)))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
