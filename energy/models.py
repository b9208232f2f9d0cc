"""Tables of the institution energy ledger: profiles, readings and their versions, reviews.

A reading's quantity is kept as the decimal text sent, in the unit sent; kgce and CO2
are integer grams computed once with the factor version stored beside them. Every
value a reading ever had is a row of `energy_reading_versions` (the reading row holds
the current one). A year of a carrier is monthly or annual, never both: each reading
points at its (organisation, carrier, year, annual) row of `energy_carrier_years`,
which is unique per (organisation, carrier, year), so the database refuses a mix.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now_utc
from app.db import UTCDateTime
from app.extensions import db

READING_STATUSES = ("draft", "submitted", "approved")
SUBMISSION_STATUSES = ("submitted", "approved", "returned")
ANNUAL_MONTH = 0  # `month` of a reading for a whole year


class EnergyProfile(db.Model):
    """A year's denominators of one organisation."""

    __tablename__ = "energy_profiles"
    __table_args__ = (
        UniqueConstraint("org_id", "year"),
        CheckConstraint("building_area_m2 > 0", name="area_positive"),
        CheckConstraint("occupants > 0", name="occupants_positive"),
        CheckConstraint("heating_area_m2 IS NULL OR heating_area_m2 > 0",
                        name="heating_area_positive"),
        Index("ix_energy_profiles_year_org_id", "year", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    year: Mapped[int] = mapped_column(Integer)
    building_area_m2: Mapped[int] = mapped_column(BigInteger)
    occupants: Mapped[int] = mapped_column(Integer)
    heating_area_m2: Mapped[int | None] = mapped_column(BigInteger)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class EnergyCarrierYear(db.Model):
    """Whether a carrier's year is kept month by month or as one annual total."""

    __tablename__ = "energy_carrier_years"
    __table_args__ = (
        UniqueConstraint("org_id", "carrier", "year"),
        UniqueConstraint("org_id", "carrier", "year", "annual",
                         name="uq_energy_carrier_years_granularity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    carrier: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    annual: Mapped[bool] = mapped_column(Boolean)


class EnergyReading(db.Model):
    """One carrier's use in one month (or year) of one organisation: its current version."""

    __tablename__ = "energy_readings"
    __table_args__ = (
        UniqueConstraint("org_id", "carrier", "year", "month"),
        ForeignKeyConstraint(
            ["org_id", "carrier", "year", "annual"],
            ["energy_carrier_years.org_id", "energy_carrier_years.carrier",
             "energy_carrier_years.year", "energy_carrier_years.annual"],
            name="fk_energy_readings_carrier_year"),
        CheckConstraint("month >= 0 AND month <= 12", name="month_in_range"),
        CheckConstraint("(month = 0) = annual", name="annual_has_no_month"),
        CheckConstraint("base_quantity_milli >= 0", name="quantity_non_negative"),
        CheckConstraint("kgce_g >= 0 AND co2e_g >= 0", name="grams_non_negative"),
        CheckConstraint("cost_fen IS NULL OR cost_fen >= 0", name="cost_non_negative"),
        CheckConstraint("status IN ('draft','submitted','approved')", name="status_known"),
        Index("ix_energy_readings_year_org_id", "year", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    carrier: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    annual: Mapped[bool] = mapped_column(Boolean)
    quantity: Mapped[str] = mapped_column(String(40))  # decimal text, in `unit`
    unit: Mapped[str] = mapped_column(String(16))
    base_quantity_milli: Mapped[int] = mapped_column(BigInteger)  # thousandths of the base unit
    cost_fen: Mapped[int | None] = mapped_column(BigInteger)
    kgce_g: Mapped[int] = mapped_column(BigInteger)
    co2e_g: Mapped[int] = mapped_column(BigInteger)
    factor_version: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    restated: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("energy_submissions.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    @property
    def period(self) -> str:
        return str(self.year) if self.annual else f"{self.year:04d}-{self.month:02d}"


class EnergyReadingVersion(db.Model):
    """Every value a reading had, the first included: who, when, why (append-only)."""

    __tablename__ = "energy_reading_versions"
    __table_args__ = (UniqueConstraint("reading_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reading_id: Mapped[int] = mapped_column(ForeignKey("energy_readings.id"))
    version: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(16))
    base_quantity_milli: Mapped[int] = mapped_column(BigInteger)
    cost_fen: Mapped[int | None] = mapped_column(BigInteger)
    kgce_g: Mapped[int] = mapped_column(BigInteger)
    co2e_g: Mapped[int] = mapped_column(BigInteger)
    factor_version: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(500))
    restatement: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class EnergySubmission(db.Model):
    """A period sent for review; approval locks its readings, return unlocks them."""

    __tablename__ = "energy_submissions"
    __table_args__ = (
        CheckConstraint("status IN ('submitted','approved','returned')", name="status_known"),
        Index("ix_energy_submissions_status_id", "status", "id"),
        Index("ix_energy_submissions_org_id_year", "org_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)  # 0: the whole year
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    comment: Mapped[str | None] = mapped_column(String(1000))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def period(self) -> str:
        return str(self.year) if self.month == ANNUAL_MONTH else f"{self.year:04d}-{self.month:02d}"


class EnergyYearTotal(db.Model):
    """A year's sums of one organisation's readings by review status, for the region report.

    Derived data: recomputed from the readings of (organisation, year) in the transaction
    of every write that touches them (energy/rollup.py), so a region report reads a few rows
    per institution whatever the number of readings."""

    __tablename__ = "energy_year_totals"
    __table_args__ = (Index("ix_energy_year_totals_year_org_id", "year", "org_id"),)

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    readings: Mapped[int] = mapped_column(Integer)
    kgce_g: Mapped[int] = mapped_column(BigInteger)
    co2e_g: Mapped[int] = mapped_column(BigInteger)
    water_milli: Mapped[int] = mapped_column(BigInteger)
    water_readings: Mapped[int] = mapped_column(Integer)
    restated_readings: Mapped[int] = mapped_column(Integer)
