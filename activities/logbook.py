"""Logging behaviours: one entry, a batch, and voiding an entry on the day it was logged.

A single post is a batch of one: both go through `log_batch`, whose cost does not grow
with the batch. Every refusal is decided first (replays, catalogue, limits, back-fill);
the accepted entries are then priced in order in Python against what was read once
under the person's lock, and written set-based: on PostgreSQL one statement writes every
row a request moves (`activities.logbook_sql`: activities, usage, monthly earnings,
participants, reviews, account, ledger, rollups, contributions, the organisation's
points of the day); SQLite writes the same rows with one statement per table. A void
moves everything back with compensating entries; nothing is deleted or rewritten.

Concurrency: each write first locks the person's user row (PostgreSQL; SQLite runs
one writer at a time anyway), so one person's entries, batches and voids take their
locks in one order and never deadlock, and the usage rows and monthly earnings read after
the lock stay exact until the request commits: the caps are applied to true amounts.
Rows shared by a team or an organisation are moved by the request's last statement,
right before its COMMIT, so they are held for one statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property

from sqlalchemy import Date, Integer, String, bindparam, select, text, update
from sqlalchemy.orm import Session

from activities.campaign_hook import MultiplierOf, multipliers_for
from activities.factors import Behaviour, FactorRegistry, FactorSet
from activities.logbook_sql import Writes, write_all
from activities.models import (
    QUANTITY,
    Activity,
    ActivityDailyUsage,
    ActivityReview,
    NewActivity,
)
from activities.review import (
    LONG_TRIP_TYPES,
    Earlier,
    ReviewWindow,
    outlier_span,
    review_rules,
    streak_days,
)
from activities.rollups import count_newly_active, rollup_rows, take_back_rollups, write_rollups
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
from app.calendar import local_day, month_start, next_month_start, year_start
from app.db import UTCDateTime
from app.errors import ApiError, Conflict, NotFound, Unprocessable
from app.i18n import FieldMessage
from app.idempotency import request_fingerprint
from app.models import Organisation, User
from app.shared_rows import SharedRows
from app.upserts import additive_upsert, params
from points.contributions import (
    ContributionChange,
    contributions_written,
    record_contribution,
    record_contributions,
)
from points.ledger import (
    Earning,
    InsufficientPoints,
    credit_earnings,
    credit_points,
    org_local_day,
)
from points.policy import (
    Policy,
    capped_points,
    count_monthly_points,
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

    @cached_property
    def fingerprint(self) -> str:
        """The request as compared for a reused client_id (same instant, same quantity);
        computed once per entry (it is compared, then stored)."""
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
    activity: Activity | NewActivity
    created: bool  # False: a replay of the same client_id answered with the original


@dataclass(frozen=True)
class BatchResult:
    client_id: str | None
    status: str  # created | duplicate | rejected
    activity: Activity | NewActivity | None = None
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
                 registry: FactorRegistry, now: datetime, *,
                 person_locked: bool = False) -> Logged:
    """Store one entry and credit its carbon and points, or answer the original for a replay.

    A batch of one: the same statements as `log_batch`, its refusal raised.
    """
    [result] = log_batch(session, user, [entry], registry, now, person_locked=person_locked)
    if result.error is not None:
        raise result.error
    return Logged(result.activity, created=result.status == "created")


def log_batch(session: Session, user: User, items: list[ActivityEntry | InvalidEntry],
              registry: FactorRegistry, now: datetime, *,
              person_locked: bool = False) -> list[BatchResult]:
    """Judge each item on its own, then store the accepted ones together; results in order.

    Statements, whatever the batch's size: the person is locked (`lock_person`; a route
    that read the person with the lock already, `authenticated(lock_user=True)`, says
    `person_locked`), then what the items need is read in one statement of its own (under
    READ COMMITTED a statement sees what committed before it started, so the read must
    follow the lock to see a replay or usage committed while it waited): their stored
    client_ids, the usage rows and monthly earnings they count against, the history the
    review rules look back on and the organisation's points policy (a policy changed while
    waiting applies, as any policy change, from then on). Every writer of a person's
    activities takes that lock, so
    what was read stays true until this request commits: no savepoint, no IntegrityError
    to catch, no row locked twice. Every refusal (replay body, catalogue, limits, back-fill
    window) is decided before anything is written; the accepted entries are priced in
    order in Python and written by one statement on PostgreSQL (`activities.logbook_sql`).
    """
    place = enrolled_place(session, user)
    plans = [_try_plan(item, place, registry, now) for item in items]
    if not person_locked:
        lock_person(session, user.id)
    state = _read_state(session, user.id, place.org_id, items, plans)
    results: list[BatchResult | None] = [None] * len(items)
    accepted: list[tuple[int, ActivityEntry, _Plan]] = []
    first_of: dict[str, int] = {}  # client_id -> the item of this batch that stores it
    for index, item in enumerate(items):
        try:
            judged = _judge(item, plans[index], state.known, first_of, items)
        except ApiError as error:
            results[index] = BatchResult(item.client_id, "rejected", error=error)
            continue
        if isinstance(judged, _Plan):
            accepted.append((index, item, judged))
            if item.client_id is not None:
                first_of[item.client_id] = index
        else:
            results[index] = judged
    _answer_replays(session, results)
    stored = _store(session, user, place, state, accepted, now)
    for (index, item, _plan), activity in zip(accepted, stored, strict=True):
        results[index] = BatchResult(item.client_id, "created", activity=activity)
    for index, item in enumerate(items):
        if results[index] is None:  # a repeat of an item stored above
            original = results[first_of[item.client_id]].activity
            results[index] = BatchResult(item.client_id, "duplicate", activity=original)
    return results


def _try_plan(item: ActivityEntry | InvalidEntry, place: Place, registry: FactorRegistry,
              now: datetime) -> _Plan | ApiError | None:
    """An entry's plan, or its refusal (kept: a replay is answered before it counts)."""
    if isinstance(item, InvalidEntry):
        return None
    try:
        return plan_entry(item, place, registry, now)
    except ApiError as error:
        return error


