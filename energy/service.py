"""Services of the energy ledger: profiles, readings, corrections, reviews.

Plain functions taking (session, actor, ..., now); they flush, the request commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import record_audit
from app.errors import Conflict, NotFound, Unprocessable
from app.i18n import message_for
from app.models import Organisation, User
from app.pagination import paginate_newest_first
from app.service import organisation_for
from energy import checks
from energy.accounting import (
    FIRST_YEAR,
    LAST_YEAR,
    Period,
    PeriodMalformed,
    QuantityOutOfRange,
    kg,
    parse_period,
    parse_quantity,
    yuan,
)
from energy.factors import EnergyMethods
from energy.imports import read_table, rows_to_items
from energy.models import (
    EnergyProfile,
    EnergyReading,
    EnergyReadingVersion,
    EnergySubmission,
)
from energy.readings import (
    ItemError,
    base_quantity,
    check_items,
    cost_fen,
    enter_items,
    grams_of,
    raise_item_error,
    version_of,
    write_readings,
)
from energy.rollup import refresh_year_totals

# --- profiles ---------------------------------------------------------------------------


def profile_out(profile: EnergyProfile, previous: EnergyProfile | None) -> dict:
    out = {"org_id": profile.org_id, "year": profile.year,
           "building_area_m2": profile.building_area_m2, "occupants": profile.occupants,
           "heating_area_m2": profile.heating_area_m2, "updated_at": profile.updated_at}
    return {**out, "flags": checks.profile_flags(out, profile_fields(previous))}


def profile_fields(profile: EnergyProfile | None) -> dict | None:
    if profile is None:
        return None
    return {"year": profile.year, "building_area_m2": profile.building_area_m2,
            "occupants": profile.occupants, "heating_area_m2": profile.heating_area_m2}


def put_profile(session: Session, actor: User, org_id: int, year: int, data: dict,
                now: datetime) -> dict:
    """Set a year's denominators (the latest values count; the audit log keeps the old)."""
    org = organisation_for(session, actor, org_id, "admin")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Unprocessable(details={"year": [f"{FIRST_YEAR}-{LAST_YEAR}"]})
    bad = [name for name in ("building_area_m2", "occupants", "heating_area_m2")
           if data.get(name) is not None and data[name] <= 0]
    if bad:
        raise Unprocessable("profile_invalid", details={name: ["> 0"] for name in bad})
    profile = session.scalar(select(EnergyProfile).where(EnergyProfile.org_id == org.id,
                                                         EnergyProfile.year == year))
    before = None
    if profile is None:
        profile = EnergyProfile(org_id=org.id, year=year, created_at=now)
        session.add(profile)
    else:
        before = {"building_area_m2": profile.building_area_m2, "occupants": profile.occupants,
                  "heating_area_m2": profile.heating_area_m2}
    profile.building_area_m2 = data["building_area_m2"]
    profile.occupants = data["occupants"]
    profile.heating_area_m2 = data.get("heating_area_m2")
    profile.updated_by, profile.updated_at = actor.id, now
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict() from None
    record_audit(session, actor, "energy.profile.put", "energy_profile", profile.id,
                 {"year": year, "before": before, "after": data}, org_id=org.id)
    previous = session.scalar(select(EnergyProfile).where(EnergyProfile.org_id == org.id,
                                                          EnergyProfile.year == year - 1))
    return profile_out(profile, previous)


def list_profiles(session: Session, actor: User, org_id: int) -> list[dict]:
    org = organisation_for(session, actor, org_id, "admin")
    profiles = list(session.scalars(select(EnergyProfile).where(EnergyProfile.org_id == org.id)
                                    .order_by(EnergyProfile.year)))
    by_year = {p.year: p for p in profiles}
    return [profile_out(p, by_year.get(p.year - 1)) for p in profiles]


# --- readings ---------------------------------------------------------------------------


def reading_out(methods: EnergyMethods, reading: EnergyReading,
                previous_milli: int | None) -> dict:
    """A reading as API.md shows it, with its flags (单价, 同比)."""
    flags = flags_of_reading(methods, reading, previous_milli)
    return {"id": reading.id, "org_id": reading.org_id, "carrier": reading.carrier,
            "period": reading.period, "quantity": float(parse_quantity(reading.quantity)),
            "unit": reading.unit, "cost_yuan": yuan(reading.cost_fen),
            "kgce": kg(reading.kgce_g), "co2e_kg": kg(reading.co2e_g),
            "factor_version": reading.factor_version, "status": reading.status,
            "restated": reading.restated, "version": reading.version, "note": reading.note,
            "flags": flags, "created_at": reading.created_at,
            "updated_at": reading.updated_at}


def flags_of_reading(methods: EnergyMethods, reading: EnergyReading,
                     previous_milli: int | None) -> list[dict]:
    return checks.reading_flags(methods.latest.carriers[reading.carrier], base_quantity(reading),
                                reading.cost_fen, reading.base_quantity_milli, previous_milli,
                                Period(reading.year - 1, reading.month).text)


