"""Meter gateway pushes: register readings (or interval quantities) booked into the
organisation's monthly energy readings (`source: meter`).

Consumption between two register readings is the difference, spread over the months in
between by time (the organisation's time zone); a register that goes down (rollover or a
new meter) starts a new baseline and is flagged `register_reset`: nothing negative and
never the absolute value is booked. Quantities are kept as integer thousandths of the
carrier's base unit, so the months' shares add up exactly to the consumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import record_audit
from app.errors import Conflict, Unprocessable
from app.models import Organisation, User
from energy.accounting import (
    EXACT,
    Period,
    QuantityOutOfRange,
    parse_quantity,
    quantity_text,
    round_half_up,
)
from energy.checks import flag
from energy.factors import Carrier, EnergyMethods
from energy.models import EnergyCarrierYear, EnergyReading
from energy.readings import build_reading, grams_of, version_of, write_readings
from energy.rollup import refresh_year_totals
from machines.models import ApiKey, MeterReading

REGISTER_RESET = "register_reset"
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Push:
    meter_id: str
    carrier: str
    unit: str
    read_at: datetime
    register_value: object = None
    interval_quantity: object = None


def _quantity(value: object, name: str) -> Decimal:
    try:
        return parse_quantity(value)
    except QuantityOutOfRange:
        raise Unprocessable(details={name: ["须为非负数 (must be a non-negative number)"]}) \
            from None


def _carrier(methods: EnergyMethods, push: Push) -> Carrier:
    carrier = methods.latest.carriers.get(push.carrier)
    if carrier is None:
        raise Unprocessable("unknown_carrier", details={"carrier": push.carrier,
                                                        "known": sorted(methods.latest.carriers)})
    if push.unit not in carrier.units:
        raise Unprocessable("unit_mismatch", details={"unit": push.unit,
                                                      "accepted": list(carrier.units)})
    return carrier


def _milli(carrier: Carrier, quantity: Decimal, unit: str) -> int:
    return round_half_up(EXACT.multiply(EXACT.multiply(quantity, carrier.units[unit]), 1000))


def split_by_month(start: datetime, end: datetime, milli: int, tz: ZoneInfo
                   ) -> dict[Period, int]:
    """`milli` over [start, end) in proportion to the time in each local month; the
    remainder goes to the months with the largest fractions (the sum is exact)."""
    if end <= start:
        local = (end - timedelta(microseconds=1)).astimezone(tz)
        return {Period(local.year, local.month): milli}
    spans: list[tuple[Period, int]] = []
    cursor = start.astimezone(tz)
    stop = end.astimezone(tz)
    while cursor < stop:
        next_month = (cursor.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
                      + timedelta(days=32)).replace(day=1)
        upto = min(next_month, stop)
        elapsed = upto.astimezone(UTC) - cursor.astimezone(UTC)  # real time, whatever the zone
        spans.append((Period(cursor.year, cursor.month), elapsed // MICROSECOND))
        cursor = upto
    total = sum(micros for _period, micros in spans)
    booked = {period: milli * micros // total for period, micros in spans}
    by_remainder = sorted(spans, key=lambda span: (milli * span[1]) % total, reverse=True)
    for period, _micros in by_remainder[:milli - sum(booked.values())]:
        booked[period] += 1
    return booked


def _previous(session: Session, org_id: int, meter_id: str) -> MeterReading | None:
    return session.scalar(select(MeterReading).where(
        MeterReading.org_id == org_id, MeterReading.meter_id == meter_id)
        .order_by(MeterReading.read_at.desc()).limit(1).with_for_update())


def _consumption(push: Push, carrier: Carrier, previous: MeterReading | None
                 ) -> tuple[int | None, int, datetime, list[str]]:
    """(register in base milli, consumed milli, start of the consumed span, flags)."""
    start = previous.read_at if previous is not None else push.read_at
    if push.interval_quantity is not None:
        quantity = _quantity(push.interval_quantity, "interval_quantity")
        return None, _milli(carrier, quantity, push.unit), start, []
    register = _milli(carrier, _quantity(push.register_value, "register_value"), push.unit)
    if previous is None or previous.register_milli is None:
        return register, 0, start, []  # the first register reading is the baseline
    if register < previous.register_milli:
        return register, 0, start, [REGISTER_RESET]
    return register, register - previous.register_milli, start, []


def _replay(existing: MeterReading, push: Push) -> MeterReading:
    same = (existing.carrier == push.carrier and existing.unit == push.unit
            and existing.register_value == _text(push.register_value)
            and existing.interval_quantity == _text(push.interval_quantity))
    if not same:
        raise Conflict("meter_reading_conflict", details={"meter_id": push.meter_id,
                                                          "read_at": push.read_at.isoformat()})
    return existing


def _text(value: object) -> str | None:
    if value is None:
        return None
    return quantity_text(parse_quantity(value))


def _check_order(push: Push, previous: MeterReading | None) -> None:
    if previous is None:
        return
    if previous.carrier != push.carrier:
        raise Unprocessable("meter_carrier_mismatch", details={
            "meter_id": push.meter_id, "carrier": push.carrier, "reported": previous.carrier})
    if push.read_at < previous.read_at:
        raise Unprocessable("read_at_out_of_order", details={
            "read_at": push.read_at.isoformat(), "latest": previous.read_at.isoformat()})


def _book_month(session: Session, actor: User, methods: EnergyMethods, org: Organisation,
                carrier: Carrier, period: Period, milli: int, meter_id: str,
                now: datetime) -> int:
    """Add `milli` to the month's reading (made if missing); answers its id."""
    reading = session.scalar(select(EnergyReading).where(
        EnergyReading.org_id == org.id, EnergyReading.carrier == carrier.key,
        EnergyReading.year == period.year, EnergyReading.month == period.month)
        .with_for_update())
    note = f"meter {meter_id}"
    if reading is None:
        if session.scalar(select(EnergyCarrierYear.annual).where(
                EnergyCarrierYear.org_id == org.id, EnergyCarrierYear.carrier == carrier.key,
                EnergyCarrierYear.year == period.year)):
            raise Conflict("period_conflict", details={"period": period.text})
        today = now.astimezone(ZoneInfo(org.timezone or "Asia/Shanghai")).date()
        values = build_reading(methods, org, {
            "carrier": carrier.key, "period": period.text, "unit": carrier.base_unit,
            "quantity": quantity_text(Decimal(milli).scaleb(-3)), "note": note}, today)
        (reading_id,) = write_readings(session, actor, [{**values, "source": "meter"}], now)
        return reading_id
    if reading.status != "draft":
        raise Conflict("period_submitted", details={"period": reading.period})
    total = Decimal(reading.base_quantity_milli + milli).scaleb(-3)
    for name, value in grams_of(methods, org, reading, total, carrier.base_unit).items():
        setattr(reading, name, value)
    reading.version += 1
    reading.source, reading.updated_at = "meter", now
    session.add(version_of(reading, actor, now, reason=note))
    session.flush()
    refresh_year_totals(session, org.id, [period.year])
    return reading.id