def _judge(item: ActivityEntry | InvalidEntry, plan: _Plan | ApiError | None,
           known: dict[str, tuple[int, str | None]], first_of: dict[str, int],
           items: list) -> BatchResult | _Plan | None:
    """An item's answer decided before storing anything: its plan when it is to be stored,
    None when it repeats an earlier item of the batch. Raises the item's refusal. A
    replay's answer names the stored activity's id (`_answer_replays` loads it)."""
    if isinstance(item, InvalidEntry):
        raise Unprocessable("validation_error", details=item.details)
    fingerprint = item.fingerprint
    if item.client_id in known:
        activity_id, request_hash = known[item.client_id]
        if request_hash != fingerprint:
            raise _reused_client_id()
        return BatchResult(item.client_id, "duplicate", activity=activity_id)
    if item.client_id in first_of:
        if items[first_of[item.client_id]].fingerprint != fingerprint:
            raise _reused_client_id()
        return None
    if isinstance(plan, ApiError):
        raise plan
    return plan


def _answer_replays(session: Session, results: list[BatchResult | None]) -> None:
    """Replace the ids of replayed activities by the activities (one query, replays only)."""
    wanted = {r.activity for r in results if r is not None and isinstance(r.activity, int)}
    if not wanted:
        return
    found = {a.id: a for a in session.scalars(select(Activity).where(Activity.id.in_(wanted)))}
    for index, result in enumerate(results):
        if result is not None and isinstance(result.activity, int):
            results[index] = BatchResult(result.client_id, result.status,
                                         activity=found[result.activity])


@dataclass
class _State:
    """What a request's items count against, read once after the person's lock."""

    known: dict[str, tuple[int, str | None]]  # client_id -> (activity id, request hash)
    usage: dict[tuple[str, date], DayUsage]  # (behaviour, day) -> credited so far
    earned: dict[date, int]  # month -> points earned from behaviours
    window: ReviewWindow
    policy: Policy
    # Months of the items' years in which the person already counts as active.
    counted_months: set[date] = field(default_factory=set)


