"""Logging behaviours: one entry, a batch, and voiding an entry on the day it was logged.

Every accepted entry moves, in the caller's transaction: its activity row, the
per-day usage row of its behaviour (daily caps), the points ledger (through
`credit_points`), the daily contributions rollup and the report rollups
(`activities.rollups`). A void moves all of them back with compensating entries;
nothing is deleted or rewritten.

Concurrency: each write first locks the person's user row (PostgreSQL; SQLite runs
one writer at a time anyway), so one person's entries, batches and voids take their
locks in one order and never deadlock; the usage row is then upserted and locked, so
the quantity already credited that day is exact when the cap is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from activities.campaign_hook import campaign_multiplier_for
from activities.factors import Behaviour, FactorRegistry, FactorSet
from activities.models import Activity, ActivityDailyUsage
from activities.review import flag_for_review
from activities.rollups import record_activity_rollup
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
from points.ledger import InsufficientPoints, credit_points
from points.policy import (
    claim_monthly_points,
    count_monthly_points,
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


@dataclass
class _BatchMemo:
    """What one batch looks up once instead of once per item (its person is locked)."""

    known: dict[str, Activity]  # client_id -> the activity already stored under it
    # True: no savepoint per insert; a client_id stored concurrently fails the whole
    # pass (IntegrityError), which log_batch then runs again item by item.
    optimistic: bool = False
    campaigns: dict[tuple[str, datetime], tuple[Decimal, int | None]] = field(
        default_factory=dict)


def log_activity(session: Session, user: User, entry: ActivityEntry,
                 registry: FactorRegistry, now: datetime,
                 _memo: _BatchMemo | None = None) -> Logged:
    """Store one entry and credit its carbon and points, or answer the original for a replay.

    The daily cap is applied on the usage row, locked first; an entry wholly past it is
    stored with `capped` true and earns nothing.
    """
    place = enrolled_place(session, user)
    fingerprint = entry.fingerprint()
    if entry.client_id is not None:
        existing = (_memo.known.get(entry.client_id) if _memo is not None
                    else _by_client_id(session, user.id, entry.client_id))
        if existing is not None:
            return _replayed(existing, fingerprint)
    plan = plan_entry(entry, place, registry, now)
    if _memo is None:
        lock_person(session, user.id)
    day = _claim_usage(session, user.id, plan.behaviour.key, plan.local_date)
    multiplier, campaign_id = _campaign(session, user, plan, _memo)
    policy = policy_of(session, place.org_id)
    priced = price_entry(plan.behaviour, entry.quantity, place.region,
                         at_org_rate(plan.factor_set, policy), day, multiplier)
    points, points_capped = claim_monthly_points(session, policy, user.id, plan.local_date,
                                                 priced.points)
    activity = Activity(
        user_id=user.id, org_id=place.org_id, team_id=user.team_id, type=plan.behaviour.key,
        quantity=entry.quantity, credited_quantity=priced.credited,
        occurred_at=plan.occurred_at, local_date=plan.local_date, region=place.region,
        factor_version=plan.factor_set.version,
        per_unit_saved_g=priced.saving.per_unit_saved_g, co2e_saved_g=priced.saving.saved_g,
        points=points, base_points=priced.base_points, capped=priced.capped,
        status="accepted", grams_per_point=policy.grams_per_point, points_capped=points_capped,
        campaign_id=campaign_id, multiplier=multiplier, client_id=entry.client_id,
        request_hash=fingerprint, note=entry.note, created_at=now)
    if entry.client_id is None or (_memo is not None and _memo.optimistic):
        session.add(activity)
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.add(activity)
        except IntegrityError:
            # The same client_id committed first (a concurrent replay): answer with that one.
            existing = _by_client_id(session, user.id, entry.client_id)
            if existing is None:
                raise
            return _replayed(existing, fingerprint)
    _credit_entry(session, activity, plan.behaviour, now)
    flag_for_review(session, activity, plan.behaviour)
    if _memo is not None and entry.client_id is not None:
        _memo.known[entry.client_id] = activity
    return Logged(activity, created=True)


def _campaign(session: Session, user: User, plan: _Plan,
              memo: _BatchMemo | None) -> tuple[Decimal, int | None]:
    if memo is None:
        return campaign_multiplier_for(session, user, plan.behaviour.key, plan.occurred_at)
    key = (plan.behaviour.key, plan.occurred_at)
    if key not in memo.campaigns:
        memo.campaigns[key] = campaign_multiplier_for(session, user, *key)
    return memo.campaigns[key]


def _credit_entry(session: Session, activity: Activity, behaviour: Behaviour,
                  now: datetime) -> None:
    """Usage, ledger and rollup of a stored entry, in its transaction."""
    if activity.credited_quantity > 0:
        _add_usage(session, activity, 1)
    count_monthly_points(session, activity.user_id, activity.local_date, activity.points)
    if activity.points:
        credit_points(session, user_id=activity.user_id, org_id=activity.org_id,
                      team_id=activity.team_id, delta=activity.points, kind="earn",
                      source_type="activity", source_id=activity.id, now=now,
                      reason=_reason(behaviour, activity), new_source=True)
    record_contribution(session, user_id=activity.user_id, org_id=activity.org_id,
                        team_id=activity.team_id, day=activity.local_date,
                        co2e_g=activity.co2e_saved_g, points=activity.points, entries=1)
    record_activity_rollup(session, activity, 1)


def log_batch(session: Session, user: User, items: list[ActivityEntry | InvalidEntry],
              registry: FactorRegistry, now: datetime) -> list[BatchResult]:
    """Judge each item on its own; results in the items' order.

    The person is locked once, before any savepoint (a rolled-back savepoint would
    release a lock taken inside it), and the stored client_ids are read in one query.
    No savepoint per item: every refusal of `log_activity` is raised before the item
    writes anything (replay, plan, limits) and a credit of a new activity cannot fail.
    One savepoint around all the items instead of one per insert (two round trips less
    per item): the client_ids were read under the person's lock, which every writer of
    their activities takes, so a conflict there is not expected; should one happen all
    the same, the items are judged again with a savepoint per insert.
    """
    enrolled_place(session, user)
    lock_person(session, user.id)
    known = _by_client_ids(session, user.id, items)
    try:
        with session.begin_nested():
            return _log_items(session, user, items, registry, now,
                              _BatchMemo(dict(known), optimistic=True))
    except IntegrityError:
        # A client_id stored by a writer that did not lock the person: judge the items
        # again, each insert in its own savepoint, answering with the stored activity.
        return _log_items(session, user, items, registry, now,
                          _BatchMemo(_by_client_ids(session, user.id, items)))


def _log_items(session: Session, user: User, items: list[ActivityEntry | InvalidEntry],
               registry: FactorRegistry, now: datetime, memo: _BatchMemo) -> list[BatchResult]:
    results = []
    for item in items:
        if isinstance(item, InvalidEntry):
            results.append(BatchResult(item.client_id, "rejected", error=Unprocessable(
                "validation_error", details=item.details)))
            continue
        try:
            logged = log_activity(session, user, item, registry, now, _memo=memo)
        except ApiError as error:
            results.append(BatchResult(item.client_id, "rejected", error=error))
            continue
        status = "created" if logged.created else "duplicate"
        results.append(BatchResult(item.client_id, status, activity=logged.activity))
    return results


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


_USAGE_TOTALS = ("used_milli", "base_points")


def _claim_usage(session: Session, user_id: int, activity_type: str, day) -> DayUsage:
    """Create or lock the day's usage row and answer what it has credited so far."""
    # A no-op update on conflict takes the row lock and returns the current values.
    statement = additive_upsert(session, ActivityDailyUsage, keys=("user_id", "type", "day"),
                                touches=_USAGE_TOTALS, returning=_USAGE_TOTALS)
    row = session.execute(statement, params(user_id=user_id, type=activity_type, day=day,
                                            used_milli=0, base_points=0)).one()
    return DayUsage(*(int(value) for value in row))


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


def _by_client_id(session: Session, user_id: int, client_id: str) -> Activity | None:
    return session.scalar(select(Activity).where(Activity.user_id == user_id,
                                                 Activity.client_id == client_id))


def _by_client_ids(session: Session, user_id: int,
                   items: list[ActivityEntry | InvalidEntry]) -> dict[str, Activity]:
    wanted = {item.client_id for item in items if item.client_id is not None}
    if not wanted:
        return {}
    return {a.client_id: a for a in session.scalars(
        select(Activity).where(Activity.user_id == user_id, Activity.client_id.in_(wanted)))}


def _replayed(existing: Activity, fingerprint: str) -> Logged:
    if existing.request_hash != fingerprint:
        raise Unprocessable("idempotency_key_reused", details={"client_id": [
            FieldMessage("client_id_reused")]})
    return Logged(existing, created=False)


def _reason(behaviour: Behaviour, activity: Activity) -> str:
    quantity = format(Decimal(activity.quantity).normalize(), "f")
    return f"{behaviour.name_zh} {quantity} {behaviour.unit_zh}"[:200]
