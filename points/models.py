"""Points models, integers only.

Ledger entries and stock movements are append-only (a correction is a new entry). The
rows derived from them (accounts, daily contributions, organisation points per day) and
rewards and redemptions change in place, by conditional updates, and the rollups can be
rebuilt from the ledger.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now_utc
from app.db import UTCDateTime
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


class OrgDailyPoints(db.Model):
    """Points issued and redeemed in one organisation on one local day, for reports.

    Maintained by the ledger writer in the same transaction as each entry: `issued` sums
    the earning kinds (earn, adjust, bonus; a void's compensation lowers it), `redeemed`
    the points spent on rewards net of refunds. Expiries count in neither. The day is
    the organisation-local date of the entry's created_at.
    """

    __tablename__ = "org_daily_points"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    redeemed: Mapped[int] = mapped_column(BigInteger, default=0)


# --- rewards and redemptions ----------------------------------------------------------

REDEMPTION_STATUSES = ("pending", "fulfilled", "cancelled")
# Redemptions that hold a unit of stock and count towards a person's limit.
LIVE_STATUSES = ("pending", "fulfilled")


class Reward(db.Model):
    """An item of an organisation's catalogue. `stock` is what is left to redeem.

    Stock moves only by single conditional statements (redeem: `stock > 0`; admin
    changes: `stock + delta >= 0`; cancellation: `+1`), and the CHECK stands behind them.
    """

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("cost_points > 0", name="cost_positive"),
        CheckConstraint("failed_pickup_attempts >= 0", name="failed_pickup_non_negative"),
        CheckConstraint("per_user_limit IS NULL OR per_user_limit >= 1",
                        name="per_user_limit_positive"),
        CheckConstraint("available_from IS NULL OR available_until IS NULL "
                        "OR available_from < available_until", name="window_ordered"),
        Index("ix_rewards_org_id_id", "org_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000), default="")
    cost_points: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    per_user_limit: Mapped[int | None] = mapped_column(Integer)
    available_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    image_url: Mapped[str | None] = mapped_column(String(500))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    @property
    def stock_remaining(self) -> int:
        return self.stock

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class RewardStockMovement(db.Model):
    """Stock put in or taken out by an admin, with a reason (the initial stock is one).

    Invariant: a reward's movements sum to its stock plus its live redemptions.
    """

    __tablename__ = "reward_stock_movements"
    __table_args__ = (
        CheckConstraint("stock_after >= 0", name="stock_after_non_negative"),
        Index("ix_reward_stock_movements_reward_id_id", "reward_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    delta: Mapped[int] = mapped_column(Integer)
    stock_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


# Wrong pickup codes a pending redemption takes before it is locked (6 characters of 31:
# guessing one takes ~887 million tries; five keep the counter from trying at all).
MAX_PICKUP_FAILURES = 5


class Redemption(db.Model):
    """A person's claim on one unit of a reward, paid with points, collected with a code.

    The pickup code is unique among the organisation's pending redemptions (a partial
    unique index on both engines), so a code read out at the counter names one claim.
    """

    __tablename__ = "redemptions"
    __table_args__ = (
        CheckConstraint("status IN ('pending','fulfilled','cancelled')", name="status_known"),
        CheckConstraint("cost_points > 0", name="cost_positive"),
        Index("uq_redemptions_org_id_pickup_code_pending", "org_id", "pickup_code",
              unique=True, postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
        Index("ix_redemptions_user_id_reward_id", "user_id", "reward_id"),
        Index("ix_redemptions_org_id_status_id", "org_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    reward_name: Mapped[str] = mapped_column(String(100))
    cost_points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    pickup_code: Mapped[str] = mapped_column(String(16))
    # Wrong codes typed at the counter; at MAX_PICKUP_FAILURES only an override fulfils it.
    failed_pickup_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def locked(self) -> bool:
        """Too many wrong pickup codes: only an admin's override fulfils it."""
        return self.failed_pickup_attempts >= MAX_PICKUP_FAILURES


# --- points policy, monthly earnings, job leases -----------------------------------------

# FACTORS.md: 1 point per 10 g saved, the default of every organisation.
DEFAULT_GRAMS_PER_POINT = 10
# Yuan per point, in ten-thousandths of a yuan (integers: money is never a float).
DEFAULT_POINT_VALUE_E4 = 100  # 0.01 yuan


class PointsPolicy(db.Model):
    """What an organisation's points earn and cost it; no row: the defaults.

    Money is integer: a point's value in 1/10000 yuan, the budget in fen.
    """

    __tablename__ = "points_policies"
    __table_args__ = (
        CheckConstraint("grams_per_point > 0", name="grams_per_point_positive"),
        CheckConstraint("monthly_earn_cap IS NULL OR monthly_earn_cap >= 0",
                        name="monthly_earn_cap_non_negative"),
        CheckConstraint("expiry_months IS NULL OR (expiry_months BETWEEN 1 AND 120)",
                        name="expiry_months_range"),
        CheckConstraint("point_value_e4 > 0", name="point_value_positive"),
        CheckConstraint("annual_budget_fen IS NULL OR annual_budget_fen > 0",
                        name="annual_budget_positive"),
    )

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    grams_per_point: Mapped[int] = mapped_column(Integer, default=DEFAULT_GRAMS_PER_POINT)
    monthly_earn_cap: Mapped[int | None] = mapped_column(Integer)
    expiry_months: Mapped[int | None] = mapped_column(Integer)
    point_value_e4: Mapped[int] = mapped_column(Integer, default=DEFAULT_POINT_VALUE_E4)
    annual_budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class MonthlyEarning(db.Model):
    """Points one person earned from behaviours in one organisation-local month.

    Read after the person's lock (like the daily usage rows) and moved once per request,
    so concurrent entries of one person queue and together never earn past the monthly cap.
    """

    __tablename__ = "points_monthly_earnings"
    __table_args__ = (CheckConstraint("points >= 0", name="points_non_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # The first day of the organisation-local month of the entry.
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)


class JobLease(db.Model):
    """One row per background job: whoever moves `next_run_at` forward runs it.

    A conditional update, so of every worker on every node exactly one wins each turn
    (PostgreSQL row lock; SQLite has one writer), whatever the engine.
    """

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