def _previous_milli(session: Session, reading: EnergyReading) -> int | None:
    return session.scalar(select(EnergyReading.base_quantity_milli).where(
        EnergyReading.org_id == reading.org_id, EnergyReading.carrier == reading.carrier,
        EnergyReading.year == reading.year - 1, EnergyReading.month == reading.month))


def create_reading(session: Session, actor: User, methods: EnergyMethods, org_id: int,
                   item: dict, now: datetime) -> dict:
    """One reading: the batch's rules for a batch of one, its error as the answer."""
    org = organisation_for(session, actor, org_id, "admin")
    checked = check_items(session, methods, org, [item], now)
    if checked.errors:
        raise_item_error(checked.errors[0])
    (reading_id,) = write_readings(session, actor, checked.values, now)
    reading = session.get(EnergyReading, reading_id)
    record_audit(session, actor, "energy.reading.create", "energy_reading", reading.id,
                 item, org_id=org.id)
    return reading_out(methods, reading, _previous_milli(session, reading))


def enter_batch(session: Session, actor: User, methods: EnergyMethods, org_id: int,
                items: list[dict], now: datetime, dry_run: bool) -> dict:
    """Batch entry (at most 1000 items): a dry run, or all or nothing."""
    org = organisation_for(session, actor, org_id, "admin")
    result = enter_items(session, actor, methods, org, items, now, dry_run=dry_run)
    if not dry_run:
        record_audit(session, actor, "energy.reading.batch", "organisation", org.id,
                     {"created": len(result["created_ids"])}, org_id=org.id)
    return result


def import_file(session: Session, actor: User, methods: EnergyMethods, org_id: int,
                filename: str, data: bytes, now: datetime, dry_run: bool) -> dict:
    """A CSV or XLSX file through the batch's rules; errors name the file's rows."""
    org = organisation_for(session, actor, org_id, "admin")
    items, rows = rows_to_items(read_table(filename, data), methods.latest)
    result = enter_items(session, actor, methods, org, items, now, dry_run=dry_run, rows=rows)
    if not dry_run:
        record_audit(session, actor, "energy.reading.import", "organisation", org.id,
                     {"file": filename, "created": len(result["created_ids"])}, org_id=org.id)
    return result


def list_readings(session: Session, actor: User, methods: EnergyMethods, org_id: int,
                  year: int | None, carrier: str | None) -> list[dict]:
    """The organisation's readings (of a year, of a carrier), with their flags."""
    org = organisation_for(session, actor, org_id, "admin")
    stmt = select(EnergyReading).where(EnergyReading.org_id == org.id)
    if year is not None:
        stmt = stmt.where(EnergyReading.year.in_((year, year - 1)))
    if carrier is not None:
        stmt = stmt.where(EnergyReading.carrier == carrier)
    readings = list(session.scalars(stmt.order_by(EnergyReading.year, EnergyReading.month,
                                                  EnergyReading.carrier)))
    milli = {(r.carrier, r.year, r.month): r.base_quantity_milli for r in readings}
    return [reading_out(methods, r, milli.get((r.carrier, r.year - 1, r.month)))
            for r in readings if year is None or r.year == year]


def reading_in_scope(session: Session, actor: User, reading_id: int,
                     *, lock: bool = False) -> tuple[EnergyReading, Organisation]:
    """The reading if `actor` administers its organisation; another org's is 404."""
    stmt = select(EnergyReading).where(EnergyReading.id == reading_id)
    reading = session.scalar(stmt.with_for_update() if lock else stmt)
    if reading is None:
        raise NotFound()
    try:
        org = organisation_for(session, actor, reading.org_id, "admin")
    except NotFound:
        raise NotFound() from None
    return reading, org


def correct_reading(session: Session, actor: User, methods: EnergyMethods, reading_id: int,
                    data: dict, now: datetime) -> dict:
    """A correction is a new version; of an approved reading, a restatement (both kept)."""
    reading, org = reading_in_scope(session, actor, reading_id, lock=True)
    reason = (data.get("reason") or "").strip()
    if not reason:
        raise Unprocessable("reason_required", details={"reason": ["必填 (required)"]})
    if reading.status == "submitted":
        raise Conflict("period_submitted", details={"period": reading.period})
    unit = data.get("unit") or reading.unit
    carrier = methods.latest.carriers[reading.carrier]
    if unit not in carrier.units:
        raise Unprocessable("unit_mismatch", details={"unit": unit,
                                                      "accepted": list(carrier.units)})
    try:
        quantity = parse_quantity(data.get("quantity"))
    except QuantityOutOfRange:
        raise Unprocessable("quantity_out_of_range",
                            details={"quantity": str(data.get("quantity"))}) from None
    cost = _cost_or_kept(data, reading.cost_fen)
    restatement = reading.status == "approved"
    values = grams_of(methods, org, reading, quantity, unit)
    reading.version += 1
    for name, value in {**values, "cost_fen": cost, "updated_at": now}.items():
        setattr(reading, name, value)
    reading.restated = reading.restated or restatement
    try:
        with session.begin_nested():
            session.add(version_of(reading, actor, now, reason=reason, restatement=restatement))
            session.flush()
    except IntegrityError:
        raise Conflict() from None
    refresh_year_totals(session, org.id, [reading.year])
    record_audit(session, actor, "energy.reading.correct", "energy_reading", reading.id,
                 {**data, "restatement": restatement}, org_id=org.id)
    return reading_out(methods, reading, _previous_milli(session, reading))


