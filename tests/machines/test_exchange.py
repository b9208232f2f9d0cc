"""The signed exchange document, partners, imports and peers (API.md, bth-exchange/1)."""

from __future__ import annotations

import base64
import copy
import json
import os
import stat
from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from machines import signing
from machines.models import ExchangePartner, PeerDocument
from tests.ops.conftest import captured_log  # noqa: F401 - fixture

SHANGHAI = ZoneInfo("Asia/Shanghai")


def doc_url(region: str, year: int) -> str:
    return f"/api/v1/exchange/v1/region?region={region}&year={year}"


def partner_document(region: str, year: int, key: Ed25519PrivateKey, **changes) -> dict:
    """A partner's document, signed with the partner's key."""
    document = {"format": "bth-exchange/1", "region": region, "year": year,
                "generated_at": f"{year + 1}-01-15T08:00:00+08:00", "issuer": f"{region}-platform",
                "factor_version": "2024-01",
                "totals": {"kgce": 1234.5, "water_m3": None, "co2e_kg": 4321.0,
                           "building_area_m2": 10000, "occupants": 400},
                "organisations": [{"id": "p-school-1", "sector": "school",
                                   "indicators": {"kgce_per_m2": 12.35, "kgce_per_person": 3.09,
                                                  "water_m3_per_person": None,
                                                  "co2e_kg_per_m2": 43.21},
                                   "programme": None}],
                **changes}
    return signing.sign(document, key)


def register(client, headers, region: str, key: Ed25519PrivateKey):
    return client.post("/api/v1/exchange/partners", headers=headers, json={
        "name": f"{region} 平台", "region": region,
        "public_key": signing.public_key_b64(key.public_key())})


def test_document_is_signed_pseudonymous_and_withholds_small_programmes(
        client, make, signing_key, approved_energy, participants, last_year, app):
    school = make.org(name="第一中学", sector="school", headcount=40)
    small = make.org(name="某局", sector="government", headcount=20)
    make.org(name="天津医院", region="tianjin", sector="hospital")
    approved_energy(school, last_year, kwh=100000, area=10000, occupants=500)
    participants(make, school, 12, datetime(last_year, 6, 3, 10, tzinfo=SHANGHAI))
    participants(make, small, 3, datetime(last_year, 6, 3, 10, tzinfo=SHANGHAI))
    coordinator = make.headers(make.user(None, role="superadmin"))
    response = client.get(doc_url("beijing", last_year), headers=coordinator)
    assert response.status_code == 200, response.get_json()
    document = response.get_json()
    assert document["format"] == "bth-exchange/1"
    assert document["region"] == "beijing"
    assert document["year"] == last_year
    assert signing.verifies(document, signing_key.public_key())
    key = client.get("/api/v1/exchange/v1/public-key").get_json()
    assert key["public_key"] == signing.public_key_b64(signing_key.public_key())
    assert document["signature"]["key_id"] == key["key_id"]
    assert len(document["organisations"]) == 2  # the region's own only
    by_sector = {o["sector"]: o for o in document["organisations"]}
    assert by_sector["school"]["programme"]["participants"] == 12
    assert by_sector["school"]["indicators"]["kgce_per_m2"] > 0
    assert document["totals"]["building_area_m2"] == 10000
    assert by_sector["government"]["programme"] is None
    assert by_sector["government"]["indicators"]["kgce_per_m2"] is None
    text = response.get_data(as_text=True)
    for private in ("第一中学", "某局", "批量用户", "bulk", f'"{school.id}"'):
        assert private not in text
    again = client.get(doc_url("beijing", last_year), headers=coordinator).get_json()
    assert sorted(o["id"] for o in again["organisations"]) == sorted(by_sector[s]["id"]
                                                                    for s in by_sector)


def test_a_changed_figure_breaks_the_signature(client, make, signing_key, last_year):
    make.org()
    document = client.get(doc_url("beijing", last_year),
                          headers=make.headers(make.user(None, role="superadmin"))).get_json()
    tampered = copy.deepcopy(document)
    tampered["totals"]["occupants"] = 1
    assert signing.verifies(document, signing_key.public_key())
    assert not signing.verifies(tampered, signing_key.public_key())


def test_without_a_signing_key_the_document_is_refused(client, make, app, monkeypatch,
                                                       tmp_path):
    monkeypatch.setitem(app.config, "EXCHANGE_SIGNING_KEY", None)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    response = client.get(doc_url("beijing", 2025),
                          headers=make.headers(make.user(None, role="superadmin")))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "signing_key_missing"


