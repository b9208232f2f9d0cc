"""Points ledger models. Integers only; rows are appended, never updated or deleted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, now_utc
from app.extensions import db

LEDGER_KINDS = ("earn", "redeem", "refund", "adjust", "bonus", "expire")
# Kinds that count as earning: boards rank on these, so spending never lowers a place.
EARNING_KINDS = frozenset({"earn", "adjust", "bonus"})


class PointsAccount(db.Model):
    """A user's running balance and lifetime earnings, moved with each ledger entry."""

    __tablename__ = "points_accounts"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        CheckConstraint("earned_total >= 0", name="earned_non_negative"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)
    earned_total: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class LedgerEntry(db.Model):
    """One movement of points. `(source_type, source_id)` makes every credit idempotent."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("source_type", "source_id"),
        CheckConstraint(
            "kind IN ('earn','redeem','refund','adjust','bonus','expire')", name="kind_known"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        Index("ix_ledger_entries_user_id_id", "user_id", "id"),
        Index("ix_ledger_entries_org_id_created_at", "org_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # The team the person belonged to when the points moved (boards stay honest after moves).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    delta: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    balance_after: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    @property
    def ref(self) -> str:
        return f"{self.source_type}:{self.source_id}"


class DailyContribution(db.Model):
    """What one person contributed on one local day, for the team they were in then.

    Maintained in the same transaction as every activity, void, adjustment and
    check-in; boards, summaries and streaks read these few rows instead of raw
    activities. Moving teams starts a new row, so history stays with the old team.
    """

    __tablename__ = "daily_contributions"
    __table_args__ = (
        UniqueConstraint("user_id", "team_key", "day"),
        Index("ix_daily_contributions_org_id_day", "org_id", "day"),
        Index("ix_daily_contributions_team_id_day", "team_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    # team_id or 0: a unique key cannot rely on NULLs being equal.
    team_key: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    co2e_g: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)
