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


@pytest.fixture
def last_year(clock) -> int:
    """A whole year before the test's instant: readings of it are never in the future."""
    return clock.now().year - 1


def approve_energy(client, make, now, org, year: int, kwh: int = 100000, area: int = 10000,
                   occupants: int = 500) -> None:
    """Give `org` a profile and an approved annual electricity reading for `year`, through
    the API of the app behind `client`."""
    admin = make.user(org, role="admin")
    coordinator = make.user(None, role="superadmin")
    admin_h = {"Authorization": f"Bearer {make.token(admin, now)}"}
    coord_h = {"Authorization": f"Bearer {make.token(coordinator, now)}"}
    base = f"/api/v1/orgs/{org.id}/energy"
    assert client.put(f"{base}/profiles/{year}", headers=admin_h, json={
        "building_area_m2": area, "occupants": occupants}).status_code == 200
    reading = client.post(f"{base}/readings", headers=admin_h, json={
        "carrier": "electricity", "period": str(year), "quantity": kwh, "unit": "kWh"})
    assert reading.status_code == 201, reading.get_json()
    submitted = client.post(f"{base}/submissions", headers=admin_h, json={"period": str(year)})
    assert submitted.status_code == 201, submitted.get_json()
    approved = client.post(f"/api/v1/energy/submissions/{submitted.get_json()['id']}/approve",
                           headers=coord_h)
    assert approved.status_code == 200, approved.get_json()


@pytest.fixture
def approved_energy(client, make, clock):
    return lambda org, year, **figures: approve_energy(client, make, clock.now(), org, year,
                                                      **figures)


@pytest.fixture
def participants(session, app):
    """`count` staff of `org` each logging one walk on `when` (programme figures)."""
    from decimal import Decimal

    from activities.logbook import ActivityEntry, log_activity

    registry = app.extensions["factor_registry"]

    def add(make, org, count: int, when):
        for person in make.users(count, org):
            log_activity(session, person, ActivityEntry("walk", Decimal("2"), when), registry,
                         when)
        session.commit()

    return add
