"""HTTP routes of API keys and the exchange: auth, parse, one service call, dump."""

from __future__ import annotations

import json

from flask import current_app, request

from app import metrics
from app.auth import authenticated, client_ip, current_user
from app.clock import now_utc
from app.errors import ApiError
from app.extensions import db
from app.json_body import loads_strict, request_body
from app.openapi import Blueprint
from app.pagination import PageQuery, paginate_newest_first
from app.schemas import page_of
from app.service import organisation_for
from machines import exchange, keys, meters, service, signing
from machines.auth import current_key, key_or_user, key_required
from machines.models import ExchangePartner
from machines.schemas import (
    ApiKeyOut,
    ApiKeyPage,
    ExchangeDocumentOut,
    ImportOut,
    ImportQuery,
    IssuedKeyOut,
    MeterReadingIn,
    MeterReadingOut,
    OrgKeyIn,
    PartnerIn,
    PartnerOut,
    PeersOut,
    PeersQuery,
    PublicKeyOut,
    RegionDocQuery,
    RegionKeyIn,
)

blp = Blueprint("machines", __name__, url_prefix="/api/v1",
                description="API 密钥与区域数据交换 (machine clients and regional data sharing)")
PUBLIC = [{}]
KEY_AUTH = [{"apiKeyAuth": []}, {"bearerAuth": []}]
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class SigningKeyMissing(ApiError):
    status, code = 503, "signing_key_missing"


def _private_key():
    try:
        return signing.load_private_key(current_app.config, current_app.instance_path)
    except signing.SigningKeyMissing as exc:
        raise SigningKeyMissing() from exc


def _settings() -> service.ExchangeSettings:
    config = current_app.config
    return service.ExchangeSettings(config["EXCHANGE_ISSUER"],
                                    service.pseudonym_secret(config), _private_key(),
                                    current_app.extensions["energy_methods"])


# --- API keys ----------------------------------------------------------------------------

@blp.route("/orgs/<int:org_id>/api-keys", methods=["POST"])
@authenticated("admin")
@blp.arguments(OrgKeyIn)
@blp.response(201, IssuedKeyOut)
def create_org_key(data, org_id):
    """Admin: a meter gateway's key (scope `energy:write`); the key is shown once."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    issued = keys.issue_org_key(db.session, current_user(), org, data, now_utc(), client_ip())
    db.session.commit()
    return issued


@blp.route("/orgs/<int:org_id>/api-keys", methods=["GET"])
@authenticated("admin")
@blp.arguments(PageQuery, location="query")
@blp.response(200, ApiKeyPage)
def list_org_keys(query, org_id):
    """Admin: the organisation's keys (never their secrets)."""
    organisation_for(db.session, current_user(), org_id, "admin")
    return keys.list_keys(db.session, org_id, query["limit"], query["cursor"])


@blp.route("/api-keys", methods=["POST"])
@authenticated("superadmin")
@blp.arguments(RegionKeyIn)
@blp.response(201, IssuedKeyOut)
def create_region_key(data):
    """Coordinator: a region key (scope `exchange:read`); the key is shown once."""
    issued = keys.issue_region_key(db.session, current_user(), data, now_utc(), client_ip())
    db.session.commit()
    return issued


@blp.route("/api-keys", methods=["GET"])
@authenticated("superadmin")
@blp.arguments(PageQuery, location="query")
@blp.response(200, ApiKeyPage)
def list_region_keys(query):
    """Coordinator: the region keys."""
    return keys.list_keys(db.session, None, query["limit"], query["cursor"])


@blp.route("/api-keys/<int:key_id>", methods=["DELETE"])
@authenticated("admin")
@blp.response(200, ApiKeyOut)
def revoke_key(key_id):
    """Revoke a key at once (its organisation's admin, or the coordinator)."""
    key = keys.revoke_key(db.session, current_user(), key_id, now_utc(), client_ip())
    db.session.commit()
    return keys.key_view(key)


# --- the exchange ------------------------------------------------------------------------

@blp.route("/exchange/v1/public-key", methods=["GET"])
@blp.doc(security=PUBLIC)
@blp.response(200, PublicKeyOut)
def public_key():
    """The deployment's Ed25519 verification key (base64 of the raw 32 bytes)."""
    return service.public_key_view(_private_key())


@blp.route("/exchange/v1/region", methods=["GET"])
@key_or_user("exchange:read", "superadmin")
@blp.doc(security=KEY_AUTH)
@blp.arguments(RegionDocQuery, location="query")
@blp.response(200, ExchangeDocumentOut)
def region_document(query):
    """The region's signed `bth-exchange/1` document (docs/exchange-format.schema.json)."""
    return service.signed_region_document(db.session, current_key(), query["region"],
                                          query["year"], now_utc(), _settings())


@blp.route("/exchange/partners", methods=["POST"])
@authenticated("superadmin")
@blp.arguments(PartnerIn)
@blp.response(201, PartnerOut)
def add_partner(data):
    """Coordinator: register a partner region and its verification key."""
    partner = exchange.register_partner(db.session, current_user(), data, now_utc(),
                                        client_ip())
    db.session.commit()
    return partner


@blp.route("/exchange/partners", methods=["GET"])
@authenticated("superadmin")
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(PartnerOut))
def list_partners(query):
    """Coordinator: the registered partners."""
    from sqlalchemy import select

    return paginate_newest_first(db.session, select(ExchangePartner), ExchangePartner.id,
                                 query["limit"], query["cursor"])


@blp.route("/exchange/imports", methods=["POST"])
@authenticated("superadmin")
@blp.arguments(ImportQuery, location="query")
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "a bth-exchange/1 document (at most 10 MB)"}}}})
@blp.response(201, ImportOut)
def import_document(query):
    """Coordinator: import a partner's signed document; verified, then kept as peer data."""
    request.max_content_length = MAX_DOCUMENT_BYTES
    try:
        document = loads_strict(request_body(request))
    except json.JSONDecodeError as exc:
        raise ApiError("invalid_json") from exc
    row = exchange.import_document(db.session, current_user(), document, now_utc(),
                                   query["partner_id"], client_ip())
    db.session.commit()
    return row


@blp.route("/exchange/peers", methods=["GET"])
@authenticated("superadmin")
@blp.arguments(PeersQuery, location="query")
@blp.response(200, PeersOut)
def list_peers(query):
    """Coordinator: the partners' institutions of a year (`?sector=` to narrow)."""
    return {"year": query["year"],
            "peers": exchange.peers(db.session, query["year"], query["sector"])}


# --- meter gateways ----------------------------------------------------------------------

@blp.route("/energy/meter-readings", methods=["POST"])
@key_required("energy:write")
@blp.doc(security=[{"apiKeyAuth": []}])
@blp.arguments(MeterReadingIn)
@blp.response(201, MeterReadingOut)
@blp.alt_response(200, schema=MeterReadingOut, description="a repeat of a stored push")
def push_meter_reading(data):
    """Meter gateway (key `energy:write`): a register reading or an interval quantity,
    booked into the month's reading (`source: meter`); idempotent per (meter_id, read_at)."""
    methods = current_app.extensions["energy_methods"]
    row, created = meters.push_reading(db.session, current_key(), methods,
                                       meters.Push(**data), now_utc())
    db.session.commit()
    if created:
        metrics.ENERGY_READINGS.inc()
    body = meters.meter_reading_out(row, methods.latest.carriers[row.carrier])
    return body, 201 if created else 200
