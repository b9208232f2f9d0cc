"""Logging behaviours: one entry, a batch, and voiding an entry on the day it was logged.

A single post is a batch of one: both go through `log_batch`, whose cost does not grow
with the batch. Every refusal is decided first (replays, catalogue, limits, back-fill);
the accepted entries are then priced in order and written set-based, one statement per
table for the whole request: the usage rows of all their (behaviour, day) pairs claimed
at once, one multi-row insert each for activities and ledger entries, one account move,
one move of each rollup (shared rows at commit, `app.commit_time`). A void moves
everything back with compensating entries; nothing is deleted or rewritten.

Concurrency: each write first locks the person's user row (PostgreSQL; SQLite runs
one writer at a time anyway), so one person's entries, batches and voids take their
locks in one order and never deadlock; the usage rows are then upserted and locked in
key order, so the quantity already credited each day is exact when the cap is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from activities.campaign_hook import MultiplierOf, multipliers_for
from activities.factors import Behaviour, FactorRegistry, FactorSet
from activities.models import Activity, ActivityDailyUsage
from activities.review import flag_for_review
from activities.rollups import record_activity_rollup, record_activity_rollups
from activities.service import (
    DayUsage,
    Place,
    at_org_rate,
    behaviour_of,
    check_quantity,
    enrolled_place,
    factor_set_on,
    price_entry,
)
from app.calendar import local_day
from app.errors import ApiError, Conflict, NotFound, Unprocessable
from app.i18n import FieldMessage
from app.idempotency import request_fingerprint
from app.models import Organisation, User
from app.upserts import additive_upsert, params
from points.contributions import record_contribution
from points.ledger import Earning, InsufficientPoints, credit_earnings, credit_points
from points.policy import (
    Policy,
    capped_points,
    count_monthly_points,
    monthly_points_earned,
    policy_of,
    release_monthly_points,
)

BACKFILL_WINDOW = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)
MILLI = Decimal(1000)


class PointsAlreadySpent(InsufficientPoints):
    """409 insufficient_points, saying why: the entry's points were spent since."""

    message_code = "activity_points_spent"


@dataclass(frozen=True)
class ActivityEntry:
    """One entry as a client sent it (already parsed)."""

    type: str
    quantity: Decimal
    occurred_at: datetime | None = None
    client_id: str | None = None
    note: str | None = None

    def fingerprint(self) -> str:
        """The request as compared for a reused client_id (same instant, same quantity)."""
        occurred = self.occurred_at.astimezone(UTC).isoformat() if self.occurred_at else None
        return request_fingerprint({"type": self.type, "quantity": str(self.quantity.normalize()),
                                    "occurred_at": occurred, "note": self.note})


@dataclass(frozen=True)
class InvalidEntry:
    """A batch item that did not parse: rejected on its own, the rest still counts."""

    client_id: str | None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Logged:
    activity: Activity
    created: bool  # False: a replay of the same client_id answered with the original


@dataclass(frozen=True)
class BatchResult:
    client_id: str | None
    status: str  # created | duplicate | rejected
    activity: Activity | None = None
    error: ApiError | None = None


@dataclass(frozen=True)
class _Plan:
    behaviour: Behaviour
    factor_set: FactorSet
    occurred_at: datetime
    local_date: date


def plan_entry(entry: ActivityEntry, place: Place, registry: FactorRegistry,
               now: datetime) -> _Plan:
    """Check an entry against the catalogue, its limits and the back-fill window."""
    occurred_at = (entry.occurred_at or now).astimezone(UTC)
    local_date = local_day(occurred_at, place.tz)
    factor_set = factor_set_on(registry, local_date)
    behaviour = behaviour_of(factor_set or registry.sets[0], entry.type)
    check_quantity(entry.quantity, behaviour)
    if occurred_at > now + CLOCK_SKEW:
        raise Unprocessable("occurred_in_future", details={"occurred_at": [
            FieldMessage("not_in_future")]})
    if occurred_at < now - BACKFILL_WINDOW or factor_set is None:
        raise Unprocessable("occurred_too_long_ago", details={"occurred_at": [
            FieldMessage("backfill_window", days=BACKFILL_WINDOW.days)]})
    return _Plan(behaviour, factor_set, occurred_at, local_date)


