"""Campaigns, their open-day events and check-ins.

A campaign covers one organisation or a whole region (exactly one of the two). Its
multipliers are Decimals with two places between 1 and 5; times are [starts_at, ends_at).
An event's `checkins` counter only moves by a conditional UPDATE against `max_checkins`,
and a person checks in once per event by the unique (event_id, user_id).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now_utc
from app.db import UTCDateTime
from app.extensions import db

MULTIPLIER = Numeric(4, 2)


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("(org_id IS NULL) <> (region IS NULL)", name="one_scope"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("multiplier >= 1 AND multiplier <= 5", name="multiplier_in_range"),
        CheckConstraint("goal_co2e_g IS NULL OR goal_co2e_g >= 0", name="goal_non_negative"),
        Index("ix_campaigns_org_id_starts_at", "org_id", "starts_at"),
        Index("ix_campaigns_region_starts_at", "region", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    region: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(4000), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    multiplier: Mapped[Decimal] = mapped_column(MULTIPLIER, default=Decimal(1))
    # behaviour key -> multiplier as a string with two places ("2.00").
    activity_multipliers: Mapped[dict] = mapped_column(JSON, default=dict)
    goal_co2e_g: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class CampaignEvent(db.Model):
    """An open day inside a campaign: a window, points and a check-in code for the poster."""

    __tablename__ = "campaign_events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("points >= 0", name="points_non_negative"),
        CheckConstraint("max_checkins >= 1", name="max_checkins_positive"),
        CheckConstraint("checkins >= 0 AND checkins <= max_checkins", name="checkins_within_max"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    points: Mapped[int] = mapped_column(Integer)
    max_checkins: Mapped[int] = mapped_column(Integer)
    checkins: Mapped[int] = mapped_column(Integer, default=0)
    checkin_code: Mapped[str] = mapped_column(String(16), unique=True)
    # Worth more than the organisation's event_approval_points: nobody checks in before
    # an admin approves it (approved_at set).
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Checkin(db.Model):
    """One person at one event; the unique pair is what makes a check-in happen once."""

    __tablename__ = "campaign_checkins"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("campaign_events.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    points: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
