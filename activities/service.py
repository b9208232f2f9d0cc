"""The behaviour catalogue, carbon estimates and activity history.

Plain functions over a session and a factor registry; the write path (logging,
batches, voids) is in activities/logbook.py, the personal summary in
activities/summary.py. Grams and points stay integers here; schemas turn grams
into kilograms for the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.campaign_hook import campaign_multiplier_for
from activities.carbon import (
    Saving,
    apply_multiplier,
    credited_quantity,
    entry_points,
    estimate_saving,
    per_unit,
)
from activities.factors import (
    QUANTITY_PLACES,
    Behaviour,
    Factor,
    FactorRegistry,
    FactorSet,
    FactorSetNotFoundError,
    UnknownBehaviourError,
)
from activities.models import Activity, ActivityDailyUsage
from app.calendar import local_day, local_midnight, org_zone
from app.errors import Forbidden, Unprocessable
from app.i18n import FieldMessage
from app.models import Organisation, User
from app.pagination import Page, paginate_by_keys
from points.policy import Policy, policy_of

# Region of people in no organisation: the national average grid factor applies.
NATIONAL_REGION = "other"
_QUANTITY_QUANTUM = Decimal(1).scaleb(-QUANTITY_PLACES)


@dataclass(frozen=True)
class Place:
    """Where a person's numbers are counted: organisation, grid region and time zone."""

    org_id: int | None
    region: str
    tz: ZoneInfo
    # Held so the session's (weak) identity map keeps it for later lookups in the request.
    org: Organisation | None = field(default=None, compare=False, repr=False)

    def today(self, now: datetime) -> date:
        return local_day(now, self.tz)

    def start_of(self, day: date) -> datetime:
        return local_midnight(day, self.tz)


def place_of(session: Session, user: User) -> Place:
    """The caller's organisation, or the national grid and Beijing time if not enrolled."""
    org = session.get(Organisation, user.org_id) if user.org_id is not None else None
    if org is None:
        return Place(None, NATIONAL_REGION, org_zone(None))
    return Place(org.id, org.region, org_zone(org.timezone), org)


def enrolled_place(session: Session, user: User) -> Place:
    """The caller's organisation; logging needs one (403 not_enrolled otherwise)."""
    place = place_of(session, user)
    if place.org_id is None:
        raise Forbidden("not_enrolled")
    return place


# --- rules shared by estimates and logging --------------------------------------------

def factor_set_on(registry: FactorRegistry, day: date) -> FactorSet | None:
    """The factor set in force on an organisation-local day (None before the first)."""
    try:
        return registry.in_force_on(day)
    except FactorSetNotFoundError:
        return None


def behaviour_of(factor_set: FactorSet, key: str) -> Behaviour:
    try:
        return factor_set.behaviour(key)
    except UnknownBehaviourError:
        raise Unprocessable("unknown_activity_type", details={
            "type": [FieldMessage("unknown_activity_type", key=key)]}) from None


def check_quantity(quantity: Decimal, behaviour: Behaviour) -> None:
    """0 < quantity <= max_per_entry, with at most 3 decimal places."""
    within = quantity.is_finite() and 0 < quantity <= behaviour.max_per_entry
    if not within or quantity != quantity.quantize(_QUANTITY_QUANTUM):
        limit = number_text(behaviour.max_per_entry)
        raise Unprocessable("quantity_out_of_range", details={"quantity": [
            FieldMessage("quantity_limits", limit=limit)]})


def number_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class DayUsage:
    """What one behaviour has credited to one person on one local day so far."""

    milli: int = 0  # quantity, in thousandths of a unit (the daily cap counts it)
    base_points: int = 0  # points before campaign multipliers

    @property
    def quantity(self) -> Decimal:
        return Decimal(self.milli) / 1000


@dataclass(frozen=True)
class Priced:
    """One entry priced after what its day already holds: what logging it would store."""

    credited: Decimal
    capped: bool
    saving: Saving
    base_points: int
    points: int

    def added_to(self, day: DayUsage) -> DayUsage:
        """The day's usage once this entry is credited."""
        return DayUsage(day.milli + int(self.credited * 1000),
                        day.base_points + self.base_points)


def price_entry(behaviour: Behaviour, quantity: Decimal, region: str, factor_set: FactorSet,
                day: DayUsage, multiplier: Decimal) -> Priced:
    """Daily cap, grams and points of an entry of `quantity` after `day` (pure).

    Nothing for an entry wholly past its cap; otherwise `entry_points` against the day's
    quantity taken as one entry: only the day's first entry earns the minimum, and
    splitting an entry never earns more than logging it once. The campaign multiplier
    multiplies the entry's points.
    """
    credit = credited_quantity(quantity, day.quantity, behaviour.daily_cap)
    saving = estimate_saving(behaviour, credit.credited, region, factor_set)
    if credit.credited <= 0:
        return Priced(credit.credited, credit.capped, saving, 0, 0)
    as_one = estimate_saving(behaviour, day.quantity + credit.credited, region, factor_set)
    base = entry_points(saving.saved_g, as_one.saved_g, day.base_points, factor_set)
    return Priced(credit.credited, credit.capped, saving, base,
                  apply_multiplier(base, multiplier))


def day_usage(session: Session, user_id: int, activity_type: str, day: date) -> DayUsage:
    """The usage row as it stands (no lock: logging reads it again under its lock)."""
    row = session.get(ActivityDailyUsage, (user_id, activity_type, day))
    if row is None:
        return DayUsage()
    return DayUsage(row.used_milli, row.base_points)


