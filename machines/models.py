"""API keys of machine clients, partner regions and the peer documents imported from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now_utc
from app.db import UTCDateTime
from app.extensions import db


class ApiKey(db.Model):
    """A machine client's key: only its public id and the SHA-256 of its secret are kept."""

    __tablename__ = "api_keys"
    __table_args__ = (
        # An organisation key (energy:write) or a region key (exchange:read), never both.
        CheckConstraint("(org_id IS NULL) <> (region IS NULL)", name="org_or_region"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    region: Mapped[str | None] = mapped_column(String(32), index=True)
    scopes: Mapped[list] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExchangePartner(db.Model):
    """Another region's platform and the Ed25519 key its documents are signed with."""

    __tablename__ = "exchange_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(32), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class PeerDocument(db.Model):
    """A verified exchange document of a partner: one per (region, year), the latest wins."""

    __tablename__ = "peer_documents"
    __table_args__ = (UniqueConstraint("region", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("exchange_partners.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    issuer: Mapped[str] = mapped_column(String(200))
    generated_at: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict] = mapped_column(JSON)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class MeterReading(db.Model):
    """One push of a meter gateway: a register value (cumulative) or an interval quantity,
    and what it booked. One per (organisation, meter, time): a repeat is the same push."""

    __tablename__ = "meter_readings"
    __table_args__ = (
        UniqueConstraint("org_id", "meter_id", "read_at"),
        CheckConstraint("consumed_milli >= 0", name="consumed_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    meter_id: Mapped[str] = mapped_column(String(64))
    carrier: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    register_value: Mapped[str | None] = mapped_column(String(40))  # decimal text, in `unit`
    register_milli: Mapped[int | None] = mapped_column(BigInteger)  # in the base unit
    interval_quantity: Mapped[str | None] = mapped_column(String(40))
    consumed_milli: Mapped[int] = mapped_column(BigInteger)  # booked, in the base unit
    booked: Mapped[list] = mapped_column(JSON)  # [{period, milli, reading_id}]
    flags: Mapped[list] = mapped_column(JSON)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