def log_activity(session: Session, user: User, entry: ActivityEntry,
                 registry: FactorRegistry, now: datetime) -> Logged:
    """Store one entry and credit its carbon and points, or answer the original for a replay.

    A batch of one: the same statements as `log_batch`, its refusal raised.
    """
    [result] = log_batch(session, user, [entry], registry, now)
    if result.error is not None:
        raise result.error
    return Logged(result.activity, created=result.status == "created")


def log_batch(session: Session, user: User, items: list[ActivityEntry | InvalidEntry],
              registry: FactorRegistry, now: datetime) -> list[BatchResult]:
    """Judge each item on its own, then store the accepted ones together; results in order.

    The person is locked first, then their stored client_ids are read (in a statement of
    their own: under READ COMMITTED a statement sees what committed before it started, so
    the read must follow the lock to see a replay committed while it waited). Every writer
    of a person's activities takes that lock, so a client_id found new here stays new:
    no savepoint, no IntegrityError to catch. Every refusal (replay body, catalogue,
    limits, back-fill window) is decided before anything is written; what remains is
    set-based (`_store`): a handful of statements whatever the batch's size.
    """
    place = enrolled_place(session, user)
    lock_person(session, user.id)
    known = _by_client_ids(session, user.id, items)
    results: list[BatchResult | None] = [None] * len(items)
    accepted: list[tuple[int, ActivityEntry, _Plan]] = []
    first_of: dict[str, int] = {}  # client_id -> the item of this batch that stores it
    for index, item in enumerate(items):
        try:
            judged = _judge(item, known, first_of, items, place, registry, now)
        except ApiError as error:
            results[index] = BatchResult(item.client_id, "rejected", error=error)
            continue
        if isinstance(judged, _Plan):
            accepted.append((index, item, judged))
            if item.client_id is not None:
                first_of[item.client_id] = index
        else:
            results[index] = judged
    stored = _store(session, user, place, accepted, now)
    for (index, item, _plan), activity in zip(accepted, stored, strict=True):
        results[index] = BatchResult(item.client_id, "created", activity=activity)
    for index, item in enumerate(items):
        if results[index] is None:  # a repeat of an item stored above
            original = results[first_of[item.client_id]].activity
            results[index] = BatchResult(item.client_id, "duplicate", activity=original)
    return results


def _judge(item: ActivityEntry | InvalidEntry, known: dict[str, Activity],
           first_of: dict[str, int], items: list, place: Place, registry: FactorRegistry,
           now: datetime) -> BatchResult | _Plan | None:
    """An item's answer decided before storing anything: its plan when it is to be stored,
    None when it repeats an earlier item of the batch. Raises the item's refusal."""
    if isinstance(item, InvalidEntry):
        raise Unprocessable("validation_error", details=item.details)
    fingerprint = item.fingerprint()
    if item.client_id in known:
        return BatchResult(item.client_id, "duplicate",
                           activity=_replayed(known[item.client_id], fingerprint).activity)
    if item.client_id in first_of:
        if items[first_of[item.client_id]].fingerprint() != fingerprint:
            raise _reused_client_id()
        return None
    return plan_entry(item, place, registry, now)


def _store(session: Session, user: User, place: Place,
           accepted: list[tuple[int, ActivityEntry, _Plan]], now: datetime) -> list[Activity]:
    """Price the accepted entries in order and write them with one statement per table.

    The usage rows of all their (behaviour, day) pairs are claimed (created or locked)
    at once, so what each day already holds is exact when its cap is applied; the
    entries then take from those amounts in the items' order, in Python.
    """
    if not accepted:
        return []
    usage = _claim_usages(session, user.id, sorted(
        {(plan.behaviour.key, plan.local_date) for _, _, plan in accepted}))
    policy = policy_of(session, place.org_id)
    month_cap = _MonthlyCap(session, policy, user.id)
    campaigns: dict[datetime, MultiplierOf] = {}  # one lookup per instant
    activities, used_after = [], []
    for _, entry, plan in accepted:
        pair = (plan.behaviour.key, plan.local_date)
        if plan.occurred_at not in campaigns:
            campaigns[plan.occurred_at] = multipliers_for(session, user, plan.occurred_at)
        multiplier, campaign_id = campaigns[plan.occurred_at](plan.behaviour.key)
        priced = price_entry(plan.behaviour, entry.quantity, place.region,
                             at_org_rate(plan.factor_set, policy), usage[pair], multiplier)
        usage[pair] = priced.added_to(usage[pair])
        used_after.append(usage[pair].milli)
        saving = priced.saving
        points, points_capped = month_cap.grant(plan.local_date, priced.points)
        activities.append(Activity(
            user_id=user.id, org_id=place.org_id, team_id=user.team_id,
            type=plan.behaviour.key, quantity=entry.quantity,
            credited_quantity=priced.credited, occurred_at=plan.occurred_at,
            local_date=plan.local_date, region=place.region,
            factor_version=plan.factor_set.version, per_unit_saved_g=saving.per_unit_saved_g,
            co2e_saved_g=saving.saved_g, points=points, base_points=priced.base_points,
            capped=priced.capped,
            status="accepted", grams_per_point=policy.grams_per_point,
            points_capped=points_capped, campaign_id=campaign_id, multiplier=multiplier,
            client_id=entry.client_id, request_hash=entry.fingerprint(), note=entry.note,
            voided_at=None, created_at=now))
    session.add_all(activities)
    session.flush()  # one multi-row INSERT ... RETURNING id
    _credit_stored(session, activities, [plan.behaviour for _, _, plan in accepted], usage,
                   month_cap, now)
    flag_for_review(session, [(activity, plan.behaviour, used) for activity, (_, _, plan), used
                              in zip(activities, accepted, used_after, strict=True)])
    return activities


