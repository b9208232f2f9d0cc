"""Partners and imports: a partner's document is kept only when its own key signed it."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from marshmallow import fields, validate
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import record_audit
from app.errors import Conflict, Unprocessable
from app.models import REGIONS, SECTORS, User
from machines import signing
from machines.document import FORMAT, INDICATORS, TOTALS
from machines.models import ExchangePartner, PeerDocument


def register_partner(session: Session, actor: User, data: dict, now: datetime,
                     ip: str | None = None) -> ExchangePartner:
    try:
        signing.load_public_key(data["public_key"])
    except ValueError as exc:
        raise Unprocessable(details={"public_key": [
            "须为 Ed25519 公钥 32 字节的 base64 (base64 of a raw 32-byte Ed25519 key)"]}) from exc
    partner = ExchangePartner(name=data["name"], region=data["region"],
                              public_key=data["public_key"], created_by=actor.id,
                              created_at=now)
    try:
        with session.begin_nested():
            session.add(partner)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("partner_exists", details={"region": [data["region"]]}) from exc
    record_audit(session, actor, "exchange.partner_add", "exchange_partner", partner.id,
                 {"name": partner.name, "region": partner.region}, ip=ip)
    return partner


def _nullable_number(**kwargs):
    return fields.Float(allow_none=True, allow_nan=False, **kwargs)


class _Figures(ma.Schema):
    class Meta:
        unknown = ma.RAISE  # a field we do not know is a format we do not speak


IndicatorsDoc = _Figures.from_dict({name: _nullable_number(required=True)
                                    for name in INDICATORS}, name="IndicatorsDoc")
TotalsDoc = _Figures.from_dict({name: _nullable_number(required=True) for name in TOTALS},
                               name="TotalsDoc")


class ProgrammeDoc(_Figures):
    participants = fields.Integer(required=True, strict=True,
                                  validate=validate.Range(min=10))
    co2e_saved_kg = _nullable_number(required=True)
    participation_rate = _nullable_number(required=True)


class OrganisationDoc(_Figures):
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    sector = fields.String(required=True, validate=validate.OneOf(SECTORS))
    indicators = fields.Nested(IndicatorsDoc, required=True)
    programme = fields.Nested(ProgrammeDoc, required=True, allow_none=True)


class SignatureDoc(_Figures):
    alg = fields.String(required=True, validate=validate.Equal(signing.ALG))
    key_id = fields.String(required=True)
    value = fields.String(required=True)


class ExchangeDoc(_Figures):
    """`bth-exchange/1` as docs/exchange-format.schema.json describes it."""

    format = fields.String(required=True, validate=validate.Equal(FORMAT))
    region = fields.String(required=True, validate=validate.OneOf(REGIONS))
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    generated_at = fields.AwareDateTime(required=True, format="iso")
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=200))
    factor_version = fields.String(required=True, allow_none=True)
    totals = fields.Nested(TotalsDoc, required=True)
    organisations = fields.List(fields.Nested(OrganisationDoc), required=True)
    signature = fields.Nested(SignatureDoc, required=True)


def check_document(document) -> None:
    """422 `format_unsupported` for another format or version, else the shape (422)."""
    if not isinstance(document, dict):
        raise Unprocessable(details={"_body": ["须为 JSON 对象 (must be a JSON object)"]})
    if document.get("format") != FORMAT:
        raise Unprocessable("format_unsupported", details={"format": [f"只支持 {FORMAT}"]})
    errors = ExchangeDoc().validate(document)
    if errors:
        raise Unprocessable(details=errors)


def import_document(session: Session, actor: User, document, now: datetime,
                    partner_id: int | None = None, ip: str | None = None) -> PeerDocument:
    """Verify against the partner registered for the document's region (or the named
    partner, whose region it must be), then keep it in place of that region's year."""
    check_document(document)
    partner = session.scalar(select(ExchangePartner).where(
        ExchangePartner.region == document["region"]))
    if partner is None or (partner_id is not None and partner.id != partner_id):
        raise Unprocessable("signature_invalid")
    if not signing.verifies(document, signing.load_public_key(partner.public_key)):
        raise Unprocessable("signature_invalid")
    session.execute(delete(PeerDocument).where(PeerDocument.region == document["region"],
                                               PeerDocument.year == document["year"]))
    row = PeerDocument(partner_id=partner.id, region=document["region"],
                       year=document["year"], issuer=document["issuer"],
                       generated_at=document["generated_at"], document=document,
                       imported_by=actor.id, imported_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:  # the same region and year imported at the same moment
        raise Conflict() from exc
    record_audit(session, actor, "exchange.import", "peer_document", row.id,
                 {"region": row.region, "year": row.year, "issuer": row.issuer}, ip=ip)
    return row


def peers(session: Session, year: int, sector: str | None = None,
          exclude_region: str | None = None) -> list[dict]:
    """Institutions of the partners' documents of `year`: `{origin, id, sector, indicators}`."""
    stmt = select(PeerDocument).where(PeerDocument.year == year).order_by(PeerDocument.region)
    if exclude_region is not None:
        stmt = stmt.where(PeerDocument.region != exclude_region)
    rows = []
    for doc in session.scalars(stmt):
        for org in doc.document["organisations"]:
            if sector is None or org["sector"] == sector:
                rows.append({"origin": doc.region, "id": org["id"], "sector": org["sector"],
                             "indicators": org["indicators"]})
    return rows
