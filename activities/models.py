"""Logged behaviours and the per-day usage rows that keep daily caps exact.

An activity keeps every input of its numbers (quantity, credited quantity, region,
factor version, per-unit grams, multiplier), so its grams and points can always be
explained and restated; they are never recomputed in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
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

STATUSES = ("accepted", "voided")
REVIEW_RULES = ("outlier_quantity", "cap_streak", "long_trips")
REVIEW_STATUSES = ("open", "accepted", "voided")
QUANTITY = Numeric(12, 3)


class Activity(db.Model):
    """One logged behaviour of one person, credited in the transaction that stored it."""

    __tablename__ = "activities"
    __table_args__ = (
        # A phone's retry key: the same client_id twice is the same activity.
        UniqueConstraint("user_id", "client_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("credited_quantity >= 0 AND credited_quantity <= quantity",
                        name="credited_within_quantity"),
        CheckConstraint("co2e_saved_g >= 0", name="co2e_non_negative"),
        CheckConstraint("points >= 0", name="points_non_negative"),
        CheckConstraint("base_points >= 0", name="base_points_non_negative"),
        CheckConstraint("status IN ('accepted','voided')", name="status_known"),
        Index("ix_activities_user_id_occurred_at_id", "user_id", "occurred_at", "id"),
        Index("ix_activities_org_id_local_date", "org_id", "local_date"),
        Index("ix_activities_campaign_id", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # The team the person was in when logging: contributions stay with it after a move.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    type: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    # The part of `quantity` that counted under the daily cap (grams come from this).
    credited_quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The organisation-local calendar day of occurred_at: caps, rollups and factor choice.
    local_date: Mapped[date] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(32))
    factor_version: Mapped[str] = mapped_column(String(32))
    per_unit_saved_g: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    co2e_saved_g: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    # Points before the campaign multiplier: what the entry added to its day's usage row.
    base_points: Mapped[int] = mapped_column(Integer, default=0)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    # The organisation's grams per point when it was logged (NULL: logged before policies).
    grams_per_point: Mapped[int | None] = mapped_column(Integer)
    # True: the monthly earn cap left this entry fewer points than its grams earned.
    points_capped: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    multiplier: Mapped[Decimal] = mapped_column(Numeric(8, 3), default=Decimal(1))
    client_id: Mapped[str | None] = mapped_column(String(64))
    # Fingerprint of the request body, to tell a replay from a reused client_id.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ActivityDailyUsage(db.Model):
    """Quantity and points of one behaviour credited to one person on one local day.

    The row is upserted and locked before an entry is credited, so concurrent
    entries queue on it: together they never credit more than the daily cap, and
    exactly one of them is the day's first (the only one earning the minimum points).
    """

    __tablename__ = "activity_daily_usage"
    __table_args__ = (CheckConstraint("used_milli >= 0", name="used_non_negative"),
                      CheckConstraint("base_points >= 0", name="base_points_non_negative"))

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # Thousandths of a unit, an integer: SQLite keeps NUMERIC as a float, and a running
    # sum of floats must never drift across the cap or below zero.
    used_milli: Mapped[int] = mapped_column(Integer, default=0)
    # Points before campaign multipliers (what `entry_points` compares with the day's grams).
    base_points: Mapped[int] = mapped_column(Integer, default=0)


class ActivityRollup(db.Model):
    """Carbon, points and count of one behaviour for one team on one local day.

    Maintained in the same transaction as every activity and void, so reports read a
    few rows per organisation and day whatever the number of raw activities;
    `flask rollups rebuild` recomputes them from the activities. A void leaves a row at
    zero rather than deleting it (a rebuild writes no such rows).
    """

    __tablename__ = "activity_rollups"
    __table_args__ = (
        CheckConstraint("activities >= 0", name="activities_non_negative"),
        CheckConstraint("co2e_g >= 0", name="co2e_non_negative"),
    )

    # Organisation and day first: every report reads a range of days of organisations.
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # team_id or 0: a primary key cannot hold NULL.
    team_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    activities: Mapped[int] = mapped_column(Integer, default=0)
    co2e_g: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)


class ActivityMonthlyRollup(db.Model):
    """Carbon, points and count of one behaviour in one local month of an organisation.

    The month-grained twin of `ActivityRollup`, moved with it: a yearly report reads at
    most 24 months x behaviours rows per organisation instead of every day and team of two
    years. A void leaves a row at zero, like the daily one.
    """

    __tablename__ = "activity_monthly_rollups"
    __table_args__ = (
        CheckConstraint("activities >= 0", name="activities_non_negative"),
        CheckConstraint("co2e_g >= 0", name="co2e_non_negative"),
    )

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    # The first day of the organisation-local month.
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    activities: Mapped[int] = mapped_column(Integer, default=0)
    co2e_g: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)


class MonthlyParticipant(db.Model):
    """How many accepted activities one person has in one local month of their organisation.

    Active users of a month are the rows with activities > 0: counted from at most
    headcount rows per month, never from the raw activities. A void takes its activity
    back and keeps the row, so someone whose every activity of the month was voided
    still has a row, with activities = 0: not active. Readers must filter on > 0.
    """

    __tablename__ = "monthly_participants"
    __table_args__ = (
        CheckConstraint("activities >= 0", name="activities_non_negative"),
        # A person's months of a year, read under their lock when they log (which months
        # and years they are already counted in, `OrgActivePeople`).
        Index("ix_monthly_participants_user_id_month", "user_id", "month"),
    )

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    # The first day of the organisation-local month.
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    activities: Mapped[int] = mapped_column(Integer, default=0)


SPANS = ("month", "year")


class OrgActivePeople(db.Model):
    """How many people have an accepted activity in one local month or year of an
    organisation: the report's active users, read as one row instead of counted.

    Moved with `MonthlyParticipant`: a person counts in a month when their row there
    leaves zero and stops counting when a void brings it back to zero; in a year while any
    of its months counts them. Written with the other rows shared by an organisation, last
    (`app.shared_rows.LOCK_ORDER`); `flask rollups rebuild` recounts it from
    `MonthlyParticipant`.
    """

    __tablename__ = "org_active_people"
    __table_args__ = (
        CheckConstraint("people >= 0", name="people_non_negative"),
        CheckConstraint("span IN ('month','year')", name="span_known"),
    )

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    # The first day of the organisation-local month or year.
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    span: Mapped[str] = mapped_column(String(5), primary_key=True)
    people: Mapped[int] = mapped_column(Integer, default=0)


class ActivityReview(db.Model):
    """A self-reported entry flagged by a review rule, waiting for (or given) a decision.

    One review per activity (the first rule that matched). Decided once: the decision is
    a conditional update from `open`, so two admins deciding at once cannot both win.
    """

    __tablename__ = "activity_reviews"
    __table_args__ = (
        UniqueConstraint("activity_id"),
        CheckConstraint("status IN ('open','accepted','voided')", name="status_known"),
        CheckConstraint("rule IN ('outlier_quantity','cap_streak','long_trips')",
                        name="rule_known"),
        CheckConstraint("shortfall_points >= 0", name="shortfall_non_negative"),
        Index("ix_activity_reviews_org_id_status_id", "org_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rule: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    # Points of a voided entry already spent: the balance went to zero, this was missing.
    shortfall_points: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


@dataclass(slots=True)
class NewActivity:
    """An accepted entry as written: the fields of its `activities` row (an `Activity` to
    read), its id set when the write returns. Plain, not mapped: building, adding and
    detaching an ORM instance per entry cost a batch of 20 about a tenth of its Python,
    and the row is only answered, never changed, by the request that writes it."""

    user_id: int
    org_id: int
    team_id: int | None
    type: str
    quantity: Decimal
    credited_quantity: Decimal
    occurred_at: datetime
    local_date: date
    region: str
    factor_version: str
    per_unit_saved_g: Decimal
    co2e_saved_g: int
    points: int
    base_points: int
    capped: bool
    grams_per_point: int | None
    points_capped: bool
    campaign_id: int | None
    multiplier: Decimal
    client_id: str | None
    request_hash: str
    note: str | None
    created_at: datetime
    status: str = "accepted"
    voided_at: datetime | None = None
    id: int | None = None