def at_org_rate(factor_set: FactorSet, policy: Policy) -> FactorSet:
    """The factor set with the organisation's grams per point (its points policy)."""
    if policy.grams_per_point == factor_set.points.grams_per_point:
        return factor_set
    return replace(factor_set, points=replace(factor_set.points,
                                              grams_per_point=policy.grams_per_point))


# --- catalogue and estimates -----------------------------------------------------------

def factor_view(factor: Factor, factor_set: FactorSet) -> dict:
    """A factor with its source spelled out (a 'same announcement' names the announcement)."""
    source = factor.source
    if factor.same_source_as is not None:
        source = f"{source} — {factor_set.factor(factor.same_source_as).source}"
    return {"key": factor.key, "value": factor.value, "unit": factor.unit,
            "data_year": factor.data_year, "source": source, "confidence": factor.confidence}


def catalogue_entry(behaviour: Behaviour, region: str, factor_set: FactorSet) -> dict:
    unit = per_unit(behaviour, region, factor_set)
    rule = factor_set.points
    return {
        "key": behaviour.key, "category": behaviour.category,
        "name_zh": behaviour.name_zh, "name_en": behaviour.name_en,
        "unit": behaviour.unit, "unit_zh": behaviour.unit_zh, "unit_en": behaviour.unit_en,
        "co2e_saved_per_unit_g": unit.saved_g,
        "per_entry_deduction_g": unit.per_entry_deduction_g,
        "points_per_unit": max(Decimal(0), unit.saved_g) / rule.grams_per_point,
        # Only the day's first entry of a behaviour earns the minimum (entry_points).
        "min_points_per_entry": 0,
        "first_entry_min_points": rule.min_points_per_entry,
        "max_per_entry": behaviour.max_per_entry, "daily_cap": behaviour.daily_cap,
        "factor_version": factor_set.version, "grid_factor": unit.grid_factor,
        "no_source": behaviour.no_source, "limits_note": behaviour.limits_note,
        "note": behaviour.note,
        "sources": [factor_view(f, factor_set) for f in unit.factors],
    }


def activity_catalogue(session: Session, user: User, registry: FactorRegistry,
                       now: datetime) -> list[dict]:
    """Every behaviour of the factor set in force today, per-unit carbon for the caller."""
    place = place_of(session, user)
    factor_set = factor_set_on(registry, place.today(now)) or registry.sets[0]
    factor_set = at_org_rate(factor_set, policy_of(session, place.org_id))
    return [catalogue_entry(b, place.region, factor_set) for b in factor_set.behaviours]


def estimate_carbon(session: Session, user: User, activity_type: str, quantity: Decimal,
                    registry: FactorRegistry, now: datetime) -> dict:
    """What an entry logged now would earn for this person: after what they already
    logged today (daily cap, first entry of the day) and any campaign; nothing is stored."""
    place = place_of(session, user)
    today = place.today(now)
    factor_set = factor_set_on(registry, today) or registry.sets[0]
    factor_set = at_org_rate(factor_set, policy_of(session, place.org_id))
    behaviour = behaviour_of(factor_set, activity_type)
    check_quantity(quantity, behaviour)
    day = day_usage(session, user.id, behaviour.key, today) if place.org_id else DayUsage()
    multiplier, campaign_id = campaign_multiplier_for(session, user, behaviour.key, now)
    priced = price_entry(behaviour, quantity, place.region, factor_set, day, multiplier)
    saving = priced.saving
    return {
        "type": behaviour.key, "quantity": quantity, "credited_quantity": priced.credited,
        "capped": priced.capped, "first_of_day": day.base_points == 0,
        "co2e_saved_g": saving.saved_g, "points": priced.points, "multiplier": multiplier,
        "campaign_id": campaign_id,
        "factor_version": factor_set.version, "region": place.region,
        "breakdown": {
            "baseline_g": saving.baseline_g, "actual_g": saving.project_g,
            "per_unit_saved_g": saving.per_unit_saved_g,
            "per_entry_deduction_g": saving.per_entry_deduction_g,
            "factors": [factor_view(f, factor_set) for f in saving.factors],
        },
    }


# --- history ------------------------------------------------------------------------------

def history_bounds(place: Place, start: date | datetime | None,
                   end: date | datetime | None) -> tuple[datetime | None, datetime | None]:
    """[from, to) in UTC: a date means its whole organisation-local day."""
    lower = place.start_of(start) if type(start) is date else start
    upper = end
    if type(end) is date:
        upper = place.start_of(end + timedelta(days=1))
    elif end is not None:
        upper = end + timedelta(microseconds=1)  # a time given for `to` is included
    return lower, upper


def activity_history(session: Session, user: User, filters: dict, limit: int,
                     cursor: str | None) -> Page:
    """The caller's own activities, newest first, `from`/`to`/`type`/`status` filters."""
    place = place_of(session, user)
    lower, upper = history_bounds(place, filters.get("from"), filters.get("to"))
    stmt = select(Activity).where(Activity.user_id == user.id)
    if lower is not None:
        stmt = stmt.where(Activity.occurred_at >= lower)
    if upper is not None:
        stmt = stmt.where(Activity.occurred_at < upper)
    if filters.get("type"):
        stmt = stmt.where(Activity.type == filters["type"])
    if filters.get("status"):
        stmt = stmt.where(Activity.status == filters["status"])
    return paginate_by_keys(session, stmt, [Activity.occurred_at, Activity.id], limit, cursor,
                            lambda a: [a.occurred_at.isoformat(), a.id])
