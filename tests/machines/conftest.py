"""A signing key for the app under test, and helpers to issue keys through the API."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def new_seed() -> str:
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()


@pytest.fixture
def signing_key(app, monkeypatch):
    """The deployment's key, from the environment-style setting (no file written)."""
    seed = new_seed()
    monkeypatch.setitem(app.config, "EXCHANGE_SIGNING_KEY", seed)
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed))


@pytest.fixture
def issue_key(client, make):
    """POST a key through the API as `actor`; returns the 201 body (with the key)."""

    def issue(actor, org=None, scopes=None, region=None, **fields):
        scopes = scopes or (["energy:write"] if org is not None else ["exchange:read"])
        body = {"name": "网关", "scopes": list(scopes), **fields}
        if org is not None:
            url = f"/api/v1/orgs/{org.id}/api-keys"
        else:
            url, body["region"] = "/api/v1/api-keys", region or "beijing"
        response = client.post(url, json=body, headers=make.headers(actor))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return issue


def key_headers(key: str) -> dict:
    return {"Authorization": f"ApiKey {key}"}