def _credit_stored(session: Session, activities: list[Activity], behaviours: list[Behaviour],
                   usage: dict[tuple[str, date], DayUsage], month_cap: _MonthlyCap,
                   now: datetime) -> None:
    """Usage, monthly earnings, ledger, contributions and rollups of the stored entries."""
    first = activities[0]
    _set_usages(session, first.user_id, usage)
    month_cap.count()
    credit_earnings(session, user_id=first.user_id, org_id=first.org_id,
                    team_id=first.team_id, source_type="activity", now=now,
                    earnings=[Earning(a.points, str(a.id), _reason(b, a))
                              for a, b in zip(activities, behaviours, strict=True)])
    days: dict[date, list[int]] = {}
    for activity in activities:
        totals = days.setdefault(activity.local_date, [0, 0, 0])
        totals[0] += activity.co2e_saved_g
        totals[1] += activity.points
        totals[2] += 1
    for day, (co2e_g, points, entries) in days.items():
        record_contribution(session, user_id=first.user_id, org_id=first.org_id,
                            team_id=first.team_id, day=day, co2e_g=co2e_g, points=points,
                            entries=entries)
    record_activity_rollups(session, activities, 1)


class _MonthlyCap:
    """The monthly earn cap over one request's entries: each month's row is locked (with
    a cap) before its first entry is priced, and moved once by what they earned."""

    def __init__(self, session: Session, policy: Policy, user_id: int):
        self.session, self.policy, self.user_id = session, policy, user_id
        self.earned: dict[date, int] = {}  # month -> earned before this request
        self.added: dict[date, int] = {}  # month -> earned by this request

    def grant(self, day: date, points: int) -> tuple[int, bool]:
        month = day.replace(day=1)
        if month not in self.earned:
            self.earned[month] = monthly_points_earned(self.session, self.policy,
                                                       self.user_id, month)
        added = self.added.get(month, 0)
        granted, capped = capped_points(self.policy, self.earned[month] + added, points)
        self.added[month] = added + granted
        return granted, capped

    def count(self) -> None:
        count_monthly_points(self.session, self.user_id, self.added)


def void_activity(session: Session, user: User, activity_id: int, now: datetime) -> Activity:
    """Owner only, on the organisation-local day it was logged: everything moves back."""
    activity = session.get(Activity, activity_id)
    if activity is None or activity.user_id != user.id:
        raise NotFound()
    if activity.status == "voided":
        raise Conflict("activity_already_voided")
    org = session.get(Organisation, activity.org_id)
    timezone = org.timezone if org else None
    if local_day(activity.created_at, timezone) != local_day(now, timezone):
        raise Conflict("activity_not_voidable")
    lock_person(session, user.id)
    mark_voided(session, activity, now)
    if activity.points:
        try:
            credit_points(session, user_id=activity.user_id, org_id=activity.org_id,
                          team_id=activity.team_id, delta=-activity.points, kind="adjust",
                          source_type="activity_void", source_id=activity.id, now=now,
                          reason=f"撤销行为记录 #{activity.id} (activity voided)")
        except InsufficientPoints as exc:
            raise PointsAlreadySpent(details={**exc.details, "points": activity.points}) from exc
    take_back_entry(session, activity)
    return activity