def _store(session: Session, user: User, place: Place, state: _State,
           accepted: list[tuple[int, ActivityEntry, _Plan]],
           now: datetime) -> list[NewActivity]:
    """Price the accepted entries in order and write them with one statement per table
    (one statement in all on PostgreSQL).

    What each (behaviour, day) and month already holds was read under the person's lock,
    so it is exact when the caps are applied; the entries take from those amounts in the
    items' order, in Python.
    """
    if not accepted:
        return []
    policy = state.policy
    usage = dict(state.usage)
    earned = dict(state.earned)
    campaigns: dict[datetime, MultiplierOf] = {}  # one lookup per instant
    activities, used_after = [], []
    for _, entry, plan in accepted:
        pair = (plan.behaviour.key, plan.local_date)
        if plan.occurred_at not in campaigns:
            campaigns[plan.occurred_at] = multipliers_for(session, user, plan.occurred_at)
        multiplier, campaign_id = campaigns[plan.occurred_at](plan.behaviour.key)
        day = usage.get(pair, DayUsage())
        priced = price_entry(plan.behaviour, entry.quantity, place.region,
                             at_org_rate(plan.factor_set, policy), day, multiplier)
        usage[pair] = priced.added_to(day)
        used_after.append(usage[pair].milli)
        saving = priced.saving
        month = month_start(plan.local_date)
        points, points_capped = capped_points(policy, earned.get(month, 0), priced.points)
        earned[month] = earned.get(month, 0) + points
        activities.append(NewActivity(
            user_id=user.id, org_id=place.org_id, team_id=user.team_id,
            type=plan.behaviour.key, quantity=entry.quantity,
            credited_quantity=priced.credited, occurred_at=plan.occurred_at,
            local_date=plan.local_date, region=place.region,
            factor_version=plan.factor_set.version, per_unit_saved_g=saving.per_unit_saved_g,
            co2e_saved_g=saving.saved_g, points=points, base_points=priced.base_points,
            capped=priced.capped,
            grams_per_point=policy.grams_per_point,
            points_capped=points_capped, campaign_id=campaign_id, multiplier=multiplier,
            client_id=entry.client_id, request_hash=entry.fingerprint, note=entry.note,
            created_at=now))
    behaviours = [plan.behaviour for _, _, plan in accepted]
    touched = {(plan.behaviour.key, plan.local_date) for _, _, plan in accepted}
    window = state.window
    window.usage_milli.update({pair: usage[pair].milli for pair in touched})
    rules = review_rules(list(zip(activities, behaviours, used_after, strict=True)), window)
    writes = Writes(
        user_id=user.id, org_id=place.org_id, team_id=user.team_id, now=now,
        activities=activities,
        usage={pair: (usage[pair].milli, usage[pair].base_points) for pair in sorted(touched)},
        monthly={month: points - state.earned.get(month, 0)
                 for month, points in earned.items()
                 if points - state.earned.get(month, 0) > 0},
        rollups=rollup_rows(activities, state.counted_months),
        reviews=[(index, rule) for index, rule in enumerate(rules) if rule is not None],
        earnings=[(index, a.points, _reason(b, a)) for index, (a, b)
                  in enumerate(zip(activities, behaviours, strict=True)) if a.points],
        points_day=org_local_day(session, place.org_id, now),
        contributions=_contributions(activities))
    if session.get_bind().dialect.name == "postgresql":
        for activity, activity_id in zip(activities, write_all(session, writes), strict=True):
            activity.id = activity_id
        contributions_written(session, _changes(writes))
    else:
        _write_plain(session, writes)
    return activities


def _contributions(activities: list[NewActivity]) -> dict[date, list[int]]:
    """Grams, points and entries per local day (the person's daily contributions)."""
    days: dict[date, list[int]] = {}
    for activity in activities:
        totals = days.setdefault(activity.local_date, [0, 0, 0])
        totals[0] += activity.co2e_saved_g
        totals[1] += activity.points
        totals[2] += 1
    return days


def _changes(writes: Writes) -> list[ContributionChange]:
    return [ContributionChange(writes.user_id, writes.org_id, writes.team_id, day, co2e_g,
                               points, entries)
            for day, (co2e_g, points, entries) in writes.contributions.items()]


def _write_plain(session: Session, writes: Writes) -> None:
    """SQLite (one writer at a time): the same rows, one plain statement per table, the
    shared ones last in their lock order (`app.shared_rows`)."""
    rows = [Activity(**{name: getattr(new, name) for name in _ACTIVITY_FIELDS})
            for new in writes.activities]
    session.add_all(rows)
    session.flush()
    for new, row in zip(writes.activities, rows, strict=True):
        new.id = row.id
    user_id = writes.user_id
    session.execute(additive_upsert(session, ActivityDailyUsage, keys=("user_id", "type", "day"),
                                    replaces=("used_milli", "base_points")),
                    [params(user_id=user_id, type=kind, day=day, used_milli=used,
                            base_points=base)
                     for (kind, day), (used, base) in writes.usage.items()])
    count_monthly_points(session, user_id, writes.monthly)
    session.add_all([ActivityReview(org_id=writes.org_id, activity_id=writes.activities[index].id,
                                    user_id=user_id, rule=rule, status="open",
                                    shortfall_points=0, created_at=writes.now)
                     for index, rule in writes.reviews])
    shared = SharedRows()
    credit_earnings(session, user_id=user_id, org_id=writes.org_id, team_id=writes.team_id,
                    source_type="activity", now=writes.now, shared=shared,
                    earnings=[Earning(points, str(writes.activities[index].id), reason)
                              for index, points, reason in writes.earnings])
    write_rollups(session, writes.rollups)
    record_contributions(session, _changes(writes))
    count_newly_active(session, writes.rollups, shared)
    shared.write(session)