def _cost_or_kept(data: dict, kept: int | None) -> int | None:
    if "cost_yuan" not in data:
        return kept
    try:
        return cost_fen(data["cost_yuan"])
    except ItemError as error:
        raise Unprocessable(details=error.details) from None


def reading_history(session: Session, actor: User, reading_id: int) -> list[dict]:
    """Every version of a reading, oldest first: values, actor, reason, time."""
    reading, _org = reading_in_scope(session, actor, reading_id)
    rows = session.execute(
        select(EnergyReadingVersion, User.username, User.display_name)
        .outerjoin(User, User.id == EnergyReadingVersion.actor_id)
        .where(EnergyReadingVersion.reading_id == reading.id)
        .order_by(EnergyReadingVersion.version)).all()
    return [{"version": v.version, "quantity": float(parse_quantity(v.quantity)),
             "unit": v.unit, "cost_yuan": yuan(v.cost_fen), "kgce": kg(v.kgce_g),
             "co2e_kg": kg(v.co2e_g), "factor_version": v.factor_version,
             "reason": v.reason, "restatement": v.restatement,
             "actor": {"id": v.actor_id, "username": username, "display_name": display},
             "created_at": v.created_at} for v, username, display in rows]


# --- reviews ----------------------------------------------------------------------------


def _readings_of_period(period: Period):
    """Readings a submission of `period` covers: a year covers every reading of it."""
    condition = EnergyReading.year == period.year
    if not period.annual:
        condition = condition & (EnergyReading.month == period.month)
    return condition


def submit_period(session: Session, actor: User, org_id: int, period_text: str,
                  now: datetime) -> EnergySubmission:
    """Send a period's draft readings for review; they are read-only until reviewed."""
    org = organisation_for(session, actor, org_id, "admin")
    try:
        period = parse_period(period_text)
    except PeriodMalformed:
        raise Unprocessable(details={"period": [message_for("period_invalid")]}) from None
    covered = (EnergyReading.org_id == org.id) & _readings_of_period(period)
    statuses = set(session.scalars(select(EnergyReading.status).where(covered).distinct()))
    if "submitted" in statuses:
        raise Conflict("period_submitted", details={"period": period.text})
    if "draft" not in statuses:
        if "approved" in statuses:
            raise Conflict("period_approved", details={"period": period.text})
        raise Unprocessable("nothing_to_submit", details={"period": period.text})
    submission = EnergySubmission(org_id=org.id, year=period.year, month=period.month,
                                  status="submitted", submitted_by=actor.id, submitted_at=now)
    session.add(submission)
    session.flush()
    session.execute(update(EnergyReading).where(covered, EnergyReading.status == "draft")
                    .values(status="submitted", submission_id=submission.id, updated_at=now)
                    .execution_options(synchronize_session=False))
    refresh_year_totals(session, org.id, [period.year])
    record_audit(session, actor, "energy.submit", "energy_submission", submission.id,
                 {"period": period.text}, org_id=org.id)
    return submission


def list_submissions(session: Session, region: str | None, status: str | None,
                     limit: int, cursor: str | None):
    stmt = select(EnergySubmission)
    if region is not None:
        stmt = stmt.join(Organisation, Organisation.id == EnergySubmission.org_id).where(
            Organisation.region == region)
    if status is not None:
        stmt = stmt.where(EnergySubmission.status == status)
    return paginate_newest_first(session, stmt, EnergySubmission.id, limit, cursor)


def review_submission(session: Session, actor: User, submission_id: int, approve: bool,
                      comment: str | None, now: datetime) -> EnergySubmission:
    """Approve (locks the readings) or return with a comment (editable again)."""
    submission = session.scalar(select(EnergySubmission).where(
        EnergySubmission.id == submission_id).with_for_update())
    if submission is None:
        raise NotFound()
    if submission.status != "submitted":
        raise Conflict("submission_not_pending", details={"status": submission.status})
    submission.status = "approved" if approve else "returned"
    submission.comment = comment
    submission.reviewed_by, submission.reviewed_at = actor.id, now
    session.execute(update(EnergyReading)
                    .where(EnergyReading.submission_id == submission.id,
                           EnergyReading.status == "submitted")
                    .values(status="approved" if approve else "draft", updated_at=now)
                    .execution_options(synchronize_session=False))
    refresh_year_totals(session, submission.org_id, [submission.year])
    record_audit(session, actor, f"energy.{submission.status}", "energy_submission",
                 submission.id, {"comment": comment}, org_id=submission.org_id)
    session.flush()
    return submission
