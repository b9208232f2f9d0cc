"""Entering readings: one rule set for a single reading, a batch and a file import.

Every item is validated against the organisation's existing state (read once), then
all valid items are written together; one invalid item and nothing is written. The
database refuses what must never happen (a second reading for a period, monthly and
annual readings in one carrier year) even if two imports race.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import exists, false, insert, literal, null, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.calendar import local_day
from app.db import UTCDateTime
from app.errors import ApiError, Conflict, Unprocessable
from app.i18n import message_for
from app.models import Organisation, User
from energy.accounting import (
    Period,
    PeriodMalformed,
    QuantityOutOfRange,
    convert,
    parse_period,
    parse_quantity,
    quantity_text,
)
from energy.factors import EnergyMethods
from energy.models import (
    EnergyCarrierYear,
    EnergyReading,
    EnergyReadingVersion,
    EnergySubmission,
)
from energy.rollup import refresh_year_totals

BATCH_LIMIT = 1000
CONFLICT_CODES = frozenset({"reading_exists", "period_conflict", "period_submitted"})


@dataclass
class ItemError(Exception):
    """What is wrong with one item: the contract's code and its details."""

    code: str
    details: dict = field(default_factory=dict)


@dataclass
class OrgState:
    """What an item is checked against: existing readings, carrier years, pending reviews."""

    readings: dict[tuple[str, int, int], int]  # (carrier, year, month) -> id
    annual_by_carrier_year: dict[tuple[str, int], bool]
    pending: set[tuple[int, int]]  # (year, month) of submitted periods; month 0 = year


def _local_today(org: Organisation, now: datetime):
    return local_day(now, org.timezone)


def _field_error(name: str, message_code: str) -> ItemError:
    return ItemError("validation_error", {name: [message_for(message_code)]})