_ACTIVITY_FIELDS = [name for name in NewActivity.__dataclass_fields__ if name != "id"]


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
    shared = SharedRows()
    if activity.points:
        try:
            credit_points(session, user_id=activity.user_id, org_id=activity.org_id,
                          team_id=activity.team_id, delta=-activity.points, kind="adjust",
                          source_type="activity_void", source_id=activity.id, now=now,
                          reason=f"撤销行为记录 #{activity.id} (activity voided)",
                          shared=shared)
        except InsufficientPoints as exc:
            raise PointsAlreadySpent(details={**exc.details, "points": activity.points}) from exc
    take_back_entry(session, activity, shared)
    shared.write(session)
    return activity


def mark_voided(session: Session, activity: Activity, now: datetime) -> None:
    """Conditional: of two concurrent voids exactly one moves anything back."""
    voided = session.execute(
        update(Activity).where(Activity.id == activity.id, Activity.status == "accepted")
        .values(status="voided", voided_at=now)
        .execution_options(synchronize_session="evaluate")).rowcount
    if voided != 1:
        raise Conflict("activity_already_voided")


def take_back_entry(session: Session, activity: Activity, shared: SharedRows) -> None:
    """Usage, monthly earnings, contributions and rollups of a voided entry move back: the
    person's own rows at once, the shared ones added to `shared`, which the caller writes
    at its end.

    Its points leave the ledger by the caller's own compensating entry.
    """
    if activity.credited_quantity > 0:
        _add_usage(session, activity, -1)
    release_monthly_points(session, activity.user_id, activity.local_date, activity.points)
    record_contribution(session, user_id=activity.user_id, org_id=activity.org_id,
                        team_id=activity.team_id, day=activity.local_date,
                        co2e_g=-activity.co2e_saved_g, points=-activity.points, entries=-1,
                        shared=shared)
    take_back_rollups(session, activity, shared)


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


# One statement for everything a request's items count against, read after the lock. Each
# branch names its kind; the columns are shared (NULL where a kind has nothing).
_STATE = text("""\
SELECT 'c' AS kind, client_id AS name, CAST(NULL AS DATE) AS day, id AS n1,
       CAST(NULL AS INTEGER) AS n2, CAST(NULL AS INTEGER) AS n3, CAST(NULL AS INTEGER) AS n4,
       CAST(NULL AS INTEGER) AS n5, CAST(NULL AS TIMESTAMP) AS at,
       CAST(NULL AS NUMERIC) AS quantity, request_hash AS hash
  FROM activities WHERE user_id = :user_id AND client_id IN :client_ids
UNION ALL
SELECT 'p', NULL, NULL, grams_per_point, monthly_earn_cap, expiry_months, point_value_e4,
       annual_budget_fen, NULL, NULL, NULL
  FROM points_policies WHERE org_id = :org_id
UNION ALL
SELECT 'u', type, day, used_milli, base_points, NULL, NULL, NULL, NULL, NULL, NULL
  FROM activity_daily_usage
  WHERE user_id = :user_id AND type IN :types AND day >= :usage_from AND day <= :usage_to
UNION ALL
SELECT 'm', NULL, month, points, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM points_monthly_earnings WHERE user_id = :user_id AND month IN :months
UNION ALL
SELECT 'a', NULL, month, activities, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM monthly_participants
  WHERE user_id = :user_id AND month >= :years_from AND month < :years_to
    AND org_id = :org_id AND activities > 0
UNION ALL
SELECT 'h', type, local_date, id, NULL, NULL, NULL, NULL, occurred_at, quantity, NULL
  FROM activities
  WHERE user_id = :user_id AND status = 'accepted' AND type IN :types
    AND occurred_at >= :history_from AND occurred_at < :history_to
UNION ALL
SELECT 'h', type, local_date, id, NULL, NULL, NULL, NULL, occurred_at, quantity, NULL
  FROM activities
  WHERE user_id = :user_id AND status = 'accepted' AND type IN :trip_types
    AND local_date >= :trips_from AND local_date < :trips_to AND occurred_at >= :trips_after
""").bindparams(
    bindparam("client_ids", type_=String, expanding=True),
    bindparam("types", type_=String, expanding=True),
    bindparam("months", type_=Date, expanding=True),
    bindparam("trip_types", type_=String, expanding=True),
    bindparam("usage_from", type_=Date), bindparam("usage_to", type_=Date),
    bindparam("years_from", type_=Date), bindparam("years_to", type_=Date),
    bindparam("history_from", type_=UTCDateTime), bindparam("history_to", type_=UTCDateTime),
    bindparam("trips_from", type_=Date), bindparam("trips_to", type_=Date),
    bindparam("trips_after", type_=UTCDateTime),
).columns(kind=String, name=String, day=Date, n1=Integer, n2=Integer, n3=Integer,
          n4=Integer, n5=Integer, at=UTCDateTime, quantity=QUANTITY, hash=String)