def mark_voided(session: Session, activity: Activity, now: datetime) -> None:
    """Conditional: of two concurrent voids exactly one moves anything back."""
    voided = session.execute(
        update(Activity).where(Activity.id == activity.id, Activity.status == "accepted")
        .values(status="voided", voided_at=now)
        .execution_options(synchronize_session="evaluate")).rowcount
    if voided != 1:
        raise Conflict("activity_already_voided")


def take_back_entry(session: Session, activity: Activity) -> None:
    """Usage, monthly earnings, contributions and rollups of a voided entry move back.

    Its points leave the ledger by the caller's own compensating entry.
    """
    if activity.credited_quantity > 0:
        _add_usage(session, activity, -1)
    release_monthly_points(session, activity.user_id, activity.local_date, activity.points)
    record_contribution(session, user_id=activity.user_id, org_id=activity.org_id,
                        team_id=activity.team_id, day=activity.local_date,
                        co2e_g=-activity.co2e_saved_g, points=-activity.points, entries=-1)
    record_activity_rollup(session, activity, -1)


# --- rows ------------------------------------------------------------------------------------

def lock_person(session: Session, user_id: int) -> None:
    """Serialise one person's writes (PostgreSQL row lock; SQLite is one writer already).

    FOR NO KEY UPDATE, not FOR UPDATE: it still queues the person's own writes, but lets
    foreign-key checks (FOR KEY SHARE) on the user row pass, so a rollups rebuild that
    inserts rows referring to this person never deadlocks with them.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user_id)
                        .with_for_update(key_share=True))


def _claim_usages(session: Session, user_id: int,
                  pairs: list[tuple[str, date]]) -> dict[tuple[str, date], DayUsage]:
    """Create or lock the usage rows of (behaviour, day) pairs, in key order, in one
    statement; answer what each has credited so far (quantity and base points)."""
    # A no-op update on conflict takes the row lock and returns the current values.
    statement = additive_upsert(session, ActivityDailyUsage, keys=("user_id", "type", "day"),
                                touches=("used_milli", "base_points"),
                                returning=("type", "day", "used_milli", "base_points"))
    rows = session.execute(statement, [params(user_id=user_id, type=kind, day=day, used_milli=0,
                                              base_points=0) for kind, day in pairs])
    return {(kind, day): DayUsage(int(used), int(base)) for kind, day, used, base in rows}


def _set_usages(session: Session, user_id: int,
                usage: dict[tuple[str, date], DayUsage]) -> None:
    """Write the (locked) usage rows' new amounts, one statement for all of them."""
    table = ActivityDailyUsage.__table__
    session.execute(update(table).where(table.c.user_id == bindparam("k_user_id"),
                                        table.c.type == bindparam("k_type"),
                                        table.c.day == bindparam("k_day"))
                    .values(used_milli=bindparam("k_used"), base_points=bindparam("k_base")),
                    [{"k_user_id": user_id, "k_type": kind, "k_day": day, "k_used": used.milli,
                      "k_base": used.base_points} for (kind, day), used in sorted(usage.items())])


def _add_usage(session: Session, activity: Activity, sign: int) -> None:
    """Add (sign 1) or take back (-1) an entry's quantity and points on its day."""
    usage = ActivityDailyUsage
    session.execute(
        update(usage)
        .where(usage.user_id == activity.user_id, usage.type == activity.type,
               usage.day == activity.local_date)
        .values(used_milli=usage.used_milli + sign * int(activity.credited_quantity * MILLI),
                base_points=usage.base_points + sign * activity.base_points)
        .execution_options(synchronize_session=False))


def _by_client_ids(session: Session, user_id: int,
                   items: list[ActivityEntry | InvalidEntry]) -> dict[str, Activity]:
    wanted = {item.client_id for item in items if item.client_id is not None}
    if not wanted:
        return {}
    return {a.client_id: a for a in session.scalars(
        select(Activity).where(Activity.user_id == user_id, Activity.client_id.in_(wanted)))}


def _replayed(existing: Activity, fingerprint: str) -> Logged:
    if existing.request_hash != fingerprint:
        raise _reused_client_id()
    return Logged(existing, created=False)


def _reused_client_id() -> Unprocessable:
    return Unprocessable("idempotency_key_reused", details={"client_id": [
        FieldMessage("client_id_reused")]})


def _reason(behaviour: Behaviour, activity: Activity) -> str:
    quantity = format(Decimal(activity.quantity).normalize(), "f")
    return f"{behaviour.name_zh} {quantity} {behaviour.unit_zh}"[:200]