def test_keygen_writes_an_owner_only_file_and_prints_only_the_public_half(
        app, monkeypatch, tmp_path, client):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "EXCHANGE_SIGNING_KEY", None)
    result = app.test_cli_runner().invoke(args=["exchange", "keygen"])
    assert result.exit_code == 0, result.output
    path = tmp_path / signing.KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    seed = path.read_text().strip()
    assert seed not in result.output
    served = client.get("/api/v1/exchange/v1/public-key").get_json()["public_key"]
    assert f"public_key: {served}" in result.output
    again = app.test_cli_runner().invoke(args=["exchange", "keygen"])
    assert again.exit_code != 0
    assert path.read_text().strip() == seed


def test_partner_keys_must_be_raw_ed25519(client, make, session):
    coordinator = make.headers(make.user(None, role="superadmin"))
    for bad in ("not base64!", base64.b64encode(b"short").decode(), ""):
        response = client.post("/api/v1/exchange/partners", headers=coordinator,
                               json={"name": "天津", "region": "tianjin", "public_key": bad})
        assert response.status_code == 422, bad
    assert register(client, coordinator, "tianjin",
                    Ed25519PrivateKey.generate()).status_code == 201
    again = register(client, coordinator, "tianjin", Ed25519PrivateKey.generate())
    assert again.status_code == 409
    assert session.scalar(select(func.count()).select_from(ExchangePartner)) == 1


def test_only_a_verified_document_of_the_partners_region_is_kept(client, make, session,
                                                                  last_year):
    coordinator = make.headers(make.user(None, role="superadmin"))
    tianjin, hebei, stranger = (Ed25519PrivateKey.generate() for _ in range(3))
    register(client, coordinator, "tianjin", tianjin)
    register(client, coordinator, "hebei", hebei)
    good = partner_document("tianjin", last_year, tianjin)
    tampered = copy.deepcopy(good)
    tampered["organisations"][0]["indicators"]["kgce_per_m2"] = 1.0
    refused = {
        "tampered": tampered,
        "foreign key": partner_document("tianjin", last_year, stranger),
        "signed by another partner": partner_document("tianjin", last_year, hebei),
        "no partner for the region": partner_document("other", last_year, tianjin),
    }
    for name, document in refused.items():
        response = client.post("/api/v1/exchange/imports", headers=coordinator, json=document)
        assert response.status_code == 422, name
        assert response.get_json()["error"]["code"] == "signature_invalid", name
    hebei_partner = session.scalar(select(ExchangePartner.id).where(
        ExchangePartner.region == "hebei"))
    response = client.post(f"/api/v1/exchange/imports?partner_id={hebei_partner}",
                           headers=coordinator, json=good)
    assert response.status_code == 422  # a region that is not that partner's
    assert session.scalar(select(func.count()).select_from(PeerDocument)) == 0
    response = client.post("/api/v1/exchange/imports", headers=coordinator, json=good)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["institutions"] == 1


def test_other_formats_and_oversized_documents_are_refused(client, make, session, last_year):
    coordinator = make.headers(make.user(None, role="superadmin"))
    key = Ed25519PrivateKey.generate()
    register(client, coordinator, "tianjin", key)
    for document in (partner_document("tianjin", last_year, key, format="bth-exchange/2"),
                     {"format": "other"}, [1, 2]):
        response = client.post("/api/v1/exchange/imports", headers=coordinator, json=document)
        assert response.status_code == 422
    response = client.post("/api/v1/exchange/imports", headers=coordinator,
                           json={"format": "bth-exchange/2"})
    assert response.get_json()["error"]["code"] == "format_unsupported"
    extra = partner_document("tianjin", last_year, key, surprise=1)
    response = client.post("/api/v1/exchange/imports", headers=coordinator, json=extra)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    big = partner_document("tianjin", last_year, key)
    big["organisations"] = big["organisations"] * 60000
    body = json.dumps(big)
    assert len(body) > 10 * 1024 * 1024
    response = client.post("/api/v1/exchange/imports", headers={
        **coordinator, "Content-Type": "application/json"}, data=body)
    assert response.status_code == 413
    assert session.scalar(select(func.count()).select_from(PeerDocument)) == 0