def _read_state(session: Session, user_id: int, org_id: int, items: list,
                plans: list) -> _State:
    """The stored client_ids of the items, the usage rows and monthly earnings their plans
    count against, what the review rules look back on, the organisation's points policy
    and the months of the items' years in which the person already counts as active: one
    statement."""
    planned = [plan for plan in plans if isinstance(plan, _Plan)]
    client_ids = sorted({item.client_id for item in items if item.client_id is not None})
    if not planned and not client_ids:
        return _State({}, {}, {}, ReviewWindow(), Policy(org_id))
    types = sorted({plan.behaviour.key for plan in planned})
    days = [plan.local_date for plan in planned] or [date(2000, 1, 1)]
    instants = [plan.occurred_at for plan in planned] or [datetime(2000, 1, 1, tzinfo=UTC)]
    trips = [plan.local_date for plan in planned if plan.behaviour.key in LONG_TRIP_TYPES]
    usage_from, usage_to = streak_days(days)
    history_from, history_to = outlier_span(instants)
    rows = session.execute(_STATE, {
        "user_id": user_id, "org_id": org_id, "client_ids": client_ids, "types": types,
        "usage_from": usage_from, "usage_to": usage_to,
        "years_from": year_start(min(days)), "years_to": date(max(days).year + 1, 1, 1),
        "months": sorted({month_start(day) for day in days}),
        "history_from": history_from, "history_to": history_to,
        "trip_types": list(LONG_TRIP_TYPES) if trips else [],
        "trips_from": month_start(min(trips or days)),
        # A local day starts within a day of UTC midnight: this bound lets the
        # (user_id, occurred_at) index narrow the month's trips.
        "trips_after": datetime.combine(month_start(min(trips or days)), time.min, UTC)
        - timedelta(days=1),
        "trips_to": next_month_start(max(trips or days)),
    })
    state = _State({}, {}, {}, ReviewWindow(), Policy(org_id))
    history: dict[int, Earlier] = {}  # by id: an entry may be read by both branches
    for kind, name, day, n1, n2, n3, n4, n5, at, quantity, request_hash in rows:
        if kind == "c":
            state.known[name] = (n1, request_hash)
        elif kind == "p":
            state.policy = Policy(org_id, n1, n2, n3, n4, n5)
        elif kind == "u":
            state.usage[(name, day)] = DayUsage(n1, n2)
            state.window.usage_milli[(name, day)] = n1
        elif kind == "m":
            state.earned[day] = n1
        elif kind == "a":
            state.counted_months.add(day)
        else:
            history[n1] = Earlier(name, at, day, Decimal(quantity))
    state.window.entries = [history[key] for key in sorted(history)]
    return state


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


def _reused_client_id() -> Unprocessable:
    return Unprocessable("idempotency_key_reused", details={"client_id": [
        FieldMessage("client_id_reused")]})


def _reason(behaviour: Behaviour, activity: Activity) -> str:
    quantity = format(Decimal(activity.quantity).normalize(), "f")
    return f"{behaviour.name_zh} {quantity} {behaviour.unit_zh}"[:200]
