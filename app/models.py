"""Identity and organisations: regions, organisations, teams, users, tokens, invites, audit."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import now_utc
from app.db import UTCDateTime
from app.extensions import db

REGIONS = ("beijing", "tianjin", "hebei", "other")
SECTORS = ("government", "school", "hospital", "other")
ROLES = ("staff", "organizer", "admin", "superadmin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}

REGION_NAMES = {"beijing": ("北京", "Beijing"), "tianjin": ("天津", "Tianjin"),
                "hebei": ("河北", "Hebei"), "other": ("其他", "Other")}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK[role] >= ROLE_RANK[minimum]


def fresh_rules_stamp() -> int:
    """A new value of `Organisation.campaign_rules_stamp`: random, so an organisation id
    used again (a rolled-back test) never meets a stamp some worker still holds."""
    return secrets.randbits(62)


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("headcount >= 0", name="headcount_non_negative"),
        CheckConstraint("floor_area_m2 >= 0", name="floor_area_non_negative"),
        CheckConstraint("event_approval_points >= 0", name="event_approval_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(32), index=True)
    sector: Mapped[str] = mapped_column(String(32))
    headcount: Mapped[int] = mapped_column(Integer)
    floor_area_m2: Mapped[int] = mapped_column(Integer, default=0)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # An open day worth more points than this needs an admin's approval before check-ins.
    event_approval_points: Mapped[int] = mapped_column(Integer, default=50)
    # Changes whenever a campaign covering the organisation is created or edited: a worker's
    # cached campaign rules (campaigns/effects.py) hold while it matches the row every
    # request reads, so every worker sees a change at its next request.
    campaign_rules_stamp: Mapped[int] = mapped_column(BigInteger, default=fresh_rules_stamp,
                                                      server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Team(db.Model):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('staff','organizer','admin','superadmin')", name="role_known"),
        Index("ix_users_org_team", "org_id", "team_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    employee_no: Mapped[str | None] = mapped_column(String(64))
    show_on_leaderboard: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    wechat_openid: Mapped[str | None] = mapped_column(String(128), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # In every access token (`ver`); raised by a password change or a logout of every
    # session, which ends every access token issued before it.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Read-only: loaded with the user on every request (app/auth.py), which also keeps the
    # row in the session so `session.get(Organisation, user.org_id)` costs no query.
    organisation: Mapped[Organisation | None] = relationship(viewonly=True)

    @property
    def enrolled(self) -> bool:
        return self.org_id is not None


# `BJ_ADMIN` beside `bj_admin` would be two people nobody can tell apart.
Index("uq_users_username_lower", func.lower(User.username), unique=True)


class RefreshToken(db.Model):
    """One issued refresh token; a family is every token rotated from one login."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Invite(db.Model):
    __tablename__ = "invites"
    __table_args__ = (
        CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses_within_max"),
        CheckConstraint("max_uses >= 1", name="max_uses_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    code: Mapped[str] = mapped_column(String(32), unique=True)
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class AuditEntry(db.Model):
    """Who changed what, from where; written in the same transaction as the change."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_org_id_id", "org_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class IdempotencyKey(db.Model):
    """A client's retry key and the first outcome it produced, replayed on retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="in_progress")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class RateCounter(db.Model):
    """A fixed-window rate limit counter shared by every worker and node when Redis is away."""

    __tablename__ = "rate_counters"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_no: Mapped[int] = mapped_column(Integer)  # epoch seconds // window length
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(Integer, index=True)  # epoch seconds
