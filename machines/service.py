"""The exchange's service functions that routes call: the signed document, the public key."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from app.errors import Forbidden
from energy.factors import EnergyMethods
from machines import signing
from machines.document import build_document
from machines.models import ApiKey


@dataclass(frozen=True)
class ExchangeSettings:
    issuer: str
    pseudonym_secret: bytes
    private_key: Ed25519PrivateKey
    methods: EnergyMethods


def pseudonym_secret(config) -> bytes:
    """EXCHANGE_PSEUDONYM_SECRET, else one derived from SECRET_KEY (set the former so that
    pseudonyms survive a SECRET_KEY rotation)."""
    explicit = config.get("EXCHANGE_PSEUDONYM_SECRET")
    if explicit:
        return explicit.encode()
    return hmac.new(config["SECRET_KEY"].encode(), b"bth-exchange-pseudonym",
                    hashlib.sha256).digest()


def signed_region_document(session: Session, key: ApiKey | None, region: str, year: int,
                           now: datetime, settings: ExchangeSettings) -> dict:
    """The region's year, signed; a region key reads its own region only."""
    if key is not None and key.region != region:
        raise Forbidden("api_key_scope")
    document = build_document(session, region, year, now, issuer=settings.issuer,
                              pseudonym_secret=settings.pseudonym_secret,
                              methods=settings.methods)
    return signing.sign(document, settings.private_key)


def public_key_view(private: Ed25519PrivateKey) -> dict:
    public = private.public_key()
    return {"alg": signing.ALG, "key_id": signing.key_id_of(public),
            "public_key": signing.public_key_b64(public)}
