"""Two deployments (two databases, two signing keys) exchange documents and see each other's
institutions as peers: Beijing's app and Tianjin's, built side by side in one process."""

from __future__ import annotations

import base64

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.conftest import PG_ADMIN_URL, RUN_ID, TEST_DATABASE
from tests.factories import Factory
from tests.machines.conftest import approve_energy, new_seed


@pytest.fixture
def tianjin_database(tmp_path):
    """A second, empty database of the suite's engine."""
    if TEST_DATABASE == "sqlite":
        yield "sqlite:///" + str(tmp_path / "tianjin.db")
        return
    name = f"lc_test_{RUN_ID}_tianjin"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def tianjin_app(app, tianjin_database, clock, tmp_path):
    """Tianjin's deployment: its own database (migrated), signing key, Redis prefix, clock."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import engine_options, normalise_database_url
    from app.extensions import db

    url = normalise_database_url(tianjin_database)
    other = create_app({"SQLALCHEMY_DATABASE_URI": url,
                        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
                        "REDIS_PREFIX": app.config["REDIS_PREFIX"] + "tianjin:",
                        "EXCHANGE_SIGNING_KEY": new_seed(),
                        "EXCHANGE_ISSUER": "tianjin-platform",
                        "EXCHANGE_PSEUDONYM_SECRET": "tianjin-pseudonyms"})
    other.extensions["clock"].set(clock.now())
    with other.app_context():
        upgrade()
    engine = create_engine(url, **engine_options(url))
    yield other, engine
    engine.dispose()
    with other.app_context():
        db.engine.dispose()


def public_key_of(client) -> str:
    response = client.get("/api/v1/exchange/v1/public-key")
    assert response.status_code == 200
    return response.get_json()["public_key"]


def test_two_deployments_exchange_documents_and_show_each_other_as_peers(
        app, client, make, clock, tianjin_app, last_year, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_SIGNING_KEY", new_seed())
    tianjin, tianjin_engine = tianjin_app
    tianjin_client = tianjin.test_client()
    with Session(tianjin_engine, expire_on_commit=False) as tianjin_session:
        tianjin_make = Factory(tianjin_session, tianjin)
        # Beijing's school and Tianjin's school, each approved on its own platform.
        approve_energy(client, make, clock.now(), make.org(region="beijing", sector="school"),
                       last_year, kwh=80000)
        approve_energy(tianjin_client, tianjin_make, clock.now(),
                       tianjin_make.org(region="tianjin", sector="school"), last_year,
                       kwh=120000)
        beijing_coord = make.headers(make.user(None, role="superadmin"))
        tianjin_coordinator = tianjin_make.user(None, role="superadmin")
        tianjin_coord = {"Authorization":
                         f"Bearer {tianjin_make.token(tianjin_coordinator, clock.now())}"}

        # Each coordinator registers the other platform's served public key.
        assert tianjin_client.post("/api/v1/exchange/partners", headers=tianjin_coord, json={
            "name": "北京平台", "region": "beijing",
            "public_key": public_key_of(client)}).status_code == 201
        assert client.post("/api/v1/exchange/partners", headers=beijing_coord, json={
            "name": "天津平台", "region": "tianjin",
            "public_key": public_key_of(tianjin_client)}).status_code == 201

        # Tianjin reads Beijing's document with a region key Beijing issued to it.
        issued = client.post("/api/v1/api-keys", headers=beijing_coord, json={
            "name": "天津平台", "region": "beijing", "scopes": ["exchange:read"]})
        beijing_doc = client.get(f"/api/v1/exchange/v1/region?region=beijing&year={last_year}",
                                 headers={"Authorization": f"ApiKey {issued.get_json()['key']}"})
        assert beijing_doc.status_code == 200
        tianjin_doc = tianjin_client.get(
            f"/api/v1/exchange/v1/region?region=tianjin&year={last_year}", headers=tianjin_coord)
        assert tianjin_doc.status_code == 200

        # Swapped documents verify; each platform keeps the other's.
        imported = tianjin_client.post("/api/v1/exchange/imports", headers=tianjin_coord,
                                       json=beijing_doc.get_json())
        assert imported.status_code == 201, imported.get_json()
        imported = client.post("/api/v1/exchange/imports", headers=beijing_coord,
                               json=tianjin_doc.get_json())
        assert imported.status_code == 201, imported.get_json()

        # A document Beijing signed is refused by Beijing as if it were Tianjin's.
        forged = {**beijing_doc.get_json(), "region": "tianjin"}
        refused = client.post("/api/v1/exchange/imports", headers=beijing_coord, json=forged)
        assert refused.get_json()["error"]["code"] == "signature_invalid"

        in_beijing = client.get(f"/api/v1/energy/region?region=beijing&year={last_year}"
                                "&peers=true", headers=beijing_coord).get_json()
        in_tianjin = tianjin_client.get(f"/api/v1/energy/region?region=tianjin&year={last_year}"
                                        "&peers=true", headers=tianjin_coord).get_json()
    [tianjin_peer] = in_beijing["peers"]
    [beijing_peer] = in_tianjin["peers"]
    assert tianjin_peer["origin"] == "tianjin"
    assert beijing_peer["origin"] == "beijing"
    assert tianjin_peer["id"] == tianjin_doc.get_json()["organisations"][0]["id"]
    # 120,000 kWh over 10,000 m2 against 80,000: the same method on both sides.
    assert tianjin_peer["indicators"]["kgce_per_m2"] == pytest.approx(
        in_beijing["organisations"][0]["indicators"]["kgce_per_m2"] * 1.5, abs=0.02)
    assert beijing_peer["indicators"] == {
        k: v for k, v in in_beijing["organisations"][0]["indicators"].items()
        if k in beijing_peer["indicators"]}
    assert base64.b64decode(public_key_of(client)) != base64.b64decode(
        public_key_of(tianjin_client))