def test_a_large_signed_document_under_10_mb_is_accepted(client, make, last_year):
    coordinator = make.headers(make.user(None, role="superadmin"))
    key = Ed25519PrivateKey.generate()
    register(client, coordinator, "tianjin", key)
    organisations = [{"id": f"p{i}", "sector": "school",
                      "indicators": {"kgce_per_m2": 1.5, "kgce_per_person": 2.5,
                                     "water_m3_per_person": None, "co2e_kg_per_m2": 3.5},
                      "programme": None} for i in range(3000)]
    document = partner_document("tianjin", last_year, key, organisations=organisations)
    assert len(json.dumps(document)) > 64 * 1024
    response = client.post("/api/v1/exchange/imports", headers=coordinator, json=document)
    assert response.status_code == 201, response.get_json()


def test_a_second_import_replaces_the_first_and_peers_show_in_the_region_report(
        client, make, session, last_year):
    coordinator = make.headers(make.user(None, role="superadmin"))
    key = Ed25519PrivateKey.generate()
    register(client, coordinator, "tianjin", key)
    first = partner_document("tianjin", last_year, key)
    assert client.post("/api/v1/exchange/imports", headers=coordinator,
                       json=first).status_code == 201
    second = copy.deepcopy(first)
    second.pop("signature")
    second["organisations"][0]["indicators"]["kgce_per_m2"] = 9.99
    second["organisations"].append({**second["organisations"][0], "id": "p-hospital",
                                    "sector": "hospital"})
    second = signing.sign(second, key)
    assert client.post("/api/v1/exchange/imports", headers=coordinator,
                       json=second).status_code == 201
    assert session.scalar(select(func.count()).select_from(PeerDocument)) == 1
    report = client.get(f"/api/v1/energy/region?region=beijing&year={last_year}&peers=true",
                        headers=coordinator)
    assert report.status_code == 200, report.get_json()
    peers = report.get_json()["peers"]
    assert {(p["origin"], p["id"], p["sector"]) for p in peers} == {
        ("tianjin", "p-school-1", "school"), ("tianjin", "p-hospital", "hospital")}
    assert peers[0]["indicators"]["kgce_per_m2"] == 9.99
    schools = client.get(f"/api/v1/energy/region?region=beijing&year={last_year}"
                         "&sector=school&peers=true", headers=coordinator).get_json()["peers"]
    assert [p["id"] for p in schools] == ["p-school-1"]
    plain = client.get(f"/api/v1/energy/region?region=beijing&year={last_year}",
                       headers=coordinator).get_json()
    assert "peers" not in plain


def test_no_key_secret_or_signing_seed_reaches_a_log_line(
        client, make, app, monkeypatch, tmp_path, captured_log, last_year):  # noqa: F811
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "EXCHANGE_SIGNING_KEY", None)
    assert app.test_cli_runner().invoke(args=["exchange", "keygen"]).exit_code == 0
    seed = (tmp_path / signing.KEY_FILE).read_text().strip()
    superadmin = make.user(None, role="superadmin")
    issued = client.post("/api/v1/api-keys", headers=make.headers(superadmin), json={
        "name": "天津", "region": "beijing", "scopes": ["exchange:read"]}).get_json()["key"]
    secret = issued.split("_", 2)[2]
    url = f"/api/v1/exchange/v1/region?region=beijing&year={last_year}"
    assert client.get(url, headers={"Authorization": f"ApiKey {issued}"}).status_code == 200
    assert client.get(url, headers={"Authorization": f"ApiKey {issued}x"}).status_code == 401
    text = captured_log.text
    assert text  # requests were logged
    assert secret not in text
    assert seed not in text


def test_the_console_comparison_shows_the_peers(client, make, app, last_year):
    from tests.console.conftest import PASSWORD, SignedIn

    superadmin = make.user(None, role="superadmin", password=PASSWORD)
    coordinator = make.headers(superadmin)
    key = Ed25519PrivateKey.generate()
    register(client, coordinator, "tianjin", key)
    assert client.post("/api/v1/exchange/imports", headers=coordinator,
                       json=partner_document("tianjin", last_year, key)).status_code == 201
    console = SignedIn(app.test_client(), superadmin.username)
    page = console.get(f"/console/region?region=beijing&year={last_year}")
    assert page.status_code == 200
    assert 'data-peer="p-school-1"' in page.text
    assert "12.35" in page.text
    earlier = console.get(f"/console/region?region=beijing&year={last_year - 1}")
    assert 'data-peer="p-school-1"' not in earlier.text
