"""API keys: shown once, stored hashed, scoped, expiring, revocable, rate-limited, audited."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from app.models import AuditEntry
from machines.models import ApiKey
from tests.machines.conftest import key_headers

REGION_DOC = "/api/v1/exchange/v1/region?region=beijing&year=2026"


def test_org_key_is_shown_once_and_stored_only_as_a_hash(client, make, session, issue_key):
    org = make.org()
    admin = make.user(org, role="admin")
    issued = issue_key(admin, org)
    assert issued["scopes"] == ["energy:write"]
    assert issued["org_id"] == org.id
    prefix, public_id, secret = issued["key"].split("_", 2)
    row = session.scalar(select(ApiKey).where(ApiKey.id == issued["id"]))
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(row.__dict__)
    listed = client.get(f"/api/v1/orgs/{org.id}/api-keys", headers=make.headers(admin))
    assert listed.status_code == 200
    [item] = listed.get_json()["items"]
    assert "key" not in item
    assert item["prefix"] == f"{prefix}_{public_id}"
    audit = session.scalars(select(AuditEntry.action)).all()
    assert "api_key.create" in audit
    assert secret not in str(
        session.scalars(select(AuditEntry.changes)).all())


def test_bad_key_requests_are_refused_and_keep_nothing(client, make, session, clock):
    org = make.org()
    admin = make.user(org, role="admin")
    url = f"/api/v1/orgs/{org.id}/api-keys"
    for body, code in (({"name": "x", "scopes": ["exchange:read"]}, "validation_error"),
                       ({"name": "x", "scopes": []}, "validation_error"),
                       ({"name": "x", "scopes": ["energy:write"],
                         "expires_at": (clock.now() - timedelta(minutes=1)).isoformat()},
                        "validation_error")):
        response = client.post(url, json=body, headers=make.headers(admin))
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == code
    superadmin = make.user(None, None, "superadmin")
    response = client.post("/api/v1/api-keys", json={"name": "x", "region": "beijing",
                                                     "scopes": ["energy:write"]},
                           headers=make.headers(superadmin))
    assert response.status_code == 422
    assert session.scalars(select(ApiKey)).all() == []


def test_other_organisations_keys_are_not_found(client, make, issue_key):
    org, other = make.org(), make.org()
    admin, other_admin = make.user(org, role="admin"), make.user(other, role="admin")
    issued = issue_key(admin, org)
    assert client.get(f"/api/v1/orgs/{org.id}/api-keys",
                      headers=make.headers(other_admin)).status_code == 404
    assert client.delete(f"/api/v1/api-keys/{issued['id']}",
                         headers=make.headers(other_admin)).status_code == 404
    superadmin = make.user(None, None, "superadmin")
    region_key = issue_key(superadmin)
    assert client.delete(f"/api/v1/api-keys/{region_key['id']}",
                         headers=make.headers(admin)).status_code == 404


def test_region_key_reads_its_document_and_records_last_use(client, make, session, issue_key,
                                                             signing_key):
    superadmin = make.user(None, None, "superadmin")
    issued = issue_key(superadmin, scopes=["exchange:read"], region="beijing")
    response = client.get(REGION_DOC, headers=key_headers(issued["key"]))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["format"] == "bth-exchange/1"
    row = session.scalar(select(ApiKey).where(ApiKey.id == issued["id"]))
    assert row.last_used_at is not None
    other_region = client.get(REGION_DOC.replace("beijing", "tianjin"),
                              headers=key_headers(issued["key"]))
    assert other_region.status_code == 403


def test_revoked_unknown_and_expired_keys_are_401(client, make, issue_key, clock,
                                                  signing_key):
    superadmin = make.user(None, None, "superadmin")
    clock.freeze(clock.now())
    issued = issue_key(superadmin, scopes=["exchange:read"],
                       expires_at=(clock.now() + timedelta(hours=1)).isoformat())
    assert client.get(REGION_DOC, headers=key_headers(issued["key"])).status_code == 200
    prefix, public_id, secret = issued["key"].split("_", 2)
    tampered = f"{prefix}_{public_id}_{secret[:-2]}xx"
    for wrong in (tampered, "bth_0000000000000000_abc", "nonsense", ""):
        response = client.get(REGION_DOC, headers=key_headers(wrong))
        assert response.status_code == 401, wrong
        assert response.get_json()["error"]["code"] in ("api_key_invalid", "unauthorized")
    clock.advance(timedelta(hours=1))
    assert client.get(REGION_DOC, headers=key_headers(issued["key"])).status_code == 401
    clock.advance(-timedelta(hours=1))
    revoked = client.delete(f"/api/v1/api-keys/{issued['id']}", headers=make.headers(superadmin))
    assert revoked.status_code == 200
    assert revoked.get_json()["revoked_at"]
    assert client.get(REGION_DOC, headers=key_headers(issued["key"])).status_code == 401


def test_a_key_opens_no_user_route_and_wrong_scope_is_403(client, make, issue_key,
                                                          signing_key):
    org = make.org()
    admin = make.user(org, role="admin")
    issued = issue_key(admin, org)
    for path in ("/api/v1/me", f"/api/v1/orgs/{org.id}", "/api/v1/exchange/partners"):
        assert client.get(path, headers=key_headers(issued["key"])).status_code == 401
    response = client.get(REGION_DOC, headers=key_headers(issued["key"]))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "api_key_scope"


def test_each_key_is_rate_limited(client, make, issue_key, signing_key, app, monkeypatch, clock):
    clock.freeze()  # limits count in windows of the clock: stopped, none is straddled
    monkeypatch.setitem(app.config, "API_KEY_REQUESTS_PER_MINUTE", 3)
    superadmin = make.user(None, None, "superadmin")
    first = issue_key(superadmin, scopes=["exchange:read"])
    second = issue_key(superadmin, scopes=["exchange:read"])
    codes = [client.get(REGION_DOC, headers=key_headers(first["key"])).status_code
             for _ in range(4)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429
    assert client.get(REGION_DOC, headers=key_headers(second["key"])).status_code == 200