def cost_fen(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        cost = parse_quantity(value)
    except QuantityOutOfRange:
        raise _field_error("cost_yuan", "validation_error") from None
    if cost != cost.quantize(Decimal("0.01")):
        raise ItemError("validation_error", {"cost_yuan": ["最多两位小数 (at most 2 decimals)"]})
    return int(cost * 100)


def _period(value: object, today) -> Period:
    try:
        period = parse_period(value)
    except PeriodMalformed:
        raise _field_error("period", "period_invalid") from None
    if period.first_day > today:
        raise ItemError("period_in_future", {"period": period.text})
    return period


def build_reading(methods: EnergyMethods, org: Organisation, item: dict, today) -> dict:
    """Column values of a valid item; ItemError names what is wrong with it."""
    method_now = methods.latest
    carrier = method_now.carriers.get(item.get("carrier"))
    if carrier is None:
        raise ItemError("unknown_carrier", {"carrier": item.get("carrier"),
                                            "known": sorted(method_now.carriers)})
    unit = item.get("unit")
    if unit not in carrier.units:
        raise ItemError("unit_mismatch", {"unit": unit, "accepted": list(carrier.units)})
    try:
        quantity = parse_quantity(item.get("quantity"))
    except QuantityOutOfRange:
        raise ItemError("quantity_out_of_range", {"quantity": str(item.get("quantity"))}) from None
    period = _period(item.get("period"), today)
    method = methods.in_force_on(period.first_day)
    converted = convert(method, method.carriers[carrier.key], quantity, unit, org.region)
    note = item.get("note")
    if note is not None and len(str(note)) > 500:
        raise _field_error("note", "validation_error")
    return {"org_id": org.id, "carrier": carrier.key, "year": period.year,
            "month": period.month, "annual": period.annual, "quantity": quantity_text(quantity),
            "unit": unit, "base_quantity_milli": converted.base_quantity_milli,
            "cost_fen": cost_fen(item.get("cost_yuan")), "kgce_g": converted.kgce_g,
            "co2e_g": converted.co2e_g, "factor_version": method.version,
            "note": None if note in (None, "") else str(note)}


def load_org_state(session: Session, org_id: int, years: set[int]) -> OrgState:
    """The organisation's readings, carrier years and pending reviews in `years` (3 reads)."""
    readings = {(c, y, m): i for c, y, m, i in session.execute(
        select(EnergyReading.carrier, EnergyReading.year, EnergyReading.month, EnergyReading.id)
        .where(EnergyReading.org_id == org_id, EnergyReading.year.in_(years)))}
    annual = {(c, y): a for c, y, a in session.execute(
        select(EnergyCarrierYear.carrier, EnergyCarrierYear.year, EnergyCarrierYear.annual)
        .where(EnergyCarrierYear.org_id == org_id, EnergyCarrierYear.year.in_(years)))}
    pending = {tuple(row) for row in session.execute(
        select(EnergySubmission.year, EnergySubmission.month)
        .where(EnergySubmission.org_id == org_id, EnergySubmission.year.in_(years),
               EnergySubmission.status == "submitted"))}
    return OrgState(readings, annual, pending)


def check_against_state(values: dict, state: OrgState) -> None:
    """One reading per period; monthly XOR annual; nothing added to a submitted period."""
    carrier, year, month = values["carrier"], values["year"], values["month"]
    existing = state.readings.get((carrier, year, month))
    if existing is not None:
        raise ItemError("reading_exists", {"existing_id": existing,
                                           "period": Period(year, month).text})
    annual = state.annual_by_carrier_year.get((carrier, year))
    if annual is not None and annual != values["annual"]:
        kept = "annual" if annual else "monthly"
        raise ItemError("period_conflict", {"carrier": carrier, "year": year, "kept_as": kept})
    blocked = (year, 0) in state.pending or (year, month) in state.pending or (
        month == 0 and any(y == year for y, _m in state.pending))
    if blocked:
        raise ItemError("period_submitted", {"period": Period(year, month).text})


@dataclass
class Checked:
    values: list[dict]
    errors: list[dict]


def check_items(session: Session, methods: EnergyMethods, org: Organisation, items: list[dict],
                now: datetime, rows: list[int] | None = None) -> Checked:
    """Validate every item against the rules and the organisation's state (and each other)."""
    today = _local_today(org, now)
    built: list[dict | ItemError] = []
    for item in items:
        try:
            built.append(build_reading(methods, org, item, today))
        except ItemError as error:
            built.append(error)
    years = {v["year"] for v in built if isinstance(v, dict)}
    state = load_org_state(session, org.id, years) if years else OrgState({}, {}, set())
    values, errors = [], []
    for index, value in enumerate(built):
        if isinstance(value, dict):
            try:
                check_against_state(value, state)
            except ItemError as error:
                value = error
            else:
                # later items of the same request see this one as existing
                state.readings[(value["carrier"], value["year"], value["month"])] = -1 - index
                state.annual_by_carrier_year.setdefault((value["carrier"], value["year"]),
                                                        value["annual"])
                values.append(value)
                continue
        error = {"index": index, "code": value.code, "message": message_for(value.code),
                 "details": value.details}
        errors.append(error if rows is None else {**error, "row": rows[index]})
    return Checked(values, errors)


def _integrity_error(error: IntegrityError) -> ApiError:
    text = str(error.orig).lower()
    if "carrier_year" in text or "foreign key" in text:
        return Conflict("period_conflict")
    return Conflict("reading_exists")


VERSION_COLUMNS = ("quantity", "unit", "base_quantity_milli", "cost_fen", "kgce_g", "co2e_g",
                   "factor_version")


def _ids_of(session: Session, org_id: int, values: list[dict]) -> list[int]:
    """Ids of the readings just written, in the order of `values` (their keys are unique)."""
    r = EnergyReading.__table__
    by_key = {(carrier, year, month): reading_id for reading_id, carrier, year, month in
              session.execute(select(r.c.id, r.c.carrier, r.c.year, r.c.month).where(
                  r.c.org_id == org_id, r.c.year.in_({v["year"] for v in values})))}
    return [by_key[(v["carrier"], v["year"], v["month"])] for v in values]


def _first_versions(org_id: int, first_id: int, last_id: int, actor: User, now: datetime):
    """Version 1 of the readings just inserted, copied in the database (one statement).

    Any other reading in the id range was committed by another request with its own
    versions, or is not visible to this transaction, so NOT EXISTS picks exactly ours."""
    r = EnergyReading.__table__
    v = EnergyReadingVersion.__table__
    columns = [v.c.reading_id, v.c.version, *(v.c[name] for name in VERSION_COLUMNS),
               v.c.reason, v.c.restatement, v.c.actor_id, v.c.created_at]
    rows = (select(r.c.id, literal(1), *(r.c[name] for name in VERSION_COLUMNS),
                   null(), false(), literal(actor.id), literal(now, UTCDateTime))
            .where(r.c.org_id == org_id, r.c.id.between(first_id, last_id),
                   ~exists().where(v.c.reading_id == r.c.id)))
    return insert(v).from_select(columns, rows)


def write_readings(session: Session, actor: User, values: list[dict],
                   now: datetime) -> list[int]:
    """Insert valid readings with their first versions (ids in order); the database has the
    last word. Core inserts in batches: a 10,000-row file is a few statements, not 20,000."""
    org_id = values[0]["org_id"]
    wanted = {(v["carrier"], v["year"]): v["annual"] for v in values}
    try:
        with session.begin_nested():
            existing = {tuple(row) for row in session.execute(
                select(EnergyCarrierYear.carrier, EnergyCarrierYear.year)
                .where(EnergyCarrierYear.org_id == org_id,
                       tuple_(EnergyCarrierYear.carrier, EnergyCarrierYear.year)
                       .in_(list(wanted))))}
            new_years = [{"org_id": org_id, "carrier": c, "year": y, "annual": a}
                         for (c, y), a in wanted.items() if (c, y) not in existing]
            if new_years:
                session.execute(insert(EnergyCarrierYear), new_years)
            readings = EnergyReading.__table__
            # executemany without RETURNING: the driver's own batching (psycopg's pipeline),
            # not one giant statement to build and parse per 1,000 rows
            session.execute(insert(readings), [
                {**v, "status": "draft", "restated": False, "version": 1, "submission_id": None,
                 "created_by": actor.id, "created_at": now, "updated_at": now} for v in values])
            ids = _ids_of(session, org_id, values)
            session.execute(_first_versions(org_id, min(ids), max(ids), actor, now))
            refresh_year_totals(session, org_id, {v["year"] for v in values})
    except IntegrityError as error:
        raise _integrity_error(error) from None
    return ids


def version_of(reading: EnergyReading, actor: User, now: datetime, *, reason: str | None,
                restatement: bool = False) -> EnergyReadingVersion:
    return EnergyReadingVersion(
        reading_id=reading.id, version=reading.version, quantity=reading.quantity,
        unit=reading.unit, base_quantity_milli=reading.base_quantity_milli,
        cost_fen=reading.cost_fen, kgce_g=reading.kgce_g, co2e_g=reading.co2e_g,
        factor_version=reading.factor_version, reason=reason, restatement=restatement,
        actor_id=actor.id, created_at=now)


def raise_item_error(error: dict) -> None:
    """A single reading's error as the answer: 409 for a conflict, else 422."""
    code = error["code"]
    status = 409 if code in CONFLICT_CODES else 422
    raise ApiError(code, status=status, details=error["details"])


def enter_items(session: Session, actor: User, methods: EnergyMethods, org: Organisation,
                items: list[dict], now: datetime, *, dry_run: bool,
                rows: list[int] | None = None) -> dict:
    """Batch entry: per-item results; all or nothing (422 import_rejected) unless dry run.

    `rows` labels each item's errors with its file row (a file import)."""
    checked = check_items(session, methods, org, items, now, rows)
    if checked.errors and not dry_run:
        raise Unprocessable("import_rejected", details={"errors": checked.errors,
                                                        "items": len(items)})
    written = [] if dry_run or not checked.values else write_readings(session, actor,
                                                                        checked.values, now)
    return {"dry_run": dry_run, "items": len(items), "valid": len(checked.values),
            "invalid": len(checked.errors), "errors": checked.errors,
            "created_ids": written}


def grams_of(methods: EnergyMethods, org: Organisation, reading: EnergyReading,
             quantity: Decimal, unit: str) -> dict:
    """A correction's recomputed values, under the factor version in force for the period."""
    method = methods.in_force_on(Period(reading.year, reading.month).first_day)
    converted = convert(method, method.carriers[reading.carrier], quantity, unit, org.region)
    return {"quantity": quantity_text(quantity), "unit": unit,
            "base_quantity_milli": converted.base_quantity_milli,
            "kgce_g": converted.kgce_g, "co2e_g": converted.co2e_g,
            "factor_version": method.version}


def base_quantity(reading: EnergyReading) -> Decimal:
    """The reading in its carrier's base unit (to the thousandth stored)."""
    return Decimal(reading.base_quantity_milli).scaleb(-3)
