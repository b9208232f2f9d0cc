"""Request and response schemas of API keys and the exchange."""

from __future__ import annotations

from marshmallow import fields, validate

from app.models import REGIONS
from app.schemas import Schema, aware_datetime, name_field, page_of


class OrgKeyIn(Schema):
    name = name_field()
    scopes = fields.List(fields.String(), required=True,
                         metadata={"example": ["energy:write"]})
    expires_at = aware_datetime(load_default=None, allow_none=True)


class RegionKeyIn(OrgKeyIn):
    region = fields.String(required=True, validate=validate.OneOf(REGIONS))
    scopes = fields.List(fields.String(), required=True,
                         metadata={"example": ["exchange:read"]})


class ApiKeyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    org_id = fields.Integer(allow_none=True)
    region = fields.String(allow_none=True)
    scopes = fields.List(fields.String())
    prefix = fields.String(metadata={"description": "the key's public part, to recognise it"})
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class IssuedKeyOut(ApiKeyOut):
    key = fields.String(metadata={"description": "shown once: send as `Authorization: ApiKey "
                                                "<key>`"})


ApiKeyPage = page_of(ApiKeyOut)


class PartnerIn(Schema):
    name = name_field()
    region = fields.String(required=True, validate=validate.OneOf(REGIONS))
    public_key = fields.String(required=True, validate=validate.Length(max=64),
                               metadata={"description": "base64 of the raw 32-byte Ed25519 "
                                                        "public key"})


class PartnerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    region = fields.String()
    public_key = fields.String()
    created_at = fields.DateTime()


class PublicKeyOut(Schema):
    alg = fields.String()
    key_id = fields.String()
    public_key = fields.String()


class RegionDocQuery(Schema):
    region = fields.String(required=True, validate=validate.OneOf(REGIONS))
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))


class ImportQuery(Schema):
    partner_id = fields.Integer(load_default=None)


class ImportOut(Schema):
    id = fields.Integer()
    partner_id = fields.Integer()
    region = fields.String()
    year = fields.Integer()
    issuer = fields.String()
    generated_at = fields.String()
    imported_at = fields.DateTime()
    institutions = fields.Function(lambda row: len(row.document["organisations"]))


class PeersQuery(Schema):
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))
    sector = fields.String(load_default=None)


class ExchangePeerOut(Schema):
    origin = fields.String()
    id = fields.String()
    sector = fields.String()
    indicators = fields.Dict()


class PeersOut(Schema):
    year = fields.Integer()
    peers = fields.List(fields.Nested(ExchangePeerOut))


class ExchangeDocumentOut(Schema):
    """`bth-exchange/1` (docs/exchange-format.schema.json has every member)."""

    format = fields.String(metadata={"example": "bth-exchange/1"})
    region = fields.String()
    year = fields.Integer()
    generated_at = fields.String()
    issuer = fields.String()
    factor_version = fields.String(allow_none=True)
    totals = fields.Dict()
    organisations = fields.List(fields.Dict())
    signature = fields.Dict()


class MeterReadingIn(Schema):
    meter_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    carrier = fields.String(required=True, validate=validate.Length(max=32))
    unit = fields.String(required=True, validate=validate.Length(max=16))
    read_at = aware_datetime(required=True)
    # Raw: a value that is not a number is the service's 422 on the field, like a reading's
    register_value = fields.Raw(load_default=None, metadata={
        "type": "number", "description": "cumulative register, in `unit`"})
    interval_quantity = fields.Raw(load_default=None, metadata={
        "type": "number", "description": "use since the meter's previous reading, in `unit`"})


class BookedOut(Schema):
    period = fields.String()
    reading_id = fields.Integer()
    quantity = fields.Float(metadata={"description": "in the carrier's base unit"})


class MeterReadingOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    meter_id = fields.String()
    carrier = fields.String()
    unit = fields.String()
    read_at = fields.DateTime()
    register_value = fields.Float(allow_none=True)
    interval_quantity = fields.Float(allow_none=True)
    consumption = fields.Float(metadata={"description": "booked, in `base_unit`"})
    base_unit = fields.String()
    booked = fields.List(fields.Nested(BookedOut))
    flags = fields.List(fields.Dict())