def push_reading(session: Session, key: ApiKey, methods: EnergyMethods, push: Push,
                 now: datetime) -> tuple[MeterReading, bool]:
    """Store a push and book its consumption; (row, created). A repeat of a stored push
    (same meter and time) answers the stored one and books nothing."""
    org = session.get(Organisation, key.org_id)
    actor = session.get(User, key.created_by)
    if push.read_at > now:
        raise Unprocessable("read_at_in_future", details={"read_at": push.read_at.isoformat()})
    if (push.register_value is None) == (push.interval_quantity is None):
        raise Unprocessable(details={"register_value": [
            "register_value 与 interval_quantity 须且只须给出一个 (exactly one of register_value "
            "and interval_quantity)"]})
    carrier = _carrier(methods, push)
    existing = session.scalar(select(MeterReading).where(
        MeterReading.org_id == org.id, MeterReading.meter_id == push.meter_id,
        MeterReading.read_at == push.read_at))
    if existing is not None:
        return _replay(existing, push), False
    previous = _previous(session, org.id, push.meter_id)
    _check_order(push, previous)
    register, consumed, start, flags = _consumption(push, carrier, previous)
    booked = []
    if consumed:
        tz = ZoneInfo(org.timezone or "Asia/Shanghai")
        for period, milli in sorted(split_by_month(start, push.read_at, consumed, tz).items(),
                                    key=lambda item: (item[0].year, item[0].month)):
            if milli:
                reading_id = _book_month(session, actor, methods, org, carrier, period, milli,
                                         push.meter_id, now)
                booked.append({"period": period.text, "milli": milli, "reading_id": reading_id})
    row = MeterReading(org_id=org.id, meter_id=push.meter_id, carrier=carrier.key,
                       unit=push.unit, read_at=push.read_at,
                       register_value=_text(push.register_value), register_milli=register,
                       interval_quantity=_text(push.interval_quantity),
                       consumed_milli=consumed, booked=booked, flags=flags, api_key_id=key.id,
                       created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:  # the same push arriving twice at once
        raise Conflict("meter_reading_conflict") from exc
    record_audit(session, actor, "energy.meter_reading", "meter_reading", row.id,
                 {"meter_id": push.meter_id, "api_key_id": key.id, "flags": flags,
                  "booked": booked}, org_id=org.id)
    return row, True


def meter_reading_out(row: MeterReading, carrier: Carrier) -> dict:
    return {"id": row.id, "org_id": row.org_id, "meter_id": row.meter_id,
            "carrier": row.carrier, "unit": row.unit, "read_at": row.read_at,
            "register_value": _number(row.register_value),
            "interval_quantity": _number(row.interval_quantity),
            "consumption": float(Decimal(row.consumed_milli).scaleb(-3)),
            "base_unit": carrier.base_unit,
            "booked": [{"period": b["period"], "reading_id": b["reading_id"],
                        "quantity": float(Decimal(b["milli"]).scaleb(-3))} for b in row.booked],
            "flags": [flag(code, {"meter_id": row.meter_id}) for code in row.flags]}


def _number(text: str | None) -> float | None:
    return None if text is None else float(Decimal(text))
